"""The multiple-choice banks in content/*/questions.yaml cannot be passed by test-taking cues alone.

Guards against the regressions an audit found: correct answers that are predictably the second-longest option,
absolute words ("always", "only", ...) that mark the wrong options, correct positions arranged in a pattern, and
quotations attributed to real authors.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from coursesite.assessment.content import _read_questions
from coursesite.catalog.content.yamlfields import Report

CONTENT = Path(__file__).resolve().parents[2] / "content"
BANKS = sorted(path.parent.name for path in CONTENT.glob("*/questions.yaml"))

MAX_RANK_SHARE = 0.35        # no length rank of the correct option (1 = longest) above this share of questions
MAX_POSITION_SHARE = 0.35    # no position (1st, 2nd, ...) holding more than this share of correct answers
MAX_STEP_SHARE = 0.40        # no single step between consecutive correct positions (a cycle) above this share
MAX_ABSOLUTE_GAP = 12.0      # percentage points between correct and wrong options that use absolute words
ABSOLUTE_RE = re.compile(r"\b(always|only|never|all|no|must|entirely|solely)\b", re.IGNORECASE)
QUOTED_RE = re.compile(r"\"([^\"]+)\"|\u201c([^\u201d]+)\u201d")


def _objectives(slug: str) -> list:
    return yaml.safe_load((CONTENT / slug / "module.yaml").read_text(encoding="utf-8"))["objectives"]


def _questions(slug: str) -> list[dict]:
    report = Report()
    questions = _read_questions(CONTENT / slug / "questions.yaml", len(_objectives(slug)), report)
    assert report.errors == [], "\n".join(map(str, report.errors))
    return questions


def _correct_index(question: dict) -> int:
    return next(i for i, choice in enumerate(question["choices"]) if choice["correct"])


def _length_rank(question: dict) -> int:
    """1 if the correct option is the longest (by characters), 2 if one option is longer, and so on."""
    length = len(question["choices"][_correct_index(question)]["text"])
    return 1 + sum(len(choice["text"]) > length for choice in question["choices"])


def _shares(counter: Counter, total: int) -> str:
    return ", ".join(f"{key}: {count / total:.0%}" for key, count in sorted(counter.items()))


def _author_surnames(slug: str) -> set[str]:
    """Surnames of the authors in the module's bibliography ("Greenberg, J. R., & Mitchell, S. A." -> both)."""
    names = set()
    for entry in yaml.safe_load((CONTENT / slug / "bibliography.yaml").read_text(encoding="utf-8")) or []:
        for part in re.split(r",|&", str(entry.get("authors", ""))):
            part = part.strip()
            if re.search(r"[a-z]{2}", part) and part not in {"Eds.", "Ed.", "et al."}:
                names.add(part)
    return names


@pytest.mark.parametrize("slug", BANKS)
def test_every_question_is_well_formed(slug):
    objectives = _objectives(slug)
    for question in _questions(slug):
        key = question["key"]
        assert len(question["choices"]) >= 3, f"{slug} {key}: fewer than 3 choices"
        assert sum(choice["correct"] for choice in question["choices"]) == 1, f"{slug} {key}: not exactly one correct"
        assert question["explanation"] and question["explanation"].strip(), f"{slug} {key}: empty explanation"
        assert question["prompt"] and question["prompt"].strip(), f"{slug} {key}: empty prompt"
        assert 1 <= question["objective"] <= len(objectives), (
            f"{slug} {key}: objective {question['objective']} is not one of the module's {len(objectives)}")
        texts = [choice["text"].strip() for choice in question["choices"]]
        assert len(set(texts)) == len(texts), f"{slug} {key}: duplicate choices"


@pytest.mark.parametrize("slug", BANKS)
def test_the_longest_or_second_longest_option_is_not_a_cue(slug):
    questions = _questions(slug)
    ranks = Counter(_length_rank(question) for question in questions)
    rank, count = ranks.most_common(1)[0]
    assert count / len(questions) <= MAX_RANK_SHARE, (
        f"{slug}: the correct option has length rank {rank} (1 = longest) in {count} of {len(questions)} questions; "
        f"shares by rank: {_shares(ranks, len(questions))}. Rewrite options so that length does not give it away.")


@pytest.mark.parametrize("slug", BANKS)
def test_correct_positions_are_spread_and_not_patterned(slug):
    positions = [_correct_index(question) for question in _questions(slug)]
    counts = Counter(positions)
    position, count = counts.most_common(1)[0]
    assert count / len(positions) <= MAX_POSITION_SHARE, (
        f"{slug}: choice {position + 1} is correct in {count} of {len(positions)} questions; "
        f"shares by position (0-based): {_shares(counts, len(positions))}")
    steps = Counter((after - before) % 4 for before, after in pairwise(positions))
    step, count = steps.most_common(1)[0]
    assert count / (len(positions) - 1) <= MAX_STEP_SHARE, (
        f"{slug}: the correct position moves by +{step} (mod 4) from one question to the next in {count} of "
        f"{len(positions) - 1} transitions, a pattern; steps: {_shares(steps, len(positions) - 1)}. "
        "Shuffle the choices (e.g. random.Random(question key)).")


@pytest.mark.parametrize("slug", BANKS)
def test_absolute_words_do_not_mark_the_wrong_options(slug):
    choices = [choice for question in _questions(slug) for choice in question["choices"]]
    correct = [c["text"] for c in choices if c["correct"]]
    wrong = [c["text"] for c in choices if not c["correct"]]
    correct_share = 100 * sum(bool(ABSOLUTE_RE.search(text)) for text in correct) / len(correct)
    wrong_share = 100 * sum(bool(ABSOLUTE_RE.search(text)) for text in wrong) / len(wrong)
    assert abs(correct_share - wrong_share) <= MAX_ABSOLUTE_GAP, (
        f"{slug}: {wrong_share:.1f}% of wrong options but {correct_share:.1f}% of correct options use an absolute "
        f"word ({ABSOLUTE_RE.pattern}); remove gratuitous absolutes from distractors")


@pytest.mark.parametrize("slug", BANKS)
def test_no_quotation_is_attributed_to_a_real_author(slug):
    """Quoted phrases of four or more words may be fictional dialogue, but not alongside a cited author's name."""
    surnames = _author_surnames(slug)
    assert surnames, f"{slug}: no authors found in bibliography.yaml"
    problems = []
    for question in _questions(slug):
        fields = {"prompt": question["prompt"], "explanation": question["explanation"]}
        fields.update({f"choice {i}": c["text"] for i, c in enumerate(question["choices"], start=1)})
        for name, text in fields.items():
            quotes = [a or b for a, b in QUOTED_RE.findall(text)]
            long_quotes = [quote for quote in quotes if len(quote.split()) >= 4]
            named = sorted(s for s in surnames if re.search(rf"\b{re.escape(s)}\b", text))
            if long_quotes and named:
                problems.append(f"{question['key']} {name}: quotes {long_quotes} next to {named}")
    assert not problems, (f"{slug}: describe published ideas in your own words instead of quoting their authors:\n"
                          + "\n".join(problems))
