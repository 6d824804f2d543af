"""Who approves a module for CE credit, who sponsors it, and how many hours its material supports.

In module.yaml (docs/content-format.md)::

    certificate: true            # the test and certificate are offered (the default)
    sponsor:
      name: Coursesite Continuing Education
      contact: 12 Example Row, Springfield · ce@coursesite.example · +1 555 0100
      signatory: Dr. Jane Example
      signatory_title: Director of Continuing Education
    approvals:                   # or "none"
      - body: APA                # APA | ASWB ACE | NBCC
        statement: ...           # word for word; APA's is the standard wording with the sponsor's name
        credits: 1.5
      - body: ASWB ACE
        provider_number: "1234"
        approval_period: 1 January 2026 to 1 January 2029
        statement: ...           # must quote the provider number and the approval period
        credits: 1.5

A module that offers the certificate names its sponsor (name, contact, signatory and title) and at least one
approving body: a certificate without them is worth nothing to a licensing board.

**Credits the material supports** (what approving bodies check; NBCC asks for the calculation): recorded minutes
count one for one, guide text at 200 words a minute, and the test at 1.5 minutes per question an attempt draws.
The sum in hours, rounded down to the half hour, is the most a module may claim (``ce_hours``), and no approval may
give more credits than ``ce_hours``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursesite.catalog.content.yamlfields import Fields, Report
from coursesite.catalog.models import APPROVING_BODIES

READING_WORDS_PER_MINUTE = 200
TEST_MINUTES_PER_QUESTION = 1.5
CREDIT_STEP_HOURS = 0.5
WORD_RE = re.compile(r"[\w'’-]+")


def apa_statement(sponsor: str) -> str:
    """APA's standard approval statement for ``sponsor``, word for word."""
    return (f"{sponsor} is approved by the American Psychological Association to sponsor continuing education for "
            f"psychologists. {sponsor} maintains responsibility for this program and its content.")


def read_approvals(fields: Fields, report: Report, ce_hours: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The module's certificate flag and sponsor columns, and its approvals, checked."""
    offers = fields.flag("certificate", default=True)
    sponsor = _read_sponsor(fields, report)
    approvals = _read_list(fields, report, sponsor["sponsor_name"], ce_hours)
    if offers:
        missing = [label for key, label in (("sponsor_name", "name"), ("sponsor_contact", "contact"),
                                            ("signatory_name", "signatory"), ("signatory_title", "signatory_title"))
                   if not sponsor[key]]
        if missing:
            fields.error("sponsor", "the module offers a certificate, so its sponsor block needs "
                                    + ", ".join(missing) + " (or set certificate: false)")
        if not approvals:
            fields.error("approvals", "the module offers a certificate, so it needs at least one approving body "
                                      f"({', '.join(APPROVING_BODIES)}) (or set certificate: false)")
    return {"offers_certificate": offers, **sponsor}, approvals


def _read_sponsor(fields: Fields, report: Report) -> dict[str, str]:
    empty = {"sponsor_name": "", "sponsor_contact": "", "signatory_name": "", "signatory_title": ""}
    if fields.data.get("sponsor") is None:
        return empty
    block = Fields(fields.data["sponsor"], fields.path, report, prefix="sponsor.")
    block.unknown({"name", "contact", "signatory", "signatory_title"})
    return {
        "sponsor_name": block.text("name", max_len=200),
        "sponsor_contact": block.text("contact", max_len=500),
        "signatory_name": block.text("signatory", max_len=200),
        "signatory_title": block.text("signatory_title", max_len=200),
    }


def _read_list(fields: Fields, report: Report, sponsor: str, ce_hours: float) -> list[dict[str, Any]]:
    if fields.data.get("approvals") in (None, "none"):
        return []
    approvals: list[dict[str, Any]] = []
    for index, item in enumerate(fields.items("approvals", max_items=len(APPROVING_BODIES)), start=1):
        entry = Fields(item, fields.path, report, prefix=f"approvals {index}.")
        entry.unknown({"body", "statement", "provider_number", "approval_period", "credits"})
        body = entry.choice("body", APPROVING_BODIES)
        if body and any(other["body"] == body for other in approvals):
            entry.error("body", f"{body!r} is listed twice")
        statement = entry.text("statement", max_len=2000)
        provider = entry.text("provider_number", required=body in ("ASWB ACE", "NBCC"), max_len=80)
        period = entry.text("approval_period", required=body == "ASWB ACE", max_len=120)
        amount = float(entry.number("credits", minimum=0.25, maximum=200))
        if amount > ce_hours:
            entry.error("credits", f"{amount:g} credits, more than the module's {ce_hours:g} CE hours")
        if body == "APA" and sponsor and statement and statement != apa_statement(sponsor):
            entry.error("statement", f"must be APA's standard wording, word for word: {apa_statement(sponsor)!r}")
        if provider and statement and provider not in statement:
            entry.error("statement", f"must quote the provider number {provider!r}")
        if body == "ASWB ACE" and period and statement and period not in statement:
            entry.error("statement", f"must quote the approval period {period!r}")
        approvals.append({"body": body, "statement": statement, "provider_number": provider,
                          "approval_period": period, "credits": amount})
    return approvals


@dataclass(frozen=True)
class CreditCalculation:
    recorded_minutes: float
    guide_words: int
    test_questions: int

    @property
    def reading_minutes(self) -> float:
        return self.guide_words / READING_WORDS_PER_MINUTE

    @property
    def test_minutes(self) -> float:
        return self.test_questions * TEST_MINUTES_PER_QUESTION

    @property
    def total_minutes(self) -> float:
        return self.recorded_minutes + self.reading_minutes + self.test_minutes

    @property
    def supportable_hours(self) -> float:
        """The total in hours, rounded down to the half hour."""
        return math.floor(self.total_minutes / 60 / CREDIT_STEP_HOURS + 1e-9) * CREDIT_STEP_HOURS

    def explain(self) -> str:
        return (f"credit calculation: {self.recorded_minutes:.1f} min of recordings (1:1) + {self.guide_words} "
                f"guide words at {READING_WORDS_PER_MINUTE} wpm ({self.reading_minutes:.1f} min) + test "
                f"{self.test_questions} questions x {TEST_MINUTES_PER_QUESTION:g} min ({self.test_minutes:.1f} min) "
                f"= {self.total_minutes:.1f} min = {self.total_minutes / 60:.2f} h; supports up to "
                f"{self.supportable_hours:g} CE hours (rounded down to the half hour)")


def word_count(text: str) -> int:
    return len(WORD_RE.findall(text))


def check_credits(path: Path, ce_hours: float, calculation: CreditCalculation, report: Report) -> None:
    """Show the calculation; refuse a module claiming more hours than its material supports."""
    report.note(path, calculation.explain(), field="ce_hours")
    if ce_hours > calculation.supportable_hours:
        report.error(path, f"claims {ce_hours:g} CE hours but its material supports {calculation.supportable_hours:g}"
                           f" ({calculation.explain()})", field="ce_hours")
