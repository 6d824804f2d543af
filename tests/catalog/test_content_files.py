"""Content as files: validate, import (idempotent, all-or-nothing) and export (round trip)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from coursesite.assessment.models import Question, QuizSettings
from coursesite.billing.models import PriceTier
from coursesite.catalog.content import import_content
from coursesite.catalog.models import GlossaryTerm, Lecture, Module, Reference, Speaker, StudyGuide
from coursesite.extensions import db
from tests.support import FIXTURES, empty_all_tables

COUNTED = (Module, Lecture, Speaker, StudyGuide, GlossaryTerm, Reference, PriceTier, Question)


def row_counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def snapshot() -> dict:
    """Everything an import writes, without ids and timestamps."""
    module = db.session.scalar(select(Module))
    quiz = db.session.scalar(select(QuizSettings))
    return {
        "module": {c: getattr(module, c) for c in ("slug", "title", "subtitle", "summary", "ce_hours", "level",
                                                  "audience", "objectives", "approval_statement", "published",
                                                  "offers_certificate", "sponsor_name", "sponsor_contact",
                                                  "signatory_name", "signatory_title")},
        "approvals": [(a.position, a.body, a.statement, a.provider_number, a.approval_period, a.credits)
                      for a in module.approvals],
        "lectures": [
            (lecture.position, lecture.slug, lecture.title, lecture.kind, lecture.summary, lecture.notes,
             lecture.duration_seconds, lecture.preview, lecture.media_path, lecture.media_type, lecture.captions_path,
             lecture.slides_path, lecture.cues, [s.slug for s in lecture.speakers])
            for lecture in module.lectures
        ],
        "speakers": sorted(
            (s.slug, s.name, s.credentials, s.title, s.bio, s.photo_path,
             [(r.title, r.url, r.kind, r.note) for r in s.resources])
            for s in db.session.scalars(select(Speaker)) if s.lecture_links
        ),
        "guides": [(g.slug, g.position, g.title, g.summary, g.body) for g in module.guides],
        "glossary": [(t.term, t.slug, t.definition, t.related) for t in module.glossary],
        "references": [(r.position, r.key, r.kind, r.authors, r.year, r.title, r.container, r.publisher, r.volume,
                        r.issue, r.pages, r.doi, r.url, r.seminal, r.annotation) for r in module.references],
        "prices": sorted((t.code, t.unit_amount, t.min_quantity, t.grants)
                         for t in db.session.scalars(select(PriceTier))),
        "quiz": (quiz.pass_percent, quiz.questions_per_attempt, quiz.max_attempts, quiz.time_limit_minutes,
                 quiz.shuffle_options, quiz.show_answers, quiz.cooloff_days),
        "questions": [(q.key, q.objective, q.lecture_slug, q.prompt, q.explanation, q.active,
                       [(c.text, c.correct) for c in q.choices])
                      for q in db.session.scalars(select(Question).order_by(Question.position))],
    }


def test_validate_accepts_the_fixture_module(runner):
    result = runner.invoke(args=["content", "validate", str(FIXTURES / "content" / "sample-module")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_import_is_idempotent(app):
    module_dir = FIXTURES / "content" / "sample-module"
    assert import_content(module_dir).ok
    first = row_counts()
    first_state = snapshot()
    assert import_content(module_dir).ok
    assert row_counts() == first
    assert snapshot() == first_state
    assert first["Lecture"] == 2 and first["PriceTier"] == 5 and first["Question"] == 2


def test_reimport_updates_in_place(app, content_copy):
    module_dir = content_copy / "sample-module"
    assert import_content(module_dir).ok
    lecture_id = db.session.scalar(select(Lecture.id).where(Lecture.slug == "first-steps"))
    text = (module_dir / "lectures" / "01-first-steps.md").read_text()
    (module_dir / "lectures" / "01-first-steps.md").write_text(text.replace("title: First steps", "title: Steps"))
    assert import_content(module_dir).ok
    db.session.expire_all()
    lecture = db.session.get(Lecture, lecture_id)
    assert lecture.title == "Steps"


def test_import_stores_transcript_cues_and_seeds_default_prices(app, sample_module):
    conversation = db.session.scalar(select(Lecture).where(Lecture.slug == "in-conversation"))
    assert conversation.cues[1] == {"start": 2.2, "end": 4.8, "speaker": "Bo Fixture",
                                    "text": "I think the transcript comes from the cues."}
    prices = {t.code: (t.unit_amount, t.min_quantity) for t in db.session.scalars(select(PriceTier))}
    assert prices == {"self_funded": (26500, 1), "org_funded": (28000, 1), "institutional": (13500, 4),
                      "teaching": (8500, 10), "certificate": (5000, 1)}


def test_removed_question_is_retired_not_deleted(app, content_copy):
    module_dir = content_copy / "sample-module"
    assert import_content(module_dir).ok
    questions = (module_dir / "questions.yaml").read_text()
    extra = questions.replace("sample-001", "sample-003").replace("sample-002", "sample-004")
    (module_dir / "questions.yaml").write_text(questions + extra)
    assert import_content(module_dir).ok
    (module_dir / "questions.yaml").write_text(extra)
    assert import_content(module_dir).ok
    active = dict(db.session.execute(select(Question.key, Question.active)).all())
    assert active == {"sample-001": False, "sample-002": False, "sample-003": True, "sample-004": True}


def test_export_then_import_gives_the_same_state(app, runner, tmp_path):
    assert import_content(FIXTURES / "content" / "sample-module").ok
    before = snapshot()
    result = runner.invoke(args=["content", "export", "sample-module", str(tmp_path / "exported")])
    assert result.exit_code == 0, result.output
    empty_all_tables()
    report = import_content(tmp_path / "exported" / "sample-module")
    assert report.ok, report.errors
    assert snapshot() == before


def test_export_of_unknown_module_fails(runner, tmp_path):
    result = runner.invoke(args=["content", "export", "no-such-module", str(tmp_path)])
    assert result.exit_code == 1
    assert "no module with the slug 'no-such-module'" in result.output


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _break_yaml(root: Path) -> None:
    _replace(root / "sample-module" / "module.yaml", "level: introductory", "level: [introductory")


def _unknown_speaker(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "02-in-conversation.md", "bo-fixture", "nobody-known")


def _duplicate_slug(root: Path) -> None:
    lectures = root / "sample-module" / "lectures"
    (lectures / "03-first-steps.md").write_text((lectures / "01-first-steps.md").read_text())


def _missing_captions(root: Path) -> None:
    (root / "sample-module" / "lectures" / "01-first-steps.vtt").unlink()


def _negative_duration(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.md", "duration: 4.0", "duration: -4")


def _captions_not_webvtt(root: Path) -> None:
    (root / "sample-module" / "lectures" / "01-first-steps.vtt").write_text("1\n00:00:00,000 --> 00:00:01,000\nSRT\n")


def _captions_past_media(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.vtt", "00:00:03.900", "00:00:09.000")


def _broken_front_matter(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "02-in-conversation.md", "kind: conversation", "kind: : :")


def _duplicate_speaker(root: Path) -> None:
    _replace(root / "speakers.yaml", "slug: bo-fixture", "slug: ada-testwright")


def _bad_related_term(root: Path) -> None:
    _replace(root / "sample-module" / "glossary.yaml", "related: [Second idea]", "related: [Third idea]")


def _two_correct_choices(root: Path) -> None:
    _replace(root / "sample-module" / "questions.yaml", "    - text: Neither",
             "    - text: Neither\n      correct: true")


BROKEN = [
    (_break_yaml, "module.yaml:9", "but got ':' (while parsing a flow sequence at line 8)"),
    (_broken_front_matter, "02-in-conversation.md:3", "malformed YAML"),
    (_unknown_speaker, "02-in-conversation.md:4: speakers", "unknown speaker 'nobody-known'"),
    (_duplicate_slug, "03-first-steps.md: file name", "duplicate slug 'first-steps'"),
    (_missing_captions, "01-first-steps.md:8: captions", "file '01-first-steps.vtt' is missing"),
    (_negative_duration, "01-first-steps.md:6: duration", "must be at least 1"),
    (_captions_not_webvtt, "01-first-steps.vtt:1", "not a valid WebVTT file"),
    (_captions_past_media, "01-first-steps.vtt:6", "cue 2 (00:00:02.000 --> 00:00:09.000) runs past the end"),
    (_duplicate_speaker, "speakers.yaml:12: speaker 2.slug", "duplicate slug 'ada-testwright'"),
    (_bad_related_term, "glossary.yaml:3: term 1.related", "'Third idea' is not a term of this glossary"),
    (_two_correct_choices, "questions.yaml:5: question 1.choices", "exactly one choice must be correct"),
]


@pytest.mark.parametrize(("breakage", "where", "message"), BROKEN, ids=[b[0].__name__.strip("_") for b in BROKEN])
def test_broken_content_is_rejected_with_file_field_and_line(app, runner, content_copy, breakage, where, message):
    assert import_content(FIXTURES / "content" / "sample-module").ok
    before = snapshot()
    breakage(content_copy)
    module_dir = str(content_copy / "sample-module")
    for command in ("validate", "import"):
        result = runner.invoke(args=["content", command, module_dir])
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert any(where in line and message in line for line in lines), result.output
    db.session.expire_all()
    assert snapshot() == before


def test_a_failure_late_in_the_import_rolls_everything_back(app, content_copy, monkeypatch):
    """Errors from the database itself (not the checks) also leave nothing behind."""
    from coursesite.catalog.content import importer

    def failing_apply(module, data):
        raise RuntimeError("disk full")

    broken_section = importer.ContentSection(
        name="quiz", module_keys=frozenset({"quiz"}), read=app.extensions["content_sections"][1].read,
        apply=failing_apply, export=app.extensions["content_sections"][1].export,
    )
    monkeypatch.setitem(app.extensions, "content_sections", [app.extensions["content_sections"][0], broken_section])
    with pytest.raises(RuntimeError):
        import_content(content_copy / "sample-module")
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_validate_warns_about_thin_question_bank_but_passes(runner):
    result = runner.invoke(args=["content", "validate", str(FIXTURES / "content" / "sample-module")])
    assert result.exit_code == 0
    assert "2 questions for 0.5 CE hours; at least 6 per CE hour are expected" in result.output
    assert "supports up to 0.5 CE hours" in result.output


def test_validate_of_a_folder_without_modules_fails(runner, tmp_path):
    result = runner.invoke(args=["content", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "no module.yaml here" in result.output


def _nan_duration(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.md", "duration: 4.0", "duration: .nan")


def _huge_ce_hours(root: Path) -> None:
    _replace(root / "sample-module" / "module.yaml", "ce_hours: 0.5", "ce_hours: " + "9" * 400)


def _front_matter_not_a_mapping(root: Path) -> None:
    (root / "sample-module" / "lectures" / "02-in-conversation.md").write_text("---\n42\n---\nBody.\n")


def _empty_module_yaml(root: Path) -> None:
    (root / "sample-module" / "module.yaml").write_text("")


def _slug_too_long(root: Path) -> None:
    lectures = root / "sample-module" / "lectures"
    (lectures / "01-first-steps.md").rename(lectures / f"01-{'a' * 81}.md")


def _nul_in_text(root: Path) -> None:
    _replace(root / "sample-module" / "module.yaml", "subtitle: Used by the tests", 'subtitle: "Used\\0by the tests"')


def _broken_cue_timing(root: Path) -> None:
    # webvtt-py would drop this cue silently: the learner would lose a line of speech.
    _replace(root / "sample-module" / "lectures" / "01-first-steps.vtt", "00:00:02.000 -->", "00:00:0x.000 -->")


def _comma_cue_timing(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.vtt", "00:00:02.000 -->", "00:00:02,000 -->")


def _nul_in_lecture_notes(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.md", "Notes with", "Notes\x00 with")


def _voice_of_someone_else(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "02-in-conversation.vtt", "<v Bo Fixture>", "<v Sigmund Freud>")


def _duplicate_front_matter_key(root: Path) -> None:
    _replace(root / "sample-module" / "lectures" / "01-first-steps.md", "preview: true",
             "preview: true\nkind: interview")


def _speakers_not_a_list(root: Path) -> None:
    (root / "speakers.yaml").write_text("slug: ada-testwright\n")


MORE_BROKEN = [
    (_nan_duration, "01-first-steps.md:6: duration", "must be a finite number"),
    (_huge_ce_hours, "module.yaml:7: ce_hours", "must be at most 200"),
    (_front_matter_not_a_mapping, "02-in-conversation.md", "must be a mapping of fields"),
    (_empty_module_yaml, "module.yaml", "is empty"),
    (_slug_too_long, f"01-{'a' * 81}.md", "longer than 80 characters"),
    (_nul_in_text, "module.yaml:2: subtitle", "contains a control character"),
    (_speakers_not_a_list, "speakers.yaml:1", "must be a list"),
    (_broken_cue_timing, "01-first-steps.vtt:6", "is not WebVTT"),
    (_comma_cue_timing, "01-first-steps.vtt:6", "is not WebVTT"),
    (_nul_in_lecture_notes, "01-first-steps.md:12", "contains a control character"),
    (_voice_of_someone_else, "02-in-conversation.vtt:6", "voiced by 'Sigmund Freud', who is not a speaker"),
    (_duplicate_front_matter_key, "01-first-steps.md:10", "duplicate key 'kind' (first at line 3)"),
]


@pytest.mark.parametrize(("breakage", "where", "message"), MORE_BROKEN,
                         ids=[b[0].__name__.strip("_") for b in MORE_BROKEN])
def test_hostile_content_is_rejected_without_a_traceback(app, runner, content_copy, breakage, where, message, tmp_path):
    breakage(content_copy)
    result = runner.invoke(args=["content", "import", str(content_copy / "sample-module")])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert any(where in line and message in line for line in errors), result.output
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_a_broken_speakers_file_is_reported_once_without_cascading_errors(runner, content_copy):
    _speakers_not_a_list(content_copy)
    result = runner.invoke(args=["content", "validate", str(content_copy)])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "speakers.yaml" in errors[0]


def test_a_failed_import_leaves_media_root_untouched(app, content_copy):
    _captions_past_media(content_copy)
    assert not import_content(content_copy / "sample-module").ok
    media_root = Path(app.config["MEDIA_ROOT"])
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_concurrent_imports_both_succeed_with_one_copy_of_everything(app):
    import threading

    results = []

    def run_import():
        with app.app_context():
            report = import_content(FIXTURES / "content" / "sample-module")
            results.append(report.errors)
            db.session.remove()

    threads = [threading.Thread(target=run_import) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[], [], []]
    assert row_counts()["Speaker"] == 2 and row_counts()["Lecture"] == 2


def test_export_refuses_a_folder_that_already_holds_files(app, runner, tmp_path):
    assert import_content(FIXTURES / "content" / "sample-module").ok
    target = tmp_path / "exported"
    (target / "sample-module").mkdir(parents=True)
    (target / "sample-module" / "03-stale.md").write_text("old")
    result = runner.invoke(args=["content", "export", "sample-module", str(target)])
    assert result.exit_code == 1
    assert "already holds files" in result.output
    assert sorted(p.name for p in target.rglob("*")) == ["03-stale.md", "sample-module"]


def test_export_keeps_speaker_fields_it_does_not_store(app, runner, tmp_path):
    assert import_content(FIXTURES / "content" / "sample-module").ok
    target = tmp_path / "exported"
    target.mkdir()
    (target / "speakers.yaml").write_text("- slug: ada-testwright\n  name: Old name\n  voice: en-gb+f3\n"
                                          "- slug: someone-else\n  name: Someone Else\n")
    result = runner.invoke(args=["content", "export", "sample-module", str(target)])
    assert result.exit_code == 0, result.output
    exported = (target / "speakers.yaml").read_text()
    assert "voice: en-gb+f3" in exported and "name: Ada Testwright" in exported and "someone-else" in exported
