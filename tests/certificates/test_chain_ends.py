"""The ends of the chain: removing the newest certificates, or every one, behind the ORM's back is found too (the
chain head remembers how many were issued)."""
from __future__ import annotations

import sqlalchemy as sa

from coursesite.certificates.chain import verify_chain
from coursesite.certificates.models import Certificate
from coursesite.extensions import db
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
