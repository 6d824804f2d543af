"""The demo catalogue in content/ is complete, valid, and its captions keep step with its media."""
from __future__ import annotations

from pathlib import Path

import mutagen
import pytest
import webvtt

from coursesite.catalog.content import read_modules

CONTENT = Path(__file__).resolve().parent.parent / "content"
MODULES = {
    "advances-in-relational-psychotherapy": {"ce_hours": 21, "lectures": 12, "guides": 5, "terms": 30,
                                             "references": 40},
    "interpersonal-dynamics-in-clinical-teams": {"ce_hours": 6, "lectures": 5, "guides": 2, "terms": 10,
                                                 "references": 6},
    "what-makes-therapists-effective": {"ce_hours": 6, "lectures": 6, "guides": 2, "terms": 10, "references": 6},
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


def lectures():
    return sorted(CONTENT.glob("*/lectures/*.vtt"))


@pytest.mark.parametrize("captions", lectures(), ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_captions_fit_the_media_and_the_transcript_is_not_empty(captions):
    media = next(path for path in captions.parent.glob(captions.stem + ".*") if path.suffix in (".mp4", ".m4a"))
    length = mutagen.File(media).info.length
    cues = webvtt.read(str(captions)).captions
    assert cues, "no cues"
    assert all(cue.text.strip() for cue in cues)
    last_end = cues[-1].end_time.in_milliseconds() / 1000
    assert last_end <= length + 0.05
    assert length - last_end < 2.0, "the media runs on well past the last caption"
    assert 60 <= length <= 200, "demo lectures last one to three minutes"


def test_demo_media_stays_small():
    total = sum(path.stat().st_size for path in CONTENT.rglob("*") if path.is_file())
    assert total < 40 * 1024 * 1024
