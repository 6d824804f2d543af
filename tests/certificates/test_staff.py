"""Staff certificate records (/staff/certificates, ``manage_certificates``): search, revoke with a reason, reissue
after a name correction, every action audited; learners are refused."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.accounts.models import AuditEvent
from coursesite.certificates.chain import verify_chain
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from tests.factories import certify, make_user
from tests.support import login_as, post_form, reload

PAGE = "/staff/certificates"


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_admins_list_and_search_certificates(app, admin, learner, other, module):
    mine, theirs = certify(learner, module), certify(other, module)
    client = login_as(app, admin)
    page = client.get(PAGE)
    assert page.status_code == 200 and "Zoë Łukasiewicz-Ōtsuka" in page.text and "Tomás Herrera" in page.text
    for query in ("tomás", "other@example", theirs.code):
        found = client.get(PAGE, query_string={"q": query}).text
        assert "Tomás Herrera" in found and "Zoë Łukasiewicz-Ōtsuka" not in found, query
    assert "No certificates match" in client.get(PAGE, query_string={"q": "nothing like this"}).text
    assert mine.code  # listed by its verification link
    assert f'/certificates/verify/{mine.code}"' in page.text


def test_learners_are_refused(app, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, learner)
    assert client.get(PAGE).status_code == 403
    revoke = post_form(client, f"{PAGE}/{certificate.id}/revoke", {"reason": "x"}, page="/certificates")
    assert revoke.status_code == 403
    assert reload(certificate).status == "valid"


def test_revoking_takes_a_reason_and_is_audited(app, admin, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, admin)
    post_form(client, f"{PAGE}/{certificate.id}/revoke", {"reason": ""}, page=PAGE)
    assert reload(certificate).status == "valid"  # no reason, no revocation
    response = post_form(client, f"{PAGE}/{certificate.id}/revoke", {"reason": "Completion logged in error"},
                         page=PAGE)
    assert response.status_code == 302
    revoked = reload(certificate)
    assert revoked.status == "revoked" and revoked.revoked_reason == "Completion logged in error"
    assert revoked.revoked_by_id == admin.id
    [event] = audit("certificate.revoked")
    assert event.actor_id == admin.id and event.target == f"certificates:{certificate.id}"
    again = post_form(client, f"{PAGE}/{certificate.id}/revoke", {"reason": "twice"}, page=PAGE)
    assert "already revoked" in client.get(again.location).text
    assert len(audit("certificate.revoked")) == 1


def test_reissuing_makes_a_new_code_and_supersedes_the_old(app, admin, learner, module):
    old = certify(learner, module)
    client = login_as(app, admin)
    response = post_form(client, f"{PAGE}/{old.id}/reissue",
                         {"name": "Zoé Łukasiewicz-Ōtsuka", "reason": "Accent corrected at the learner's request"},
                         page=PAGE)
    assert response.status_code == 302
    new = db.session.scalar(select(Certificate).where(Certificate.id != old.id))
    assert new is not None and new.code != old.code and new.sequence == old.sequence + 1
    assert new.snapshot["participant"]["name"] == "Zoé Łukasiewicz-Ōtsuka"
    assert {key: value for key, value in new.snapshot.items() if key != "participant"} == {
        key: value for key, value in old.snapshot.items() if key != "participant"}
    assert reload(old).superseded_by_id == new.id and reload(old).status == "superseded"
    [event] = audit("certificate.reissued")
    assert event.details["new_certificate"] == f"certificates:{new.id}"
    assert verify_chain().intact


def test_only_valid_certificates_are_reissued_and_bad_input_changes_nothing(app, admin, learner, module):
    certificate = certify(learner, module)
    client = login_as(app, admin)
    post_form(client, f"{PAGE}/{certificate.id}/reissue", {"name": "  ", "reason": "why"}, page=PAGE)
    post_form(client, f"{PAGE}/{certificate.id}/reissue", {"name": "Bell\x07", "reason": "why"}, page=PAGE)
    post_form(client, f"{PAGE}/{certificate.id}/revoke", {"reason": "Wrong learner"}, page=PAGE)
    refused = post_form(client, f"{PAGE}/{certificate.id}/reissue", {"name": "Zoë", "reason": "why"}, page=PAGE)
    assert "Only a valid certificate can be reissued" in client.get(refused.location).text
    assert db.session.scalar(select(Certificate.id).where(Certificate.id != certificate.id)) is None
    assert audit("certificate.reissued") == []


def test_unknown_certificates_are_404(app, admin):
    client = login_as(app, admin)
    assert post_form(client, f"{PAGE}/999/revoke", {"reason": "x"}, page=PAGE).status_code == 404
    assert post_form(client, f"{PAGE}/999/reissue", {"name": "A", "reason": "x"}, page=PAGE).status_code == 404


def test_the_staff_page_costs_a_fixed_number_of_queries(app, admin, module, count_queries):
    client = login_as(app, admin)
    for index in range(2):
        certify(make_user(f"l{index}@example.org"), module)
    client.get(PAGE)
    with count_queries() as counter:
        assert client.get(PAGE).status_code == 200
    few = len(counter.statements)
    for index in range(2, 6):
        certify(make_user(f"l{index}@example.org"), module)
    with count_queries() as counter:
        assert client.get(PAGE).status_code == 200
    assert len(counter.statements) == few
