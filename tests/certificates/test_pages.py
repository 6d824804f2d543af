"""The learner's certificates page (CE transcript, reflection notes), the public verification page in each state and
its form, 404s for what is not yours, and the records kept when an account is deleted."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from coursesite.certificates import services
from coursesite.certificates.models import Certificate, ReflectionNote
from coursesite.extensions import db
from tests.certificates.pdf_support import pdf_text
from tests.factories import PASSWORD, certify, make_module, make_user
from tests.support import login_as, post_form, reload


def issued_on(monkeypatch, day: datetime) -> None:
    """Certificates issued from now on carry ``day`` as their issue time (and completion date)."""
    monkeypatch.setattr(services, "_issued_now", lambda: day)


# Verification ---------------------------------------------------------------------------------------------------------

def test_a_valid_certificate_shows_its_public_facts_and_nothing_else_personal(app, learner, module):
    certificate = certify(learner, module)
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and "<strong>Valid.</strong>" in page.text
    for fact in ("Zoë Łukasiewicz-Ōtsuka", "A Sample Module", "<dd>0.5</dd>", certificate.snapshot["completed_on"],
                 "Coursesite Continuing Education", "Record intact"):
        assert fact in page.text
    for private in (learner.email, "PSY-004217", "Wisconsin", "Harbour Lane"):
        assert private not in page.text


def test_a_revoked_certificate_shows_the_date_not_the_reason(app, learner, admin, module):
    certificate = certify(learner, module)
    services.revoke(certificate.id, "Attendance record found falsified", admin)
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200
    assert f"Revoked</strong> on {datetime.now(UTC).date().isoformat()}" in page.text
    assert "falsified" not in page.text


def test_a_superseded_certificate_links_to_its_reissue(app, learner, admin, module):
    old = certify(learner, module)
    new = services.reissue(old.id, "Zoë Łukasiewicz", "Name corrected at the learner's request", admin)
    page = app.test_client().get(f"/certificates/verify/{old.code}")
    assert "<strong>Superseded.</strong>" in page.text
    assert f'href="/certificates/verify/{new.code}"' in page.text
    current = app.test_client().get(f"/certificates/verify/{new.code}")
    assert "<strong>Valid.</strong>" in current.text and "Zoë Łukasiewicz</dd>" in current.text


def test_the_verification_page_costs_a_fixed_number_of_queries(app, learner, admin, module, count_queries):
    old = certify(learner, module)
    new = services.reissue(old.id, "Zoë Ł.", "Name corrected", admin)
    client = app.test_client()
    client.get(f"/certificates/verify/{new.code}")  # warm the templates
    for code in (new.code, old.code):  # valid; superseded (which also looks up the new code)
        with count_queries() as counter:
            assert client.get(f"/certificates/verify/{code}").status_code == 200
        assert len(counter.statements) <= 3, counter.statements


def test_an_unknown_code_is_404(app, learner, module):
    certify(learner, module)
    assert app.test_client().get("/certificates/verify/not-a-real-code").status_code == 404
    assert app.test_client().get(f"/certificates/verify/{'x' * 500}").status_code == 404


@pytest.mark.parametrize("typed", ["{code}", "  {code} ", "https://ce.example.org/certificates/verify/{code}",
                                   "http://127.0.0.1:5000/certificates/verify/{code}/"])
def test_the_form_takes_a_code_or_a_pasted_link(app, learner, module, typed):
    certificate = certify(learner, module)
    response = app.test_client().get("/certificates/verify", query_string={"code": typed.format(
        code=certificate.code)})
    assert response.status_code == 302 and response.location == f"/certificates/verify/{certificate.code}"


def test_the_form_asks_again_for_an_empty_code(app):
    assert app.test_client().get("/certificates/verify").status_code == 200
    page = app.test_client().get("/certificates/verify?code=+")
    assert page.status_code == 422 and "Enter the code printed on the certificate." in page.text


def test_verification_is_rate_limited(limited_app, learner, module):
    certificate = certify(learner, module)
    client = limited_app.test_client()
    statuses = [client.get(f"/certificates/verify/{certificate.code}").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


# The learner's page --------------------------------------------------------------------------------------------------

def test_the_page_lists_certificates_and_totals_ce_hours_per_year(app, learner, admin, module, monkeypatch):
    other_module = make_module("ethics", "Ethics in Telehealth", ce_hours=2.0)
    issued_on(monkeypatch, datetime(2025, 3, 1, 9, tzinfo=UTC))
    certify(learner, module)
    certify(learner, other_module)
    issued_on(monkeypatch, datetime(2026, 2, 1, 9, tzinfo=UTC))
    counted = certify(learner, other_module)
    revoked = certify(learner, module)
    services.revoke(revoked.id, "Issued by mistake", admin)
    services.reissue(counted.id, "Zoë Ł. Ōtsuka", "Name corrected", admin)  # counted once, through its reissue
    transcript = services.transcript(reload(learner))
    assert transcript.hours_by_year == {2025: 2.5, 2026: 2.0} and transcript.total_hours == 4.5
    page = login_as(app, learner).get("/certificates")
    assert page.status_code == 200
    assert '<th scope="row">2025</th><td>2.5</td>' in page.text
    assert '<th scope="row">2026</th><td>2</td>' in page.text
    assert '<th scope="row">Total</th><td>4.5</td>' in page.text
    today = datetime.now(UTC)
    assert page.text.count(f"Revoked on {today.day} {today:%B %Y}") == 1
    assert "Replaced by a reissued certificate" in page.text


def test_the_page_costs_a_fixed_number_of_queries(app, learner, module, count_queries):
    client = login_as(app, learner)
    for _ in range(3):
        certify(learner, module)
    client.get("/certificates")  # warm: the login session and templates
    with count_queries() as counter:
        assert client.get("/certificates").status_code == 200
    few = len(counter.statements)
    for _ in range(3):
        certify(learner, module)
    with count_queries() as counter:
        assert client.get("/certificates").status_code == 200
    assert len(counter.statements) == few <= 6


def test_a_reflection_note_is_saved_shown_and_cleared(app, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, learner)
    field = f"r{certificate.id}-text"
    response = post_form(client, f"/certificates/{certificate.code}/reflection",
                         {field: "I now ask about sleep at intake."}, page="/certificates")
    assert response.status_code == 302
    assert "I now ask about sleep at intake." in client.get("/certificates").text
    post_form(client, f"/certificates/{certificate.code}/reflection", {field: "   "}, page="/certificates")
    assert db.session.scalar(select(ReflectionNote)) is None


def test_a_reflection_note_needs_the_csrf_token_and_a_sane_length(app, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, learner)
    field = f"r{certificate.id}-text"
    client.post(f"/certificates/{certificate.code}/reflection", data={field: "no token"})
    post_form(client, f"/certificates/{certificate.code}/reflection", {field: "x" * 5001}, page="/certificates")
    assert db.session.scalar(select(ReflectionNote)) is None


def test_other_peoples_certificates_are_404(app, learner, other, module):
    certificate = certify(learner, module)
    client = login_as(app, other)
    assert client.get(f"/certificates/{certificate.code}/certificate.pdf").status_code == 404
    assert post_form(client, f"/certificates/{certificate.code}/reflection", {f"r{certificate.id}-text": "mine"},
                     page="/certificates").status_code == 404
    assert certificate.code not in client.get("/certificates").text
    assert db.session.scalar(select(ReflectionNote)) is None


def test_a_revoked_certificate_cannot_be_downloaded(app, learner, admin, module):
    certificate = certify(learner, module)
    services.revoke(certificate.id, "Issued by mistake", admin)
    assert login_as(app, learner).get(f"/certificates/{certificate.code}/certificate.pdf").status_code == 404


def test_visitors_are_sent_to_log_in(app, learner, module):
    certificate = certify(learner, module)
    for url in ("/certificates", f"/certificates/{certificate.code}/certificate.pdf", "/certificates/transcript.pdf"):
        response = app.test_client().get(url)
        assert response.status_code == 302 and "/auth/login" in response.location


# Records --------------------------------------------------------------------------------------------------------------

def test_the_data_download_includes_certificates(app, learner, module):
    certificate = certify(learner, module)
    data = login_as(app, learner).get("/account/export").get_json()
    [exported] = data["certificates"]
    assert exported["code"] == certificate.code and exported["status"] == "valid"
    assert exported["snapshot"]["participant"]["name"] == learner.full_name


def test_deleting_the_account_keeps_the_certificate_and_its_verification(app, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, learner)
    warning = client.get("/account/delete").text
    assert "stay verifiable by their code" in warning and "your reflection notes on certificates" in warning
    post_form(client, f"/certificates/{certificate.code}/reflection", {f"r{certificate.id}-text": "private"},
              page="/certificates")
    response = post_form(client, "/account/delete", {"current_password": PASSWORD, "understood": "y"},
                         page="/account/delete")
    assert response.status_code == 302
    kept = db.session.scalar(select(Certificate))
    assert kept is not None and kept.snapshot["participant"]["name"] == "Zoë Łukasiewicz-Ōtsuka"
    assert db.session.scalar(select(ReflectionNote)) is None  # the learner's own writing goes
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and "Zoë Łukasiewicz-Ōtsuka" in page.text and "Record intact" in page.text


def test_certificates_for_users_gives_each_persons_current_certificate(learner, other, admin, module):
    old = certify(learner, module)
    new = services.reissue(old.id, "Zoë Ł.", "Name corrected", admin)
    someone = make_user("nobody@example.org")
    current = services.certificates_for_users([learner.id, other.id, someone.id], module.id)
    assert {user_id: row.id for user_id, row in current.items()} == {learner.id: new.id}
    assert services.certificates_of(learner.id)[0].id == new.id


def test_a_learner_without_certificates_sees_an_empty_transcript(app, learner):
    client = login_as(app, learner)
    page = client.get("/certificates")
    assert page.status_code == 200 and "No CE hours yet" in page.text and "PDF (A4)" not in page.text
    transcript = client.get("/certificates/transcript.pdf")
    assert transcript.status_code == 200 and "No CE hours yet." in pdf_text(transcript.data)
