"""The ends of the chain: removing the newest certificates, or every one, behind the ORM's back is found too (the
chain head remembers how many were issued)."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
import sqlalchemy as sa

from coursesite.certificates.chain import record_hash, verify_chain
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
from coursesite.models_base import as_utc
from tests.factories import certify

HEAD_PROBLEM = (None, "the chain head does not point at the last certificate")


def remove(*certificates: Certificate) -> None:
    table = Certificate.__table__
    db.session.execute(sa.delete(table).where(table.c.id.in_([row.id for row in certificates])))
    db.session.commit()
    db.session.expire_all()


def problems() -> list[tuple[int | None, str]]:
    return [(problem.sequence, problem.problem) for problem in verify_chain().problems]


def test_removing_the_newest_certificate_breaks_the_chain(learner, other, module):
    certify(learner, module)
    remove(certify(other, module))
    assert problems() == [HEAD_PROBLEM]


def test_removing_every_certificate_breaks_the_chain(app, learner, other, module):
    remove(certify(learner, module), certify(other, module))
    assert problems() == [HEAD_PROBLEM]
    result = app.test_cli_runner().invoke(args=["certificates", "verify-chain"])
    assert result.exit_code == 1 and "chain is broken" in result.output


def test_an_empty_chain_is_intact(app):
    assert verify_chain().intact


def test_the_hash_does_not_depend_on_the_time_zone_the_issue_time_is_read_in(learner, module):
    """PostgreSQL hands back ``issued_at`` in its session's time zone; the hash is over the instant in UTC."""
    certificate = certify(learner, module)
    elsewhere = Certificate(code=certificate.code, snapshot=certificate.snapshot, sequence=certificate.sequence,
                            previous_hash=certificate.previous_hash,
                            issued_at=as_utc(certificate.issued_at).astimezone(timezone(timedelta(hours=-5))))
    assert record_hash(elsewhere) == certificate.snapshot_hash


def test_a_database_session_in_another_time_zone_sees_an_intact_chain(learner, other, module):
    certify(learner, module)
    certify(other, module)
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("only PostgreSQL hands times back in a session time zone")
    db.session.execute(sa.text("SET TIME ZONE 'America/New_York'"))
    db.session.expire_all()
    assert verify_chain().intact
    db.session.rollback()
