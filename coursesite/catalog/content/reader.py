"""Read a module folder into plain data, checking every file against docs/content-format.md.

Nothing here touches the database: ``read_module`` returns the data and a :class:`Report`; the importer writes the
data only when the report has no errors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from coursesite.catalog.content.approvals import CreditCalculation, check_credits, read_approvals, word_count
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import CONTROL_RE, Fields, Report, load_yaml, load_yaml_list, slug_problem
from coursesite.catalog.models import LECTURE_KINDS, LEVELS

LECTURE_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
GUIDE_FILE_RE = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
MEDIA_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".webm": "video/webm",
               ".ogg": "audio/ogg"}
PHOTO_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".webp"}
RESOURCE_KINDS = ("article", "book", "video", "website", "podcast")
REFERENCE_KINDS = ("article", "book", "chapter", "report")
DURATION_TOLERANCE = 1.0  # seconds between the declared duration and the media's
CAPTION_SLACK = 0.05  # seconds a last cue may pass the media's end (encoder rounding)
MAX_MARKDOWN = 60_000
_VTT_TIME = r"(?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3}"
VTT_TIMING_RE = re.compile(rf"^{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?$")


@dataclass
class SpeakerData:
    slug: str
    name: str
    credentials: str
    title: str
    bio: str
    photo: Path | None
    resources: list[dict[str, str]]


@dataclass
class LectureData:
    position: int
    slug: str
    title: str
    kind: str
    speakers: list[str]
    summary: str
    notes: str
    duration: float
    preview: bool
    media: Path
    captions: Path
    slides: Path | None
    cues: list[dict[str, Any]]
    references: list[str] = field(default_factory=list)  # keys of bibliography.yaml the lecture cites


@dataclass
class ModuleData:
    slug: str
    path: Path
    fields: dict[str, Any]
    lectures: list[LectureData] = field(default_factory=list)
    guides: list[dict[str, Any]] = field(default_factory=list)
    glossary: list[dict[str, Any]] = field(default_factory=list)
    references: list[dict[str, Any]] = field(default_factory=list)
    speakers: dict[str, SpeakerData] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    approvals: list[dict[str, Any]] = field(default_factory=list)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]


def split_front_matter(path: Path, report: Report) -> tuple[Any, str]:
    """The YAML front matter (with file line numbers) and the Markdown body of ``path``; a control character
    anywhere in the file is reported too."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.error(path, "file is not UTF-8 text")
        return None, ""
    check_control_characters(path, text, report)
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        report.error(path, "must start with front matter between two '---' lines", line=1)
        return None, ""
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            front = "".join(lines[1:index])
            body = "".join(lines[index + 1:]).strip()
            return load_yaml(path, report, text=front or "{}", line_offset=1), body
    report.error(path, "front matter is not closed by a '---' line", line=1)
    return None, ""


def read_speakers(content_root: Path, report: Report) -> dict[str, SpeakerData] | None:
    """Every speaker of ``content_root/speakers.yaml``; None when the file is missing or not a list."""
    path = content_root / "speakers.yaml"
    speakers: dict[str, SpeakerData] = {}
    errors_before = len(report.errors)
    items = load_yaml_list(path, report, required=True)
    if len(report.errors) > errors_before:
        return None
    for index, item in enumerate(items, start=1):
        fields = Fields(item, path, report, prefix=f"speaker {index}.")
        fields.unknown({"slug", "name", "credentials", "title", "bio", "photo", "resources", "voice"})
        slug = fields.slug("slug")
        if slug in speakers:
            fields.error("slug", f"duplicate slug {slug!r}")
        photo = _photo(content_root, fields)
        resources = []
        for r_index, resource in enumerate(fields.items("resources", required=False, max_items=20), start=1):
            r_fields = Fields(resource, path, report, prefix=f"speaker {index}.resources {r_index}.")
            r_fields.unknown({"title", "url", "kind", "note"})
            resources.append({
                "title": r_fields.text("title", max_len=300),
                "url": r_fields.url("url"),
                "kind": r_fields.choice("kind", RESOURCE_KINDS, required=False, default="website"),
                "note": r_fields.text("note", required=False, max_len=1000),
            })
        speakers[slug] = SpeakerData(
            slug=slug,
            name=fields.text("name", max_len=120),
            credentials=fields.text("credentials", required=False, max_len=80),
            title=fields.text("title", required=False, max_len=200),
            bio=fields.text("bio", required=False, max_len=MAX_MARKDOWN),
            photo=photo,
            resources=resources,
        )
    return speakers


def _photo(content_root: Path, fields: Fields) -> Path | None:
    name = fields.text("photo", required=False, max_len=255)
    if not name:
        return None
    photo = (content_root / name).resolve()
    if not photo.is_relative_to(content_root.resolve()) or not photo.is_file():
        fields.error("photo", f"file {name!r} is missing")
        return None
    if photo.suffix.lower() not in PHOTO_SUFFIXES:
        fields.error("photo", f"must be one of {', '.join(sorted(PHOTO_SUFFIXES))}")
        return None
    return photo


def read_module(module_dir: Path, sections: list[ContentSection], speakers: dict[str, SpeakerData] | None,
                report: Report) -> ModuleData | None:
    """Read and check ``module_dir``; problems go to ``report``.

    ``speakers`` comes from ``read_speakers`` (read once for all modules); None when speakers.yaml itself is
    broken, in which case lectures' speakers are not checked against it (its own errors say enough).
    """
    module_dir = module_dir.resolve()
    path = module_dir / "module.yaml"
    errors_before = len(report.errors)
    data = load_yaml(path, report)
    if data is None:
        if len(report.errors) == errors_before:
            report.error(path, "is empty: a module needs at least its title, summary and CE hours")
        return None
    fields = Fields(data, path, report)
    section_keys = {key for section in sections for key in section.module_keys}
    fields.unknown({"title", "subtitle", "summary", "ce_hours", "level", "audience", "objectives",
                    "approval_statement", "published", "certificate", "sponsor", "approvals"} | section_keys)
    slug = module_dir.name
    if problem := slug_problem(slug):
        report.error(module_dir, f"folder name {problem} (it becomes the module's address)")
    module = ModuleData(slug=slug, path=module_dir, fields={
        "title": fields.text("title", max_len=200),
        "subtitle": fields.text("subtitle", required=False, max_len=300),
        "summary": fields.text("summary", max_len=MAX_MARKDOWN),
        "ce_hours": float(fields.number("ce_hours", minimum=0.5, maximum=200)),
        "level": fields.choice("level", LEVELS, default="intermediate"),
        "audience": fields.text("audience", required=False, max_len=MAX_MARKDOWN),
        "objectives": fields.text_list("objectives", max_len=400, max_items=40),
        "approval_statement": fields.text("approval_statement", max_len=4000),
        "published": fields.flag("published", default=False),
    })
    if round(module.fields["ce_hours"] * 10) != module.fields["ce_hours"] * 10:
        fields.error("ce_hours", "may have at most one decimal place")
    module.speakers = speakers or {}
    module.references = _read_bibliography(module_dir / "bibliography.yaml", report)
    reference_keys = {reference["key"] for reference in module.references}
    module.lectures = _read_lectures(module_dir / "lectures", speakers, reference_keys, report)
    module.guides = _read_guides(module_dir / "guides", report)
    module.glossary = _read_glossary(module_dir / "glossary.yaml", report)
    sponsor_fields, module.approvals = read_approvals(fields, report, module.fields["ce_hours"])
    module.fields.update(sponsor_fields)
    for section in sections:
        module.sections[section.name] = section.read(module_dir, fields, module.fields, report)
    _warn_thin_module(module, path, report)
    check_credits(path, module.fields["ce_hours"], credit_calculation(module, sections), report)
    return module


def credit_calculation(module: ModuleData, sections: list[ContentSection]) -> CreditCalculation:
    """The material behind the module's CE hours (catalog/content/approvals.py has the formula)."""
    return CreditCalculation(
        recorded_minutes=sum(lecture.duration for lecture in module.lectures) / 60,
        guide_words=sum(word_count(guide["body"]) for guide in module.guides),
        test_questions=sum(section.test_questions(module.sections[section.name]) for section in sections
                           if section.test_questions is not None and module.sections.get(section.name) is not None),
    )


def _warn_thin_module(module: ModuleData, path: Path, report: Report) -> None:
    hours = module.fields["ce_hours"] or 0
    if not module.lectures:
        report.error(module.path / "lectures", "a module needs at least one lecture")
    if hours and len(module.references) < hours:
        report.warn(path, f"{len(module.references)} references for {hours:g} CE hours; "
                          "at least one reference per CE hour is expected", field="bibliography")


def _read_lectures(folder: Path, speakers: dict[str, SpeakerData] | None, reference_keys: set[str],
                   report: Report) -> list[LectureData]:
    if not folder.is_dir():
        report.error(folder, "folder is missing")
        return []
    lectures: list[LectureData] = []
    positions: dict[int, str] = {}  # file name by position and by slug, to name the other file of a clash
    slugs: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        match = LECTURE_FILE_RE.match(path.name)
        if not match:
            report.error(path, "lecture files are named NN-slug.md (two digits, a hyphen, a lower-case slug)")
            continue
        position, slug = int(match.group(1)), match.group(2)
        if problem := slug_problem(slug):
            report.error(path, f"the slug {problem}")
        if position in positions:
            report.error(path, f"position {position:02d} is also used by {positions[position]}")
        if slug in slugs:
            report.error(path, f"duplicate slug {slug!r} (also {slugs[slug]})", field="file name")
        positions[position], slugs[slug] = path.name, path.name
        lecture = _read_lecture(path, position, slug, speakers, reference_keys, report)
        if lecture:
            lectures.append(lecture)
    return lectures


def _read_lecture(path: Path, position: int, slug: str, speakers: dict[str, SpeakerData] | None,
                  reference_keys: set[str], report: Report) -> LectureData | None:
    front, body = split_front_matter(path, report)
    if front is None:
        return None
    fields = Fields(front, path, report)
    fields.unknown({"title", "kind", "speakers", "summary", "duration", "media", "captions", "slides", "preview",
                    "references"})
    speaker_slugs = fields.text_list("speakers", max_len=80, max_items=10)
    for speaker_slug in speaker_slugs:
        if speakers is not None and speaker_slug not in speakers:
            fields.error("speakers", f"unknown speaker {speaker_slug!r} (not in speakers.yaml)")
    if not speaker_slugs and "speakers" in fields.data:
        fields.error("speakers", "must name at least one speaker")
    duration = float(fields.number("duration", minimum=1, maximum=6 * 3600))
    media = _sibling_file(path, fields, "media", set(MEDIA_TYPES))
    captions = _sibling_file(path, fields, "captions", {".vtt"})
    slides = _sibling_file(path, fields, "slides", {".pdf"}, required=False)
    if len(body) > MAX_MARKDOWN:
        report.error(path, f"notes are {len(body)} characters long; the limit is {MAX_MARKDOWN}")
    media_length = _media_length(media, fields) if media else None
    if media_length is not None and duration >= 1 and abs(media_length - duration) > DURATION_TOLERANCE:
        fields.error("duration", f"says {duration:g} s but the media lasts {media_length:.1f} s")
    # Every field is checked, and its problems reported, before a lecture without its files is given up.
    title = fields.text("title", max_len=200)
    kind = fields.choice("kind", LECTURE_KINDS)
    summary = fields.text("summary", max_len=2000)
    preview = fields.flag("preview")
    references = _lecture_references(fields, reference_keys)
    cues = _read_captions(captions, media_length, _voices(speaker_slugs, speakers), report) if captions else []
    if not (media and captions):
        return None
    return LectureData(position=position, slug=slug, title=title, kind=kind, speakers=speaker_slugs, summary=summary,
                       notes=body, duration=round(duration, 1), preview=preview, media=media, captions=captions,
                       slides=slides, cues=cues, references=references)


def _lecture_references(fields: Fields, reference_keys: set[str]) -> list[str]:
    """The keys a lecture's ``references`` lists: each a key of the module's bibliography.yaml, once."""
    keys = fields.text_list("references", required=False, max_len=80, max_items=100)
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            fields.error("references", f"{key!r} is listed twice")
        elif key not in reference_keys:
            fields.error("references", f"unknown reference {key!r} (not a key in bibliography.yaml)")
        seen.add(key)
    return list(dict.fromkeys(keys))


def _sibling_file(path: Path, fields: Fields, key: str, suffixes: set[str], *, required: bool = True) -> Path | None:
    name = fields.text(key, required=required, max_len=255)
    if not name:
        return None
    candidate = path.parent / name
    if "/" in name or "\\" in name or name.startswith("."):
        fields.error(key, f"{name!r} must be a file name in the lectures folder")
        return None
    if candidate.suffix.lower() not in suffixes:
        fields.error(key, f"{name!r} must end in {', '.join(sorted(suffixes))}")
        return None
    if not candidate.is_file():
        fields.error(key, f"file {name!r} is missing")
        return None
    return candidate


def _media_length(media: Path, fields: Fields) -> float | None:
    try:
        info = mutagen.File(media)
    except mutagen.MutagenError as exc:
        fields.error("media", f"{media.name} cannot be read as audio or video: {exc}")
        return None
    if info is None or not getattr(info.info, "length", 0):
        fields.error("media", f"{media.name} is not a media file this site can play")
        return None
    return float(info.info.length)


def _voices(speaker_slugs: list[str], speakers: dict[str, SpeakerData] | None) -> set[str] | None:
    """The names a caption's ``<v Name>`` may carry: the lecture's own speakers (None: speakers.yaml is broken)."""
    if speakers is None:
        return None
    return {speakers[slug].name for slug in speaker_slugs if slug in speakers}


def check_control_characters(path: Path, text: str, report: Report) -> None:
    """Control characters (NUL above all) in ``text``, read from ``path``, that PostgreSQL refuses and no page should
    show: the first is reported with its line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if CONTROL_RE.search(line):
            report.error(path, "contains a control character (such as NUL)", line=number)
            return


def _timing_lines(path: Path, report: Report) -> list[int] | None:
    """The line numbers of the cue timings; None after reporting the first one that is not WebVTT.

    webvtt-py silently drops a cue whose timing it cannot parse, so each timing line is checked here first."""
    numbers = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if "-->" not in line:
            continue
        if not VTT_TIMING_RE.match(line):
            report.error(path, f"cue timing {line.strip()[:80]!r} is not WebVTT (HH:MM:SS.mmm --> HH:MM:SS.mmm)",
                         line=number)
            return None
        numbers.append(number)
    return numbers


def _read_captions(path: Path, media_length: float | None, voices: set[str] | None,
                   report: Report) -> list[dict[str, Any]]:
    try:
        captions = webvtt.read(str(path))
    except (MalformedFileError, MalformedCaptionError, UnicodeDecodeError, ValueError) as exc:
        report.error(path, f"not a valid WebVTT file: {exc}", line=1)
        return []
    timing_lines = _timing_lines(path, report)
    if timing_lines is None:
        return []
    cues, previous_end = [], 0.0
    for number, caption in enumerate(captions.captions, start=1):
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        where = f"cue {number} ({caption.start} --> {caption.end})"
        line = timing_lines[number - 1] if number <= len(timing_lines) else None
        if end <= start:
            report.error(path, f"{where} ends before it starts", line=line)
        if start < previous_end - 0.001:
            report.error(path, f"{where} starts before the previous cue ends", line=line)
        if media_length is not None and end > media_length + CAPTION_SLACK:
            report.error(path, f"{where} runs past the end of the media ({media_length:.1f} s)", line=line)
        text = caption.text.strip()
        if not text:
            report.error(path, f"{where} has no text", line=line)
        if CONTROL_RE.search(text):
            report.error(path, f"{where} contains a control character (such as NUL)", line=line)
        if caption.voice and voices is not None and caption.voice not in voices:
            report.error(path, f"{where} is voiced by {caption.voice!r}, who is not a speaker of this lecture "
                               f"(speakers: {', '.join(sorted(voices)) or 'none'})", line=line)
        cues.append({"start": round(start, 3), "end": round(end, 3), "speaker": caption.voice, "text": text})
        previous_end = end
    if not cues:
        report.error(path, "has no cues; every lecture needs captions")
    return cues


def _read_guides(folder: Path, report: Report) -> list[dict[str, Any]]:
    if not folder.is_dir():
        return []
    guides: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.md")):
        match = GUIDE_FILE_RE.match(path.name)
        if not match:
            report.error(path, "guide files are named slug.md (lower-case letters, digits, hyphens)")
            continue
        if problem := slug_problem(match.group(1)):
            report.error(path, f"the slug {problem}")
        front, body = split_front_matter(path, report)
        if front is None:
            continue
        fields = Fields(front, path, report)
        fields.unknown({"title", "position", "summary"})
        if not body:
            report.error(path, "the guide has no text")
        if len(body) > MAX_MARKDOWN:
            report.error(path, f"is {len(body)} characters long; the limit is {MAX_MARKDOWN}")
        guides.append({
            "slug": match.group(1),
            "title": fields.text("title"),
            "position": int(fields.number("position", integer=True, minimum=0, maximum=999, required=False,
                                          default=len(guides) + 1)),
            "summary": fields.text("summary", required=False, max_len=1000),
            "body": body,
        })
    guides.sort(key=lambda guide: (guide["position"], guide["slug"]))
    return guides


def _read_glossary(path: Path, report: Report) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    slugs: dict[str, str] = {}
    for index, item in enumerate(load_yaml_list(path, report), start=1):
        fields = Fields(item, path, report, prefix=f"term {index}.")
        fields.unknown({"term", "definition", "related"})
        term = fields.text("term", max_len=120)
        slug = slugify(term)
        if slug in slugs:
            fields.error("term", f"duplicate term {term!r}")
        slugs[slug] = term
        terms.append({"term": term, "slug": slug, "definition": fields.text("definition", max_len=5000),
                      "related": fields.text_list("related", required=False, max_len=120, max_items=20),
                      "_fields": fields})
    known = {t["term"].lower() for t in terms}
    for entry in terms:
        fields = entry.pop("_fields")
        for related in entry["related"]:
            if related.lower() not in known:
                fields.error("related", f"{related!r} is not a term of this glossary")
    return terms


def _read_bibliography(path: Path, report: Report) -> list[dict[str, Any]]:
    references, keys = [], set()
    for index, item in enumerate(load_yaml_list(path, report), start=1):
        fields = Fields(item, path, report, prefix=f"reference {index}.")
        fields.unknown({"key", "kind", "authors", "year", "title", "container", "publisher", "volume", "issue",
                        "pages", "doi", "url", "seminal", "annotation"})
        key = fields.slug("key")
        if key in keys:
            fields.error("key", f"duplicate key {key!r}")
        keys.add(key)
        doi = fields.text("doi", required=False, max_len=200)
        if doi and not re.match(r"^10\.\d{4,9}/\S+$", doi):
            fields.error("doi", f"{doi!r} is not a DOI (10.NNNN/...)")
        references.append({
            "key": key,
            "kind": fields.choice("kind", REFERENCE_KINDS),
            "authors": fields.text("authors", max_len=500),
            "year": int(fields.number("year", integer=True, minimum=1800, maximum=2100)),
            "title": fields.text("title", max_len=500),
            "container": fields.text("container", required=False, max_len=300),
            "publisher": fields.text("publisher", required=False, max_len=200),
            "volume": fields.text("volume", required=False, max_len=20),
            "issue": fields.text("issue", required=False, max_len=20),
            "pages": fields.text("pages", required=False, max_len=40),
            "doi": doi,
            "url": fields.url("url", required=False),
            "seminal": fields.flag("seminal"),
            "annotation": fields.text("annotation", required=False, max_len=2000),
        })
    return references
