"""The demo catalogue in content/ is complete, valid, and its captions keep step with its media."""
from __future__ import annotations

import re
from pathlib import Path

import mutagen
import pytest
import webvtt
import yaml

from coursesite.catalog.content import read_modules

CONTENT = Path(__file__).resolve().parent.parent / "content"
MODULES = {
    "advances-in-relational-psychotherapy": {"ce_hours": 1, "lectures": 12, "guides": 5, "terms": 30,
                                             "references": 40},
    "interpersonal-dynamics-in-clinical-teams": {"ce_hours": 0.5, "lectures": 5, "guides": 2, "terms": 10,
                                                 "references": 6},
    "what-makes-therapists-effective": {"ce_hours": 0.5, "lectures": 6, "guides": 2, "terms": 10, "references": 6},
}
KINDS = {"video_lecture", "audio_lecture", "interview", "conversation"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from coursesite import create_app

    app = create_app("testing", {"MEDIA_ROOT": str(tmp_path_factory.mktemp("media"))})
    with app.app_context():
        report, modules = read_modules(CONTENT)
    return report, {module.slug: module for module in modules}


def test_the_whole_catalogue_validates_without_errors_or_warnings(demo):
    report, modules = demo
    assert report.errors == []
    assert report.warnings == []
    assert set(modules) == set(MODULES)


@pytest.mark.parametrize("slug", MODULES)
def test_each_module_has_the_promised_material(demo, slug):
    module = demo[1][slug]
    expected = MODULES[slug]
    assert module.fields["ce_hours"] == expected["ce_hours"]
    assert len(module.lectures) >= expected["lectures"]
    assert len(module.guides) >= expected["guides"]
    assert len(module.glossary) >= expected["terms"]
    assert len(module.references) >= expected["references"]
    assert len(module.sections["quiz"]["questions"]) >= 6 * expected["ce_hours"]
    assert module.fields["approval_statement"] and module.fields["objectives"]
    assert any(lecture.preview for lecture in module.lectures)
    objectives = {q["objective"] for q in module.sections["quiz"]["questions"]}
    assert objectives == set(range(1, len(module.fields["objectives"]) + 1))


def test_the_catalogue_uses_every_lecture_kind(demo):
    assert {lecture.kind for module in demo[1].values() for lecture in module.lectures} == KINDS


def test_the_relational_module_itself_has_every_kind_including_an_audio_lecture(demo):
    module = demo[1]["advances-in-relational-psychotherapy"]
    assert {lecture.kind for lecture in module.lectures} == KINDS
    audio = [lecture for lecture in module.lectures if lecture.kind == "audio_lecture"]
    assert audio and all(lecture.media.suffix == ".m4a" for lecture in audio)


def all_lectures(demo):
    return [(module, lecture) for module in demo[1].values() for lecture in module.lectures]


def test_single_speaker_lectures_have_one_speaker_and_dialogues_have_at_least_two(demo):
    for module, lecture in all_lectures(demo):
        where = f"{module.slug}/{lecture.slug}"
        assert len(set(lecture.speakers)) == len(lecture.speakers), where
        if lecture.kind in ("interview", "conversation"):
            assert len(lecture.speakers) >= 2, f"{where}: a {lecture.kind} needs at least two speakers"
        else:
            assert len(lecture.speakers) == 1, where


def test_every_speaker_of_an_interview_or_conversation_is_heard_and_named_in_the_captions(demo):
    """In the demo an interview is a Q&A: the lead speaker (listed first) answers and the interviewer, also a
    listed speaker, asks. A conversation is an exchange between its speakers. Either way every cue is
    attributed with a voice span, only listed speakers speak, and each of them is actually heard."""
    for module, lecture in all_lectures(demo):
        if lecture.kind not in ("interview", "conversation"):
            continue
        where = f"{module.slug}/{lecture.slug}"
        names = {slug: module.speakers[slug].name for slug in lecture.speakers}
        voices = [cue["speaker"] for cue in lecture.cues]
        assert all(voices), f"{where}: every cue of a {lecture.kind} names its speaker"
        assert set(voices) == set(names.values()), where
        counts = {name: voices.count(name) for name in names.values()}
        assert min(counts.values()) >= 3, f"{where}: {counts}"
        if lecture.kind == "interview":
            lead = names[lecture.speakers[0]]
            assert counts[lead] == max(counts.values()), f"{where}: the interviewee should speak most"
            questions = [cue for cue in lecture.cues if cue["speaker"] != lead and cue["text"].strip().endswith("?")]
            assert questions, f"{where}: the interviewer asks at least one question"


def lecture_files():
    return sorted(CONTENT.glob("*/lectures/*.md"))


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), f"{path}: no front matter"
    return yaml.safe_load(text.split("---\n", 2)[1])


@pytest.mark.parametrize("lecture", lecture_files(), ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_captions_fit_the_media_and_the_transcript_is_not_empty(lecture):
    fields = front_matter(lecture)
    assert fields.get("captions"), "every lecture has a captions file"
    assert fields.get("media"), "every lecture has media"
    captions = lecture.parent / fields["captions"]
    media = lecture.parent / fields["media"]
    assert captions.is_file(), f"missing captions {captions.name}"
    assert media.is_file(), f"missing media {media.name}"
    assert media.suffix in (".mp4", ".m4a")
    length = mutagen.File(media).info.length
    cues = webvtt.read(str(captions)).captions
    assert cues, "no cues"
    assert all(cue.text.strip() for cue in cues)
    last_end = max(cue.end_time.in_milliseconds() for cue in cues) / 1000
    assert last_end <= length + 0.05, "a caption runs past the end of the media"
    assert length - last_end < 2.0, "the media runs on well past the last caption"
    assert abs(float(fields["duration"]) - length) <= 1.0, "front-matter duration disagrees with the media"
    assert 60 <= length <= 180, "demo lectures last one to three minutes"


DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@pytest.mark.parametrize("slug", MODULES)
def test_every_doi_in_the_bibliography_is_well_formed(demo, slug):
    references = demo[1][slug].references
    articles = [ref for ref in references if ref["kind"] == "article"]
    assert articles
    for ref in references:
        if ref.get("doi"):
            assert DOI.match(ref["doi"]), f"{ref['key']}: {ref['doi']!r} is not a bare DOI (10.NNNN/...)"
    with_doi = [ref for ref in articles if ref.get("doi")]
    assert with_doi, "journal articles carry DOIs where they exist"


def test_doi_links_in_speaker_resources_are_well_formed():
    for speaker in yaml.safe_load((CONTENT / "speakers.yaml").read_text(encoding="utf-8")):
        for resource in speaker.get("resources") or []:
            url = resource["url"]
            if url.startswith("https://doi.org/"):
                assert DOI.match(url.removeprefix("https://doi.org/")), f"{speaker['slug']}: {url}"


def test_demo_media_stays_small():
    total = sum(path.stat().st_size for path in CONTENT.rglob("*") if path.is_file())
    assert total < 40 * 1024 * 1024
