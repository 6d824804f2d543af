"""The question bank (questions.yaml) and quiz settings (``quiz:`` in module.yaml) as module content."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from coursesite.assessment.models import SHOW_ANSWERS, Choice, Question, QuizSettings
from coursesite.catalog.content.reader import LECTURE_FILE_RE
from coursesite.catalog.content.sections import ContentSection
from coursesite.catalog.content.yamlfields import Fields, Report, load_yaml_list
from coursesite.catalog.models import Module
from coursesite.extensions import db

QUESTIONS_PER_CE_HOUR = 6
QUIZ_DEFAULTS: dict[str, Any] = {"pass_percent": 75, "questions_per_attempt": 20, "max_attempts": 3,
                                 "time_limit_minutes": None, "shuffle_options": True,
                                 "show_answers": "after_last_attempt", "cooloff_days": None}


def read_quiz(module_dir: Path, module_fields: Fields, module_values: dict[str, Any],
              report: Report) -> dict[str, Any]:
    quiz: dict[str, Any] = dict(QUIZ_DEFAULTS)
    if "quiz" in module_fields.data:
        fields = Fields(module_fields.data["quiz"], module_fields.path, report, prefix="quiz.")
        fields.unknown(set(QUIZ_DEFAULTS))
        quiz.update(
            pass_percent=fields.number("pass_percent", integer=True, minimum=1, maximum=100, default=75),
            questions_per_attempt=fields.number("questions_per_attempt", integer=True, minimum=1, maximum=200,
                                                default=20),
            max_attempts=fields.number("max_attempts", integer=True, minimum=1, maximum=20, default=3),
            time_limit_minutes=fields.number("time_limit_minutes", integer=True, minimum=1, maximum=600,
                                             required=False, default=None),
            shuffle_options=fields.flag("shuffle_options", default=True),
            show_answers=fields.choice("show_answers", SHOW_ANSWERS, required=False, default="after_last_attempt"),
            cooloff_days=fields.number("cooloff_days", integer=True, minimum=1, maximum=365, required=False,
                                       default=None),
        )
    lecture_slugs = {match.group(2) for path in sorted((module_dir / "lectures").glob("*.md"))
                     if (match := LECTURE_FILE_RE.match(path.name))}
    questions = _read_questions(module_dir / "questions.yaml", len(module_values["objectives"]), report,
                                lecture_slugs)
    hours = module_values["ce_hours"] or 0
    path = module_dir / "questions.yaml"
    if len(questions) < quiz["questions_per_attempt"]:
        report.error(path, f"{len(questions)} questions, but an attempt draws {quiz['questions_per_attempt']}")
    if hours and len(questions) < QUESTIONS_PER_CE_HOUR * hours:
        report.warn(path, f"{len(questions)} questions for {hours:g} CE hours; "
                          f"at least {QUESTIONS_PER_CE_HOUR} per CE hour are expected")
    return {"settings": quiz, "questions": questions}


def _read_questions(path: Path, objective_count: int, report: Report,
                    lecture_slugs: set[str] | None = None) -> list[dict[str, Any]]:
    """The questions of ``path``; each may name the ``lecture`` (its slug) that teaches it, one of
    ``lecture_slugs`` (None: not checked)."""
    questions: list[dict[str, Any]] = []
    keys: set[str] = set()
    for index, item in enumerate(load_yaml_list(path, report, required=True), start=1):
        fields = Fields(item, path, report, prefix=f"question {index}.")
        fields.unknown({"key", "objective", "prompt", "choices", "explanation", "lecture"})
        lecture = fields.slug("lecture", required=False)
        if lecture and lecture_slugs is not None and lecture not in lecture_slugs:
            fields.error("lecture", f"{lecture!r} is not a lecture of this module")
        key = fields.slug("key")
        if key in keys:
            fields.error("key", f"duplicate key {key!r}")
        keys.add(key)
        choices: list[dict[str, Any]] = []
        raw_choices = fields.items("choices", max_items=8)
        for c_index, raw in enumerate(raw_choices, start=1):
            c_fields = Fields(raw, path, report, prefix=f"question {index}.choices {c_index}.")
            c_fields.unknown({"text", "correct"})
            choices.append({"text": c_fields.text("text", max_len=1000), "correct": c_fields.flag("correct")})
        if raw_choices and not 3 <= len(choices) <= 5:
            fields.error("choices", f"has {len(choices)} choices; a question needs 3 to 5")
        if choices and sum(choice["correct"] for choice in choices) != 1:
            fields.error("choices", "exactly one choice must be correct")
        questions.append({
            "key": key,
            "objective": fields.number("objective", integer=True, minimum=1, maximum=max(objective_count, 1)),
            "prompt": fields.text("prompt", max_len=3000),
            "explanation": fields.text("explanation", max_len=3000),
            "lecture": lecture,
            "choices": choices,
        })
    return questions


def apply_quiz(module: Module, data: dict[str, Any]) -> None:
    settings = db.session.scalar(select(QuizSettings).where(QuizSettings.module_id == module.id))
    settings = settings or QuizSettings(module_id=module.id)
    for name, value in data["settings"].items():
        setattr(settings, name, value)
    db.session.add(settings)
    existing = {q.key: q for q in db.session.scalars(select(Question).where(Question.module_id == module.id))}
    for position, item in enumerate(data["questions"], start=1):
        question = existing.pop(item["key"], None) or Question(module_id=module.id, key=item["key"])
        question.position, question.objective = position, item["objective"]
        question.prompt, question.explanation, question.active = item["prompt"], item["explanation"], True
        question.lecture_slug = item["lecture"]
        _sync_choices(question, item["choices"])
        db.session.add(question)
    for retired in existing.values():
        retired.active = False


def _sync_choices(question: Question, items: list[dict[str, Any]]) -> None:
    by_position = {choice.position: choice for choice in question.choices}
    question.choices = [
        _fill_choice(by_position.get(position) or Choice(position=position), item)
        for position, item in enumerate(items, start=1)
    ]


def _fill_choice(choice: Choice, item: dict[str, Any]) -> Choice:
    choice.text, choice.correct = item["text"], item["correct"]
    return choice


def export_quiz(module: Module) -> tuple[dict[str, Any], dict[str, Any]]:
    settings = db.session.scalar(select(QuizSettings).where(QuizSettings.module_id == module.id))
    quiz = {name: getattr(settings, name) for name in QUIZ_DEFAULTS} if settings else dict(QUIZ_DEFAULTS)
    for optional in ("time_limit_minutes", "cooloff_days"):
        if quiz[optional] is None:
            del quiz[optional]
    questions = db.session.scalars(
        select(Question).where(Question.module_id == module.id, Question.active.is_(True)).order_by(Question.position)
    )
    files = [{
        "key": q.key, "objective": q.objective, **({"lecture": q.lecture_slug} if q.lecture_slug else {}),
        "prompt": q.prompt,
        "choices": [{"text": c.text, **({"correct": True} if c.correct else {})} for c in q.choices],
        "explanation": q.explanation,
    } for q in questions]
    return {"quiz": quiz}, {"questions.yaml": files}


def questions_per_attempt_of(data: dict[str, Any]) -> int:
    """How many questions one attempt asks (the bank may be smaller only in a module with errors)."""
    return min(int(data["settings"]["questions_per_attempt"]), len(data["questions"]))


QUIZ_SECTION = ContentSection(
    name="quiz", module_keys=frozenset({"quiz"}), read=read_quiz, apply=apply_quiz, export=export_quiz,
    test_questions=questions_per_attempt_of,
)
