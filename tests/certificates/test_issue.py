"""Issuing: the snapshot, the code, the mail, issuing inside the evaluation's transaction, once per attempt, and
immutability after the module or the learner's name change."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from coursesite.assessment.signals import SENDER, evaluation_saved
from coursesite.catalog.models import CERTIFICATE_FORMAT
from coursesite.certificates.models import Certificate, ImmutableCertificateError
from coursesite.certificates.pdf import render_certificate
from coursesite.certificates.services import issue_certificate, verification
from coursesite.extensions import db
from tests.certificates.pdf_support import pdf_text
from tests.factories import certify, evaluate, pass_test
from tests.support import reload


def test_a_certificate_freezes_the_participant_module_hours_sponsor_and_approvals(learner, module):
    certificate = certify(learner, module)
    snapshot = certificate.snapshot
    assert snapshot["participant"] == {"name": learner.full_name, "licence_number": "PSY-004217",
                                       "licence_jurisdiction": "Wisconsin"}
    assert snapshot["module"]["title"] == "A Sample Module" and snapshot["ce_hours"] == 0.5
    assert snapshot["format"] == CERTIFICATE_FORMAT == "Home study / on-demand online"
    assert snapshot["completed_on"] == certificate.issued_at.date().isoformat()
    assert snapshot["sponsor"] == {
        "name": "Coursesite Continuing Education",
        "contact": "40 Harbour Lane, Suite 3, Portland, ME 04101, USA · ce@coursesite.example · +1 207 555 0142",
        "signatory_name": "Dr. Miriam Okonkwo-Hale", "signatory_title": "Director of Continuing Education"}
    [approval] = snapshot["approvals"]
    assert approval["body"] == "APA" and approval["credits"] == 0.5
    assert approval["statement"].startswith("Coursesite Continuing Education is approved by the American "
                                            "Psychological Association to sponsor continuing education")


def test_codes_carry_at_least_128_random_bits_and_are_url_safe(learner, other, module):
    codes = {certify(learner, module).code, certify(other, module).code}
    assert len(codes) == 2
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", code)  # 43 base64url characters: 258 bits' room, 256 random


def test_issuing_queues_a_mail_with_the_certificate_link(app, learner, module, mailbox):
    certificate = certify(learner, module)
    message = mailbox.last_to(learner.email)
    assert "A Sample Module" in message.subject
    base = app.config["BASE_URL"]
    assert set(message.links()) == {f"{base}/certificates", f"{base}/certificates/verify/{certificate.code}"}


def test_the_evaluation_saved_signal_issues_in_the_senders_transaction(learner, module):
    evaluation_saved.send(SENDER, user_id=learner.id, module_id=module.id, attempt_id=41, evaluation_id=7)
    db.session.rollback()  # the evaluation failed to save: no certificate either
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    evaluation_saved.send(SENDER, user_id=learner.id, module_id=module.id, attempt_id=41, evaluation_id=8)
    db.session.commit()
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None and (certificate.user_id, certificate.attempt_id) == (learner.id, 41)


def test_issuing_twice_for_one_attempt_gives_one_certificate(learner, module):
    first = issue_certificate(learner.id, module.id, 12)
    again = issue_certificate(learner.id, module.id, 12)
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_the_certificate_stays_the_same_after_the_module_and_the_name_change(app, learner, module):
    certificate = certify(learner, module)
    url = f"http://example.org/certificates/verify/{certificate.code}"
    before = render_certificate(certificate.snapshot, certificate.code, certificate.issued_at, url)
    module.title, module.ce_hours, module.sponsor_name = "A Renamed Module", 9.0, "Someone Else"
    learner.full_name = "Zoe Renamed"
    db.session.commit()
    certificate = reload(certificate)
    after = render_certificate(certificate.snapshot, certificate.code, certificate.issued_at, url)
    assert after == before
    text = pdf_text(after)
    assert "Zoë Łukasiewicz-Ōtsuka" in text and "A Sample Module" in text and "CE hours: 0.5" in text
    assert "Renamed" not in text and "Someone Else" not in text
    shown = verification(certificate.code)
    assert shown is not None and (shown.holder, shown.module_title, shown.ce_hours) == (
        "Zoë Łukasiewicz-Ōtsuka", "A Sample Module", 0.5)


@pytest.mark.parametrize("change", [
    {"snapshot": {"participant": {"name": "Forged"}}},
    {"code": "another-code"},
    {"issued_at": datetime(2020, 1, 1, tzinfo=UTC)},
])
def test_the_orm_refuses_to_change_what_a_certificate_certifies(learner, module, change):
    certificate = certify(learner, module)
    for name, value in change.items():
        setattr(certificate, name, value)
    with pytest.raises(ImmutableCertificateError):
        db.session.flush()
    db.session.rollback()
    assert reload(certificate).snapshot["participant"]["name"] == learner.full_name


def test_passing_the_test_and_saving_the_evaluation_issues_the_certificate(learner, module, mailbox):
    """The whole path through assessment's services: the passed attempt, the evaluation, the certificate."""
    attempt = pass_test(learner, module)
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0  # not before the evaluation
    evaluate(learner, module)
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None
    assert (certificate.user_id, certificate.module_id, certificate.attempt_id) == (learner.id, module.id, attempt.id)
    assert mailbox.last_to(learner.email).subject == "Your CE certificate: A Sample Module"
