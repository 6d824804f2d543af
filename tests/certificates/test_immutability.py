"""Nothing changes or removes an issued certificate through the ORM: not an in-place edit of its snapshot, not a
deletion, not a bulk ``update``/``delete`` statement (which skip the mapper's events). Only straight SQL can, and
``flask certificates verify-chain`` finds that (test_chain.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from coursesite.certificates.models import Certificate, ImmutableCertificateError
from coursesite.certificates.services import revoke
from coursesite.extensions import db
from tests.factories import certify
from tests.support import reload


def test_an_in_place_edit_of_the_snapshot_is_refused(learner, module):
    certificate = certify(learner, module)
    certificate.snapshot["participant"]["name"] = "Forged"
    flag_modified(certificate, "snapshot")
    with pytest.raises(ImmutableCertificateError):
        db.session.flush()
    db.session.rollback()
    assert reload(certificate).snapshot["participant"]["name"] == learner.full_name


def test_deleting_a_certificate_is_refused(learner, module):
    certificate = certify(learner, module)
    db.session.delete(certificate)
    with pytest.raises(ImmutableCertificateError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


@pytest.mark.parametrize("statement", [
    lambda id_: sa.update(Certificate).where(Certificate.id == id_).values(code="forged-code"),
    lambda id_: sa.update(Certificate).where(Certificate.id == id_).values(snapshot={"participant": {}}),
    lambda id_: sa.delete(Certificate).where(Certificate.id == id_),
], ids=["update-code", "update-snapshot", "delete"])
def test_bulk_statements_on_certificates_are_refused(learner, module, statement):
    certificate = certify(learner, module)
    code, snapshot = certificate.code, certificate.snapshot
    with pytest.raises(ImmutableCertificateError):
        db.session.execute(statement(certificate.id))
    db.session.rollback()
    certificate = reload(certificate)
    assert (certificate.code, certificate.snapshot) == (code, snapshot)


def test_revoking_through_the_orm_still_works(learner, admin, module):
    certificate = certify(learner, module)
    revoke(certificate.id, "Issued in error", admin)
    assert reload(certificate).status == "revoked"
