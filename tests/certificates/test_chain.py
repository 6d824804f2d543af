"""Tamper evidence: each certificate's hash chained to the one before, ``flask certificates verify-chain``, the
verification page's "intact", and concurrent issues that never fork the chain."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from coursesite.certificates.chain import ChainHeadMissing, record_hash, record_intact, verify_chain
from coursesite.certificates.models import GENESIS_HASH, Certificate, CertificateChainHead
from coursesite.certificates.services import issue_certificate
from coursesite.extensions import db
from tests.factories import certify, make_user


def chain() -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).order_by(Certificate.sequence)))


def test_each_certificate_is_hashed_and_linked_to_the_one_before(learner, other, module):
    first, second = certify(learner, module), certify(other, module)
    assert (first.sequence, first.previous_hash) == (1, GENESIS_HASH)
    assert (second.sequence, second.previous_hash) == (2, first.snapshot_hash)
    assert all(record_hash(row) == row.snapshot_hash for row in (first, second))
    head = db.session.get(CertificateChainHead, 1)
    assert head is not None and (head.sequence, head.last_hash) == (2, second.snapshot_hash)
    assert verify_chain().intact


def tamper(certificate: Certificate, **values: object) -> None:
    """A change made behind the ORM's back (straight SQL), as someone with database access could."""
    db.session.execute(sa.update(Certificate.__table__).where(Certificate.__table__.c.id == certificate.id)
                       .values(**values))
    db.session.commit()
    db.session.expire_all()


def test_verify_chain_finds_a_tampered_record(app, learner, other, module):
    first, second, third = certify(learner, module), certify(other, module), certify(learner, module)
    tamper(second, snapshot={**second.snapshot, "ce_hours": 40.0})
    report = verify_chain()
    assert [(problem.sequence, problem.problem) for problem in report.problems] == [
        (2, "its record does not match its hash: it was changed after it was issued")]
    assert not record_intact(db.session.get(Certificate, second.id))
    assert record_intact(db.session.get(Certificate, first.id))
    assert record_intact(db.session.get(Certificate, third.id))
    result = app.test_cli_runner().invoke(args=["certificates", "verify-chain"])
    assert result.exit_code == 1 and "certificate #2" in result.output and "chain is broken" in result.output


def test_verify_chain_finds_a_removed_record(app, learner, other, module):
    certify(learner, module)
    removed = certify(other, module)
    certify(learner, module)
    # Behind the ORM's back (straight SQL): the ORM refuses to delete a certificate (test_issue.py).
    db.session.execute(sa.delete(Certificate.__table__).where(Certificate.__table__.c.id == removed.id))
    db.session.commit()
    db.session.expire_all()
    problems = [(problem.sequence, problem.problem) for problem in verify_chain().problems]
    assert problems == [(3, "expected sequence 2: a certificate is missing or out of turn"),
                        (3, "its previous hash does not match the certificate before it")]


def test_the_verification_page_says_whether_the_record_is_intact(app, learner, module):
    certificate = certify(learner, module)
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert "Record intact" in page.text
    tamper(certificate, snapshot={**certificate.snapshot, "participant": {"name": "Someone Else"}})
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and "Record not intact" in page.text


def test_a_record_altered_into_another_shape_is_shown_as_not_intact(app, learner, module):
    certificate = certify(learner, module)
    tamper(certificate, snapshot={"participant": None})
    page = app.test_client().get(f"/certificates/verify/{certificate.code}")
    assert page.status_code == 200 and "Record not intact" in page.text
    assert certificate.code in page.text and "Valid." in page.text


def test_verify_chain_passes_an_intact_chain(app, learner, module):
    for _ in range(3):
        certify(learner, module)
    result = app.test_cli_runner().invoke(args=["certificates", "verify-chain"])
    assert result.exit_code == 0 and "ok: 3 certificate(s), chain intact" in result.output


def test_a_missing_chain_head_stops_issuing_and_is_reported(learner, module):
    """Rebuilding the head at the last surviving certificate would hide the removal of the newest ones."""
    certify(learner, module)
    db.session.execute(sa.delete(CertificateChainHead.__table__))
    db.session.commit()
    with pytest.raises(ChainHeadMissing, match="chain head is missing"):
        certify(learner, module)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 1
    assert not verify_chain().intact


def test_an_empty_chain_starts_again_without_its_head_row(learner, module):
    db.session.execute(sa.delete(CertificateChainHead.__table__))
    db.session.commit()
    first = certify(learner, module)
    assert (first.sequence, first.previous_hash) == (1, GENESIS_HASH)
    assert verify_chain().intact


def test_concurrent_issues_never_fork_the_chain(app, module):
    """Eight issues at once, each in its own connection and transaction: every one gets its own sequence number and
    links to exactly one predecessor (PostgreSQL locks the head row; SQLite's write lock serialises them)."""
    users = [make_user(f"learner{index}@example.org").id for index in range(8)]
    module_id = module.id
    start = threading.Barrier(len(users))
    failures: list[BaseException] = []

    def issue(user_id: int) -> None:
        try:
            with app.app_context():
                start.wait()
                issue_certificate(user_id, module_id, None)
                db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=issue, args=(user_id,)) for user_id in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = chain()
    assert [row.sequence for row in rows] == list(range(1, 9))
    assert len({row.previous_hash for row in rows}) == 8  # no two share a predecessor: no fork
    assert verify_chain().intact
