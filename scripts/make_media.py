#!/usr/bin/env python3
"""Make the media of a content module from its lecture scripts.

For every ``content/<module>/scripts/NN-slug.yaml`` (format: docs/content-format.md) this tool

* speaks each caption cue with espeak-ng, one distinct voice per speaker (see ``VOICES`` below; a ``voice`` field in
  content/speakers.yaml overrides it), measures every cue exactly and joins the cues with short pauses
  (0.3 s between cues, 0.8 s between segments);
* writes ``lectures/NN-slug.vtt``: WebVTT captions whose cue times are the times of the sound (to the millisecond),
  one sentence per cue (long sentences are split at commas, at most ~90 characters and two lines per cue), with a
  ``<v Full Name>`` voice span on every cue when more than one person speaks;
* ``format: video``: renders the slides as 1280x720 frames (Pillow, DejaVu fonts) and encodes
  ``lectures/NN-slug.mp4`` (H.264 still-image tuned, 2 frames per second, yuv420p, AAC mono, +faststart). A video
  without slides (an interview or conversation, say) shows a title card with the speakers' names instead, the
  current speaker marked; ``format: audio``: encodes ``lectures/NN-slug.m4a`` (AAC mono, +faststart).
  The AAC bitrate is about 40 kb/s, stepped down (see ``AUDIO_BITRATES``) only where a lecture would otherwise pass
  its size budget (``SIZE_BUDGET``: about 1.15 MB per video and 0.58 MB per audio lecture);
* writes ``lectures/NN-slug.pdf``, the slides as a small text PDF (fpdf2), when the script has slides;
* fills in ``duration`` (measured from the final media with mutagen), ``media``, ``captions`` and ``slides`` in the
  front matter of ``lectures/NN-slug.md``, leaving every other line of that file as it was.

A lecture whose outputs are all newer than its script (and named in its lecture file) is skipped unless
``--force`` is given; use ``--force`` after changing speakers.yaml, module.yaml's title, the lecture's title or this
tool. The output is deterministic: the same inputs and tool versions give byte-identical files. Temporary files live
in a temporary directory that is always removed.

Install (Debian/Ubuntu)::

    apt-get install -y espeak-ng ffmpeg fonts-dejavu-core       # (poppler-utils too, to inspect the PDFs)
    python3 -m venv /tmp/media-venv
    /tmp/media-venv/bin/pip install pyyaml pillow fpdf2 mutagen
    # (or, in the project's own venv: pip install -e '.[media]')

Run (with the venv's python)::

    python scripts/make_media.py content/advances-in-relational-psychotherapy
    python scripts/make_media.py content/advances-in-relational-psychotherapy --lecture 01-intersubjectivity --force
    python scripts/make_media.py content/what-makes-therapists-effective --check     # validate the scripts only

Exit status: 0 when every lecture was made (or skipped as up to date), 1 when any script or lecture file is invalid
or a tool failed; every problem is printed with the file it concerns.
"""
from __future__ import annotations

import argparse
import array
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import wave
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

try:
    import yaml
    from fpdf import FPDF
    from mutagen import File as MutagenFile
    from PIL import Image, ImageDraw, ImageFont
except ImportError as exc:  # pragma: no cover - a friendly message instead of a traceback
    sys.exit(f"make_media.py: missing Python package ({exc.name}); pip install pyyaml pillow fpdf2 mutagen")

# --------------------------------------------------------------------------------------------------------------------
# Settings

# speaker slug -> (espeak-ng voice+variant, words per minute, pitch 0-99). British voices use "en" (gmw/en): espeak-ng
# 1.51 silently ignores a "+variant" after "en-gb", so "en-gb+f3" would sound like every other "en-gb+..." voice.
VOICES: dict[str, tuple[str, int, int]] = {
    "helena-varga-lindqvist": ("en+f3", 158, 52),
    "tomasz-ebbeling": ("en-us+m3", 165, 45),
    "adaeze-morrow": ("en-us+f2", 160, 56),
    "rafael-quintanar-holt": ("en-us+m7", 162, 38),
    "ingrid-solvang": ("en-gb-x-rp+f4", 155, 60),
    "marcus-delacroix-wynn": ("en+m1", 155, 36),
    "priya-castellanos-reid": ("en-gb-x-rp+f2", 164, 58),
    "owen-hartigan": ("en-gb-x-rp+m4", 158, 42),
    "beatrix-nwankwo-ellis": ("en-us+f5", 160, 50),
    "jonah-feldstrom": ("en-us+m2", 168, 48),
    "lucia-arrowsmith": ("en-us+f1", 162, 62),
    "kenji-abernathy-sato": ("en+m6", 156, 44),
}
DEFAULT_VOICE = ("en-us", 160, 50)

SAMPLE_RATE = 22050          # espeak-ng's native rate; every cue is checked against it
LEAD_IN = 0.4                # seconds of silence before the first cue
TAIL = 0.6                   # ... and after the last
CUE_PAUSE = 0.3              # between cues of one segment
SEGMENT_PAUSE = 0.8          # between segments
TRIM_THRESHOLD = 160         # |sample| below this counts as silence when trimming espeak's padding
TRIM_KEEP_START = 0.02       # seconds of silence kept before the speech of a cue
TRIM_KEEP_END = 0.06         # ... and after it (the release of the last phoneme)
MAX_CUE_CHARS = 90
MAX_LINE_CHARS = 45
WIDTH, HEIGHT = 1280, 720
FPS = 2
VIDEO_CRF = 30
KEYFRAME_SECONDS = 120       # x264 also starts a keyframe at every slide change
# AAC bitrates tried in turn until the file fits its size budget. ffmpeg's native AAC encoder overshoots at
# 22.05 kHz: nominal 28k/24k/20k come out at about 37/30/26 kb/s, clear enough for synthetic speech.
AUDIO_BITRATES = ["28k", "24k", "20k"]
SIZE_BUDGET = {"video": 1_150_000, "audio": 580_000}     # bytes per lecture
PDF_DATE = datetime(2025, 1, 1, tzinfo=UTC)   # fixed, so that PDFs are byte-identical run to run
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts/dejavu")]
KINDS_FOR_FORMAT = {"video": {"video_lecture", "interview", "conversation"},
                    "audio": {"audio_lecture", "interview", "conversation"}}
FRONT_MATTER_ORDER = ["title", "kind", "speakers", "summary", "duration", "media", "captions", "slides", "preview"]

# slide colours: high contrast (near-black on near-white, white on dark navy; both well above WCAG AAA 7:1)
BG = (250, 249, 245)
INK = (22, 24, 29)
MUTED = (70, 74, 84)
FOOTER_BG = (24, 33, 56)
FOOTER_INK = (255, 255, 255)
ACCENTS = [(20, 90, 160), (150, 50, 40), (30, 110, 70), (110, 60, 140), (160, 90, 10), (20, 110, 120)]

ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "prof", "e.g", "i.e", "vs", "etc", "cf", "no", "vol", "fig"}


class ScriptError(Exception):
    """A problem with one input file: printed as ``path: message``."""

    def __init__(self, path: Path, message: str):
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


@dataclass
class Speaker:
    slug: str
    name: str
    credentials: str = ""
    title: str = ""
    voice: tuple[str, int, int] = DEFAULT_VOICE


@dataclass
class Cue:
    speaker: str
    segment: int
    text: str               # as written (caption text, before line breaking)
    start: float = 0.0
    end: float = 0.0


@dataclass
class Segment:
    speaker: str
    slide: int | None       # 1-based, None for a title card
    text: str
    cues: list[Cue] = field(default_factory=list)


@dataclass
class Script:
    path: Path
    format: str
    slides: list[dict]
    segments: list[Segment]


# --------------------------------------------------------------------------------------------------------------------
# Reading inputs

def load_yaml(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScriptError(path, f"is not valid YAML{where}: {problem}") from None
    except OSError as exc:
        raise ScriptError(path, f"cannot be read: {exc.strerror}") from None


def parse_voice(path: Path, slug: str, value, default: tuple[str, int, int]) -> tuple[str, int, int]:
    """``voice: "en+f3"`` or ``voice: "en+f3 speed=158 pitch=52"`` in speakers.yaml."""
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ScriptError(path, f"speaker {slug!r}: voice must be a string such as 'en+f3 speed=158 pitch=52'")
    name, speed, pitch = default
    parts = value.split()
    name = parts[0]
    if name.startswith("en-gb+"):
        name = "en+" + name[len("en-gb+"):]
    for part in parts[1:]:
        key, _, number = part.partition("=")
        if key not in ("speed", "pitch") or not number.isdigit():
            raise ScriptError(path, f"speaker {slug!r}: voice option {part!r} should be speed=N or pitch=N")
        if key == "speed":
            speed = int(number)
        else:
            pitch = int(number)
    if not 80 <= speed <= 450 or not 0 <= pitch <= 99:
        raise ScriptError(path, f"speaker {slug!r}: voice speed must be 80-450 and pitch 0-99")
    return name, speed, pitch


def load_speakers(path: Path) -> dict[str, Speaker]:
    if not path.is_file():
        raise ScriptError(path, "is missing; every speaker of a script must be listed there")
    data = load_yaml(path)
    if not isinstance(data, list):
        raise ScriptError(path, "must be a list of speakers")
    speakers = {}
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not item.get("slug") or not item.get("name"):
            raise ScriptError(path, f"speaker {number} needs at least a slug and a name")
        slug = str(item["slug"])
        speakers[slug] = Speaker(slug=slug, name=str(item["name"]).strip(),
                                 credentials=str(item.get("credentials") or "").strip(),
                                 title=str(item.get("title") or "").strip(),
                                 voice=parse_voice(path, slug, item.get("voice"), VOICES.get(slug, DEFAULT_VOICE)))
    return speakers


def load_script(path: Path, speakers: dict[str, Speaker]) -> Script:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ScriptError(path, "must be a mapping with format, slides and segments")
    unknown = set(data) - {"format", "slides", "segments"}
    if unknown:
        raise ScriptError(path, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                                "expected format, slides, segments")
    fmt = data.get("format")
    if fmt not in ("video", "audio"):
        raise ScriptError(path, f"format must be 'video' or 'audio', not {fmt!r}")

    slides = data.get("slides") or []
    if not isinstance(slides, list):
        raise ScriptError(path, "slides must be a list of {title, bullets}")
    if fmt == "audio" and slides:
        raise ScriptError(path, "an audio script has no slides (remove 'slides' or use format: video)")
    clean_slides = []
    for number, slide in enumerate(slides, start=1):
        if not isinstance(slide, dict) or not isinstance(slide.get("title"), str) or not slide["title"].strip():
            raise ScriptError(path, f"slide {number} needs a title (a string)")
        extra = set(slide) - {"title", "bullets"}
        if extra:
            raise ScriptError(path, f"slide {number}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
        bullets = slide.get("bullets") or []
        if not isinstance(bullets, list) or not all(isinstance(b, (str, int, float)) for b in bullets):
            raise ScriptError(path, f"slide {number}: bullets must be a list of strings "
                                    "(quote a bullet that contains ': ' or starts with a special character)")
        if len(bullets) > 7:
            raise ScriptError(path, f"slide {number} has {len(bullets)} bullets; at most 7 fit on a slide")
        clean_slides.append({"title": slide["title"].strip(), "bullets": [str(b).strip() for b in bullets]})

    raw_segments = data.get("segments")
    if not isinstance(raw_segments, list) or not raw_segments:
        raise ScriptError(path, "segments must be a non-empty list of {speaker, slide, text}")
    segments, current_slide = [], (1 if clean_slides else None)
    for number, seg in enumerate(raw_segments, start=1):
        if not isinstance(seg, dict):
            raise ScriptError(path, f"segment {number} must be a mapping with speaker and text")
        extra = set(seg) - {"speaker", "slide", "text"}
        if extra:
            raise ScriptError(path, f"segment {number}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
        speaker = seg.get("speaker")
        if not speaker:
            raise ScriptError(path, f"segment {number} has no speaker")
        if speaker not in speakers:
            raise ScriptError(path, f"segment {number}: unknown speaker {speaker!r} (not in speakers.yaml)")
        text = seg.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ScriptError(path, f"segment {number} ({speaker}) has no text")
        if "slide" in seg and seg["slide"] is not None:
            if fmt == "audio":
                raise ScriptError(path, f"segment {number}: an audio script has no slides")
            slide = seg["slide"]
            if not isinstance(slide, int) or isinstance(slide, bool) or not 1 <= slide <= len(clean_slides):
                raise ScriptError(path, f"segment {number}: slide {slide!r} does not exist "
                                        f"(the script has {len(clean_slides)} slide(s), numbered from 1)")
            current_slide = slide
        segments.append(Segment(speaker=speaker, slide=current_slide, text=text.strip()))
    return Script(path=path, format=fmt, slides=clean_slides, segments=segments)


# --------------------------------------------------------------------------------------------------------------------
# Text: cues, captions, speech

def normalise_text(text: str) -> str:
    text = text.replace("&", " and ").replace("<", " ").replace(">", " ")
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    words, sentences, current = text.split(" "), [], []
    for index, word in enumerate(words):
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else ""
        bare = word.rstrip("\"'”’)]").lower()
        if re.search(r"[.!?…]$", bare) and (not following or re.match(r"[\"'“‘(\[]?[A-Z0-9]", following)):
            if bare.rstrip(".") in ABBREVIATIONS or re.fullmatch(r"[a-z]\.", bare):
                continue
            sentences.append(" ".join(current))
            current = []
    if current:
        sentences.append(" ".join(current))
    return sentences


SPLIT_BEFORE = {"and", "but", "or", "so", "because", "which", "that", "who", "when", "where", "while", "if",
                "although", "though", "until", "before", "after", "as", "since", "then", "rather", "without"}
NO_SPLIT_AFTER = {"a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "by", "from", "my", "your", "our",
                  "their", "his", "her", "its", "this", "these", "those", "is", "are", "was", "were", "be", "not",
                  "very", "more", "most", "can", "will", "would", "could", "should", "i", "we", "you", "they"}


def split_words_evenly(text: str, limit: int) -> list[str]:
    """Split a clause without commas at the word boundary that reads best near its middle, recursively."""
    if len(text) <= limit:
        return [text]
    words = text.split(" ")
    if len(words) < 2:
        return [text]
    best, best_cost = 1, None
    for index in range(1, len(words)):
        left = " ".join(words[:index])
        cost = abs(len(left) - len(text) / 2)
        if words[index].lower().strip("\"'“‘(") in SPLIT_BEFORE:
            cost -= 12
        if words[index - 1].lower().strip("\"'”’)") in NO_SPLIT_AFTER:
            cost += 15
        if best_cost is None or cost < best_cost:
            best, best_cost = index, cost
    return (split_words_evenly(" ".join(words[:best]), limit)
            + split_words_evenly(" ".join(words[best:]), limit))


def split_long(sentence: str, limit: int = MAX_CUE_CHARS) -> list[str]:
    """Split a sentence longer than ``limit`` at commas (semicolons, colons, dashes), else at words."""
    if len(sentence) <= limit:
        return [sentence]
    clauses = [c for c in re.split(r"(?<=[,;:])\s+|\s+(?=[—–]\s)", sentence) if c]
    pieces: list[str] = []
    for clause in clauses:
        pieces.extend(split_words_evenly(clause, limit) if len(clause) > limit else [clause])
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    if len(chunks) > 1 and len(chunks[-1]) < 20 and len(chunks[-2]) + 1 + len(chunks[-1]) <= limit + 12:
        chunks[-2:] = [chunks[-2] + " " + chunks[-1]]
    return chunks


def cue_texts(text: str) -> list[tuple[str, bool]]:
    """The caption cues of a segment's text, each with whether it ends a sentence."""
    cues = []
    for sentence in split_sentences(normalise_text(text)):
        parts = split_long(sentence)
        cues.extend((part, index == len(parts) - 1) for index, part in enumerate(parts))
    return cues


def caption_lines(text: str) -> str:
    """One line, or two lines broken at the space nearest the middle (preferring a comma)."""
    if len(text) <= MAX_LINE_CHARS:
        return text
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if not spaces:
        return text
    middle = len(text) / 2

    def cost(i: int) -> float:
        before, after = text[:i].rsplit(" ", 1)[-1], text[i + 1:].split(" ", 1)[0]
        return (abs(i - middle) - (8 if before[-1:] in ",;:" else 0)
                - (4 if after.lower() in SPLIT_BEFORE else 0) + (8 if before.lower() in NO_SPLIT_AFTER else 0))

    best = min(spaces, key=cost)
    return text[:best] + "\n" + text[best + 1:]


def speech_text(text: str, ends_sentence: bool = True) -> str:
    """What espeak-ng is given for a cue: plain punctuation, and a comma after a piece of a longer sentence so that
    it is spoken with a continuing rather than a falling intonation."""
    text = text.replace("—", ", ").replace("–", ", ").replace("…", "...")
    text = text.replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    bare = text.rstrip("\"')] ")
    if not ends_sentence and bare and bare[-1] not in ",;:.!?":
        text += ","
    elif ends_sentence and bare and bare[-1] not in ".!?":
        text += "."
    return text


# --------------------------------------------------------------------------------------------------------------------
# Sound

def run(command: list[str], what: str, *, stdin: bytes | None = None) -> None:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        sys.exit(f"make_media.py: {command[0]} is not installed (apt-get install -y espeak-ng ffmpeg)")
    if result.returncode != 0:
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{what} failed (exit {result.returncode}): {' / '.join(tail)}")


def speak(text: str, ends_sentence: bool, voice: tuple[str, int, int], wav: Path) -> array.array:
    name, speed, pitch = voice
    run(["espeak-ng", "-b", "1", "-v", name, "-s", str(speed), "-p", str(pitch), "-w", str(wav)],
        f"espeak-ng ({name}) for {text[:40]!r}", stdin=speech_text(text, ends_sentence).encode("utf-8"))
    with wave.open(str(wav), "rb") as handle:
        if handle.getnchannels() != 1 or handle.getsampwidth() != 2 or handle.getframerate() != SAMPLE_RATE:
            raise RuntimeError(f"espeak-ng wrote an unexpected WAV format for voice {name}")
        samples = array.array("h", handle.readframes(handle.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return trim(samples)


def trim(samples: array.array) -> array.array:
    first = next((i for i, s in enumerate(samples) if abs(s) > TRIM_THRESHOLD), None)
    if first is None:
        return array.array("h", [0] * int(0.2 * SAMPLE_RATE))
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > TRIM_THRESHOLD)
    start = max(0, first - int(TRIM_KEEP_START * SAMPLE_RATE))
    end = min(len(samples), last + 1 + int(TRIM_KEEP_END * SAMPLE_RATE))
    return samples[start:end]


def silence(seconds: float) -> array.array:
    return array.array("h", bytes(2 * round(seconds * SAMPLE_RATE)))


def synthesise(script: Script, speakers: dict[str, Speaker], workdir: Path) -> tuple[Path, float]:
    """Speak every cue; set each cue's start/end; write the whole sound track; return (wav, seconds)."""
    track = silence(LEAD_IN)
    first = True
    for seg_index, segment in enumerate(script.segments):
        for cue_index, (text, ends_sentence) in enumerate(cue_texts(segment.text)):
            if not first:
                track.extend(silence(SEGMENT_PAUSE if cue_index == 0 else CUE_PAUSE))
            first = False
            samples = speak(text, ends_sentence, speakers[segment.speaker].voice, workdir / "cue.wav")
            cue = Cue(speaker=segment.speaker, segment=seg_index, text=text)
            cue.start = len(track) / SAMPLE_RATE
            track.extend(samples)
            cue.end = len(track) / SAMPLE_RATE
            segment.cues.append(cue)
    track.extend(silence(TAIL))
    (workdir / "cue.wav").unlink(missing_ok=True)
    out = workdir / "track.wav"
    if sys.byteorder == "big":
        track.byteswap()
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(track.tobytes())
    return out, len(track) / SAMPLE_RATE


# --------------------------------------------------------------------------------------------------------------------
# Captions

def timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_vtt(script: Script, speakers: dict[str, Speaker], path: Path) -> None:
    voices = len({segment.speaker for segment in script.segments}) > 1
    blocks = ["WEBVTT"]
    number = 0
    for segment in script.segments:
        for cue in segment.cues:
            number += 1
            text = caption_lines(cue.text)
            if voices:
                text = f"<v {speakers[cue.speaker].name}>{text}</v>"
            blocks.append(f"{number}\n{timestamp(cue.start)} --> {timestamp(cue.end)}\n{text}")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------------------------------
# Slides: frames and PDF

def font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    sys.exit(f"make_media.py: font {name} not found (apt-get install -y fonts-dejavu-core)")


_FONTS: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    if (name, size) not in _FONTS:
        _FONTS[(name, size)] = ImageFont.truetype(str(font_path(name)), size)
    return _FONTS[(name, size)]


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and face.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def fit_text(draw, text: str, bold: bool, size: int, width: float, max_lines: int, min_size: int = 18):
    while True:
        face = font(bold, size)
        lines = wrap(text, face, width)
        if len(lines) <= max_lines or size <= min_size:
            return face, lines
        size -= 2


def speaker_label(speaker: Speaker) -> str:
    return f"{speaker.name}, {speaker.credentials}" if speaker.credentials else speaker.name


def draw_footer(draw, left: str, right: str, accent) -> None:
    top = HEIGHT - 64
    draw.rectangle([0, top, WIDTH, HEIGHT], fill=FOOTER_BG)
    draw.rectangle([0, top, WIDTH, top + 5], fill=accent)
    right_face, right_lines = fit_text(draw, right, False, 24, WIDTH * 0.42, 1)
    right_width = right_face.getlength(right_lines[0])
    draw.text((WIDTH - 48 - right_width, top + 19), right_lines[0], font=right_face, fill=FOOTER_INK)
    left_face, left_lines = fit_text(draw, left, False, 24, WIDTH - 48 - 48 - right_width - 40, 1, 14)
    left_text = left_lines[0] if len(left_lines) == 1 else left_lines[0] + " …"
    draw.text((48, top + 19), left_text, font=left_face, fill=FOOTER_INK)


def render_slide(slide: dict, number: int, total: int, module_title: str, speaker: Speaker, accent) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 12], fill=accent)
    left, right = 72, WIDTH - 72
    title_face, title_lines = fit_text(draw, slide["title"], True, 54, right - left, 2, 36)
    y = 64
    for line in title_lines:
        draw.text((left, y), line, font=title_face, fill=INK)
        y += int(title_face.size * 1.2)
    y += 14
    draw.rectangle([left, y, left + 120, y + 6], fill=accent)
    y += 40
    bottom = HEIGHT - 64 - 36
    size = 36
    while True:  # the largest bullet size at which every bullet fits
        face = font(False, size)
        wrapped = [wrap(bullet, face, right - left - 52) for bullet in slide["bullets"]]
        needed = sum(len(lines) * int(size * 1.3) + int(size * 0.55) for lines in wrapped)
        if y + needed <= bottom or size <= 22:
            break
        size -= 2
    for lines in wrapped:
        radius = size * 0.2
        centre_y = y + size * 0.62
        draw.ellipse([left + 8, centre_y - radius, left + 8 + 2 * radius, centre_y + radius], fill=accent)
        for line in lines:
            draw.text((left + 52, y), line, font=face, fill=INK)
            y += int(size * 1.3)
        y += int(size * 0.55)
    counter = f"{number} / {total}"
    small = font(False, 20)
    draw.text((WIDTH - 72 - small.getlength(counter), HEIGHT - 64 - 34), counter, font=small, fill=MUTED)
    draw_footer(draw, module_title, speaker_label(speaker), accent)
    return image


def render_card(lecture_title: str, kind: str, module_title: str, people: list[Speaker], active: Speaker,
                accent) -> Image.Image:
    """The title card of a video without slides: the lecture's title and its speakers, the current one marked."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 12], fill=accent)
    left, right = 72, WIDTH - 72
    label = font(True, 26)
    draw.text((left, 60), kind.replace("_", " ").upper(), font=label, fill=accent)
    title_face, title_lines = fit_text(draw, lecture_title, True, 52, right - left, 2, 34)
    y = 104
    for line in title_lines:
        draw.text((left, y), line, font=title_face, fill=INK)
        y += int(title_face.size * 1.2)
    y += 36
    for person in people:
        is_active = person.slug == active.slug
        if is_active:
            draw.rectangle([left - 20, y - 8, left - 12, y + 80], fill=accent)
        name_face = font(True, 36)
        draw.text((left, y), speaker_label(person), font=name_face, fill=INK if is_active else MUTED)
        if person.title:
            face, lines = fit_text(draw, person.title, False, 24, right - left, 1, 16)
            draw.text((left, y + 48), lines[0], font=face, fill=MUTED)
        y += 112
    draw_footer(draw, module_title, "Speaking: " + active.name, accent)
    return image


PDF_REPLACEMENTS = {"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "-", "\u00a0": " "}


def latin1(text: str) -> str:
    """The PDF uses the standard (non-embedded) Helvetica font, which covers Latin-1: fold everything else."""
    out = []
    for ch in text:
        ch = PDF_REPLACEMENTS.get(ch, ch)
        if len(ch) == 1 and ord(ch) > 255:
            ch = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1") or "?"
        out.append(ch)
    return "".join(out)


def write_pdf(slides: list[dict], lecture_title: str, module_title: str, people: list[Speaker], path: Path) -> None:
    pdf = FPDF(orientation="L", unit="pt", format=(405, 720))
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(latin1(lecture_title))
    pdf.set_author(latin1(", ".join(speaker_label(p) for p in people)))
    pdf.set_subject(latin1(module_title))
    pdf.set_creator("coursesite scripts/make_media.py")
    pdf.set_producer("fpdf2")
    pdf.set_lang("en")
    pdf.set_auto_page_break(False)
    pdf.set_margins(40, 36, 40)
    footer = latin1(f"{module_title} - {lecture_title} - {', '.join(speaker_label(p) for p in people)}")
    for number, slide in enumerate(slides, start=1):
        pdf.add_page()
        pdf.set_fill_color(*ACCENTS[0])
        pdf.rect(0, 0, 720, 6, style="F")
        pdf.set_xy(40, 34)
        pdf.set_font("Helvetica", "B", 26)
        pdf.set_text_color(*INK)
        pdf.multi_cell(640, 32, latin1(slide["title"]))
        pdf.ln(10)
        pdf.set_font("Helvetica", "", 17)
        for bullet in slide["bullets"]:
            pdf.set_x(48)
            pdf.cell(18, 24, "-")
            pdf.multi_cell(610, 24, latin1(bullet))
            pdf.ln(4)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_text_color(*MUTED)
        pdf.set_xy(40, 372)
        pdf.cell(560, 14, footer[:150])
        pdf.cell(80, 14, f"{number} / {len(slides)}", align="R")
    pdf.output(str(path))


# --------------------------------------------------------------------------------------------------------------------
# Encoding

FFMPEG = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]


def encode_aac(track: Path, out: Path, budget: int) -> str:
    """AAC mono at the highest of AUDIO_BITRATES that keeps ``out`` within ``budget`` bytes (else the lowest)."""
    for bitrate in AUDIO_BITRATES:
        run([*FFMPEG, "-i", str(track), "-map", "0:a", "-c:a", "aac", "-b:a", bitrate, "-ac", "1",
             "-ar", str(SAMPLE_RATE), *BITEXACT, "-movflags", "+faststart", str(out)],
            f"ffmpeg ({out.name})")
        if out.stat().st_size <= budget:
            break
    return bitrate


def encode_video(frames: list[tuple[Path, float]], track: Path, seconds: float, out: Path, workdir: Path) -> str:
    listing = ["ffconcat version 1.0"]
    for frame, duration in frames:
        listing += [f"file '{frame.name}'", f"duration {duration:.3f}"]
    listing.append(f"file '{frames[-1][0].name}'")   # the concat demuxer needs the last file twice
    (workdir / "frames.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")
    picture = workdir / "picture.mp4"
    run([*FFMPEG, "-f", "concat", "-safe", "0", "-i", str(workdir / "frames.txt"), "-map", "0:v", "-an",
         "-vf", f"fps={FPS}", "-c:v", "libx264", "-preset", "veryslow", "-tune", "stillimage",
         "-crf", str(VIDEO_CRF), "-pix_fmt", "yuv420p", "-g", str(FPS * KEYFRAME_SECONDS),
         "-x264-params", "threads=1", "-t", f"{seconds:.3f}", *BITEXACT, str(picture)],
        f"ffmpeg ({out.name}, picture)")
    sound = workdir / "sound.m4a"
    bitrate = encode_aac(track, sound, SIZE_BUDGET["video"] - picture.stat().st_size)
    run([*FFMPEG, "-i", str(picture), "-i", str(sound), "-map", "0:v", "-map", "1:a", "-c", "copy", *BITEXACT,
         "-movflags", "+faststart", str(out)], f"ffmpeg ({out.name}, mux)")
    picture.unlink()
    sound.unlink()
    return bitrate


def media_length(path: Path) -> float:
    info = MutagenFile(path)
    if info is None or not getattr(info.info, "length", 0):
        raise RuntimeError(f"{path}: mutagen cannot read the media length")
    return float(info.info.length)


# --------------------------------------------------------------------------------------------------------------------
# Lecture front matter

def split_front(path: Path) -> tuple[list[str], list[str]]:
    """(front matter lines, the rest of the file), both with their line endings."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        raise ScriptError(path, "must start with a '---' line (YAML front matter)")
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            return lines[1:index], lines[index:]
    raise ScriptError(path, "the front matter has no closing '---' line")


def read_front(path: Path) -> dict:
    front, _ = split_front(path)
    try:
        data = yaml.safe_load("".join(front)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise ScriptError(path, f"front matter is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScriptError(path, "front matter must be a mapping")
    return data


def update_front(path: Path, values: dict[str, object]) -> None:
    """Set (or, for a None value, remove) top-level keys, keeping every other line and the key order."""
    front, rest = split_front(path)
    blocks: list[tuple[str | None, list[str]]] = []        # (key, lines); continuation lines stay with their key
    for line in front:
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            blocks.append((match.group(1), [line]))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            blocks.append((None, [line]))
    newline = "\r\n" if front and front[0].endswith("\r\n") else "\n"
    for key, value in values.items():
        existing = [i for i, (k, _) in enumerate(blocks) if k == key]
        if value is None:
            blocks = [b for i, b in enumerate(blocks) if i not in existing]
            continue
        text = f"{key}: {value}{newline}"
        if existing:
            trailing = [ln for ln in blocks[existing[0]][1][1:] if not ln.strip()]   # keep blank lines after it
            blocks[existing[0]] = (key, [text, *trailing])
            continue
        rank = FRONT_MATTER_ORDER.index(key)
        position = 0
        for i, (k, _) in enumerate(blocks):
            if k in FRONT_MATTER_ORDER and FRONT_MATTER_ORDER.index(k) < rank:
                position = i + 1
        blocks.insert(position, (key, [text]))
    for _, lines in blocks[:-1]:   # a key added after a final line without a newline
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += newline
    new = ["---" + newline] + [ln for _, lines in blocks for ln in lines] + rest
    content = "".join(new)
    if content != path.read_text(encoding="utf-8"):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        os.replace(tmp, path)


# --------------------------------------------------------------------------------------------------------------------
# One lecture

def module_title_of(module_dir: Path) -> str:
    path = module_dir / "module.yaml"
    if path.is_file():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("title"), str):
                return data["title"].strip()
        except yaml.YAMLError:
            pass
    return module_dir.name.replace("-", " ").capitalize()


def outputs_of(script: Script, lectures: Path, stem: str) -> dict[str, Path]:
    outputs = {"media": lectures / f"{stem}.{'mp4' if script.format == 'video' else 'm4a'}",
               "captions": lectures / f"{stem}.vtt"}
    if script.slides:
        outputs["slides"] = lectures / f"{stem}.pdf"
    return outputs


def up_to_date(script_path: Path, outputs: dict[str, Path], front: dict) -> bool:
    if not all(p.is_file() for p in outputs.values()):
        return False
    if min(p.stat().st_mtime for p in outputs.values()) < script_path.stat().st_mtime:
        return False
    return all(front.get(key) == p.name for key, p in outputs.items()) and bool(front.get("duration"))


def make_lecture(module_dir: Path, script_path: Path, speakers: dict[str, Speaker], *, force: bool,
                 check_only: bool) -> str:
    stem = script_path.stem
    lectures = module_dir / "lectures"
    md = lectures / f"{stem}.md"
    script = load_script(script_path, speakers)
    if not md.is_file():
        raise ScriptError(md, "is missing: write the lecture file (front matter: title, kind, speakers, summary) "
                              "before making its media")
    front = read_front(md)
    kind = front.get("kind")
    if kind not in KINDS_FOR_FORMAT[script.format]:
        raise ScriptError(script_path, f"format {script.format!r} does not fit the lecture's kind {kind!r} "
                                       f"(in {md.name}); use format: {'audio' if kind == 'audio_lecture' else 'video'}")
    listed = front.get("speakers") or []
    if not isinstance(listed, list):
        raise ScriptError(md, "speakers must be a list of speaker slugs")
    missing = sorted({s.speaker for s in script.segments} - set(listed))
    if missing:
        raise ScriptError(script_path, f"speaker(s) {', '.join(missing)} speak in the script but are not listed "
                                       f"in the speakers of {md.name}")
    for number, segment in enumerate(script.segments, start=1):
        for text, _ in cue_texts(segment.text):
            if len(text) > MAX_CUE_CHARS + 15:
                raise ScriptError(script_path, f"segment {number}: cannot split {text[:50]!r}... into short cues")
    outputs = outputs_of(script, lectures, stem)
    if check_only:
        return "ok"
    if not force and up_to_date(script_path, outputs, front):
        return "up to date"

    title = str(front.get("title") or stem)
    module_title = module_title_of(module_dir)
    order = [s for s in listed if s in speakers] or [script.segments[0].speaker]
    people = [speakers[s] for s in order]
    accent = ACCENTS[(int(stem[:2]) - 1) % len(ACCENTS)] if stem[:2].isdigit() else ACCENTS[0]

    with tempfile.TemporaryDirectory(prefix="make_media-") as tmp:
        workdir = Path(tmp)
        track, seconds = synthesise(script, speakers, workdir)
        made: dict[str, Path] = {}
        made["captions"] = workdir / outputs["captions"].name
        write_vtt(script, speakers, made["captions"])
        made["media"] = workdir / outputs["media"].name
        if script.format == "audio":
            bitrate = encode_aac(track, made["media"], SIZE_BUDGET["audio"])
        else:
            frames: list[tuple[Path, float]] = []
            images: dict[tuple, Path] = {}
            for index, segment in enumerate(script.segments):
                key = (segment.slide, segment.speaker)
                if key not in images:
                    frame = workdir / f"frame-{len(images):03d}.png"
                    if segment.slide is None:
                        image = render_card(title, str(kind), module_title, people, speakers[segment.speaker], accent)
                    else:
                        image = render_slide(script.slides[segment.slide - 1], segment.slide, len(script.slides),
                                             module_title, speakers[segment.speaker], accent)
                    image.save(frame, optimize=True)
                    images[key] = frame
                start = 0.0 if index == 0 else segment.cues[0].start - SEGMENT_PAUSE / 2
                end = seconds if index == len(script.segments) - 1 else \
                    script.segments[index + 1].cues[0].start - SEGMENT_PAUSE / 2
                if frames and frames[-1][0] == images[key]:
                    frames[-1] = (images[key], frames[-1][1] + end - start)
                else:
                    frames.append((images[key], end - start))
            frames[-1] = (frames[-1][0], frames[-1][1] + 1.0)   # never let the picture end before the sound
            bitrate = encode_video(frames, track, seconds, made["media"], workdir)
        if script.slides:
            made["slides"] = workdir / outputs["slides"].name
            write_pdf(script.slides, title, module_title, people, made["slides"])
        length = media_length(made["media"])
        last_end = max(cue.end for segment in script.segments for cue in segment.cues)
        if last_end > length + 0.05:
            raise RuntimeError(f"{made['media'].name}: the last cue ends at {last_end:.3f} s "
                               f"but the media lasts {length:.3f} s")
        for key, path in made.items():
            shutil.move(str(path), str(outputs[key]))
    # remove outputs of an earlier format of this script (an .m4a when it is now a video, a stale .pdf, ...)
    for suffix in (".mp4", ".m4a", ".pdf"):
        stale = lectures / f"{stem}{suffix}"
        if stale.is_file() and stale not in outputs.values():
            stale.unlink()
    update_front(md, {"duration": f"{length:.1f}", "media": outputs["media"].name,
                      "captions": outputs["captions"].name,
                      "slides": outputs["slides"].name if "slides" in outputs else None})
    cues = sum(len(s.cues) for s in script.segments)
    size = outputs["media"].stat().st_size
    return f"made {outputs['media'].name} ({length:.1f} s, {cues} cues, {size / 1e6:.2f} MB, AAC {bitrate})"


# --------------------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Make the media (MP4/M4A), WebVTT captions and slide PDFs of a content module from its "
                    "scripts/NN-slug.yaml files, and fill in duration/media/captions/slides in the lecture files.",
        epilog="Needs espeak-ng and ffmpeg (Debian packages) and pyyaml, pillow, fpdf2, mutagen (pip).")
    parser.add_argument("module", type=Path,
                        help="the module folder, e.g. content/advances-in-relational-psychotherapy")
    parser.add_argument("--lecture", action="append", metavar="NN-slug",
                        help="only this lecture (its script's name without .yaml, or just NN); may be repeated")
    parser.add_argument("--force", action="store_true", help="remake lectures even when their outputs are up to date")
    parser.add_argument("--check", action="store_true", help="only validate the scripts; write nothing")
    parser.add_argument("--speakers", type=Path, help="speakers.yaml (default: speakers.yaml next to the module)")
    args = parser.parse_args(argv)

    module_dir = args.module.resolve()
    scripts_dir = module_dir / "scripts"
    if not scripts_dir.is_dir():
        print(f"make_media.py: {args.module}/scripts is not a folder (is {args.module} a module folder?)",
              file=sys.stderr)
        return 1
    scripts = sorted(scripts_dir.glob("*.yaml"))
    if args.lecture:
        wanted = set(args.lecture)
        scripts = [s for s in scripts if s.stem in wanted or s.stem[:2] in wanted]
        unknown = wanted - {s.stem for s in scripts} - {s.stem[:2] for s in scripts}
        if unknown:
            print(f"make_media.py: no script {', '.join(sorted(unknown))} in {args.module}/scripts", file=sys.stderr)
            return 1
    if not scripts:
        print(f"make_media.py: no scripts in {args.module}/scripts", file=sys.stderr)
        return 1
    if not args.check:
        for tool in ("espeak-ng", "ffmpeg"):
            if not shutil.which(tool):
                print(f"make_media.py: {tool} is not installed (apt-get install -y espeak-ng ffmpeg)", file=sys.stderr)
                return 1
    try:
        speakers = load_speakers(args.speakers or module_dir.parent / "speakers.yaml")
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for script_path in scripts:
        if not re.match(r"^\d{2}-[a-z0-9]+(-[a-z0-9]+)*$", script_path.stem):
            print(f"error: {script_path}: scripts are named NN-slug.yaml like their lecture files", file=sys.stderr)
            failed += 1
            continue
        try:
            outcome = make_lecture(module_dir, script_path, speakers, force=args.force, check_only=args.check)
            print(f"{script_path.stem}: {outcome}")
        except ScriptError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
        except RuntimeError as exc:
            print(f"error: {script_path}: {exc}", file=sys.stderr)
            failed += 1
    if failed:
        print(f"{failed} of {len(scripts)} lecture(s) failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
