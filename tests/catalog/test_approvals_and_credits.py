"""Approvals, sponsor and CE credits as content (issue 15, "Approvals as content", "Credits that the content
supports"): the validator refuses a certificate without them and hours the material does not support."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from coursesite.billing.services import tiers_for
from coursesite.catalog.content import import_content, validate_content
from coursesite.catalog.content.approvals import CreditCalculation, apa_statement
from coursesite.catalog.models import Approval, Module
from coursesite.extensions import db

SPONSOR = "Coursesite Continuing Education"


def module_yaml(root: Path) -> Path:
    return root / "sample-module" / "module.yaml"


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def messages(report) -> list[str]:
    return [str(problem) for problem in report.errors]


def test_the_fixture_module_imports_its_sponsor_and_approvals(app, sample_module):
    module = db.session.scalar(select(Module).where(Module.slug == sample_module))
    assert (module.offers_certificate, module.sponsor_name, module.signatory_title) == \
        (True, SPONSOR, "Director of Continuing Education")
    assert [(a.body, a.credits) for a in module.approvals] == [("APA", 0.5)]
    assert module.approvals[0].statement == apa_statement(SPONSOR)


def test_the_module_page_shows_the_approvals_and_sponsor(app, sample_module, client):
    html = client.get(f"/modules/{sample_module}").get_data(as_text=True)
    assert "Approvals and sponsor" in html
    assert apa_statement(SPONSOR) in html
    assert "Dr. Miriam Okonkwo-Hale, Director of Continuing Education" in html
    assert "Home study / on-demand online" in html


def test_a_certificate_without_sponsor_or_approvals_is_refused(app, content_copy):
    text = module_yaml(content_copy).read_text()
    module_yaml(content_copy).write_text(text[:text.index("sponsor:")] + text[text.index("quiz:"):])
    problems = messages(validate_content(content_copy))
    assert any("module.yaml:1: sponsor: the module offers a certificate" in p for p in problems)
    assert any("approvals: the module offers a certificate, so it needs at least one approving body" in p
               for p in problems)


def test_a_module_without_a_certificate_needs_no_approvals(app, content_copy):
    text = module_yaml(content_copy).read_text()
    module_yaml(content_copy).write_text(text[:text.index("sponsor:")] + "certificate: false\napprovals: none\n"
                                         + text[text.index("quiz:"):])
    report = validate_content(content_copy)
    assert report.ok, messages(report)


def test_a_module_without_a_certificate_does_not_sell_one(app, content_copy, client):
    text = module_yaml(content_copy).read_text()
    module_yaml(content_copy).write_text(text[:text.index("sponsor:")] + "certificate: false\napprovals: none\n"
                                         + text[text.index("quiz:"):])
    assert import_content(content_copy).ok
    module = db.session.scalar(select(Module).where(Module.slug == "sample-module"))
    assert [tier.code for tier in tiers_for(module.id) if tier.grants == "certificate"] == []
    page = client.get("/modules/sample-module").get_data(as_text=True)
    assert "/checkout/sample-module/certificate" not in page and "Test and certificate" not in page


def test_apas_statement_must_be_word_for_word(app, content_copy):
    replace(module_yaml(content_copy), "maintains responsibility for this program", "is responsible for this program")
    problems = messages(validate_content(content_copy))
    assert any("approvals 1.statement: must be APA's standard wording, word for word" in p for p in problems)
    assert any("module.yaml:" in p and "approvals 1.statement" in p for p in problems)


@pytest.mark.parametrize(("entry", "expected"), [
    ("  - body: NBCC\n    statement: Approved by NBCC.\n    credits: 0.5\n",
     "approvals 2.provider_number: is required"),
    ('  - body: NBCC\n    provider_number: "77"\n    statement: Approved.\n    credits: 0.5\n',
     "must quote the provider number '77'"),
    ('  - body: ASWB ACE\n    provider_number: "9"\n    statement: Provider 9.\n    credits: 0.5\n',
     "approvals 2.approval_period: is required"),
    ("  - body: CE Board\n    statement: Approved.\n    credits: 0.5\n",
     "'CE Board' is not one of: APA, ASWB ACE, NBCC"),
    ("  - body: APA\n    statement: Twice.\n    credits: 0.5\n", "'APA' is listed twice"),
    ('  - body: NBCC\n    provider_number: "7"\n    statement: ACEP 7.\n    credits: 3\n',
     "3 credits, more than the module's 0.5 CE hours"),
])
def test_each_approval_is_checked(app, content_copy, entry, expected):
    replace(module_yaml(content_copy), "quiz:", entry + "quiz:")
    assert any(expected in p for p in messages(validate_content(content_copy))), expected


def test_claiming_more_hours_than_the_material_supports_is_refused_with_the_calculation(app, content_copy, runner):
    replace(module_yaml(content_copy), "ce_hours: 0.5", "ce_hours: 2")
    replace(module_yaml(content_copy), "credits: 0.5", "credits: 2")
    result = runner.invoke(args=["content", "validate", str(content_copy)])
    assert result.exit_code == 1
    assert "ce_hours: claims 2 CE hours but its material supports 0.5" in result.output
    assert "guide words at 200 wpm" in result.output and "test 2 questions x 1.5 min" in result.output


def test_the_validator_shows_the_credit_calculation(app, runner, content_copy):
    result = runner.invoke(args=["content", "validate", str(content_copy)])
    assert result.exit_code == 0, result.output
    assert "note: " in result.output
    assert "credit calculation: 0.1 min of recordings (1:1) + 6790 guide words" in result.output


def test_the_credit_formula():
    calculation = CreditCalculation(recorded_minutes=30, guide_words=4000, test_questions=10)
    assert calculation.reading_minutes == 20 and calculation.test_minutes == 15
    assert calculation.total_minutes == 65
    assert calculation.supportable_hours == 1.0
    assert CreditCalculation(recorded_minutes=59.9, guide_words=0, test_questions=0).supportable_hours == 0.5
    assert CreditCalculation(recorded_minutes=90, guide_words=0, test_questions=0).supportable_hours == 1.5


def test_an_import_replaces_the_approvals_and_export_writes_them_back(app, content_copy, runner, tmp_path):
    replace(module_yaml(content_copy), "quiz:", '  - body: NBCC\n    provider_number: "7319"\n'
            '    statement: Approved by NBCC as an ACEP, No. 7319.\n    credits: 0.5\nquiz:')
    assert import_content(content_copy).ok
    assert [a.body for a in db.session.scalars(select(Approval).order_by(Approval.position))] == ["APA", "NBCC"]
    result = runner.invoke(args=["content", "export", "sample-module", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    exported = (tmp_path / "out" / "sample-module" / "module.yaml").read_text()
    assert "body: NBCC" in exported and "provider_number: '7319'" in exported
    assert "signatory: Dr. Miriam Okonkwo-Hale" in exported
    text = module_yaml(content_copy).read_text()
    module_yaml(content_copy).write_text(text.replace(text[text.index("  - body: NBCC"):text.index("quiz:")], ""))
    assert import_content(content_copy).ok
    assert [a.body for a in db.session.scalars(select(Approval))] == ["APA"]
