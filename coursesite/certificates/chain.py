"""The hash chain of issued certificates: appending one (under the locked chain head) and checking records.

Each certificate's ``snapshot_hash`` is the SHA-256 of its canonical record: the previous certificate's hash, its
sequence number, code, issue time and snapshot, as JSON with sorted keys and no spaces (``canonical_json``). Changing
any of them in the database, removing a certificate or inserting one out of turn breaks the chain at that point.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from coursesite.certificates.models import CHAIN_HEAD_ID, GENESIS_HASH, Certificate, CertificateChainHead
from coursesite.extensions import db
from coursesite.models_base import as_utc, lock_row


def canonical_json(value: Any) -> str:
    """One spelling of a JSON value: sorted keys, no spaces, Unicode kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(certificate: Certificate) -> str:
    """The SHA-256 (hex) of the certificate's canonical record, chained to ``previous_hash``."""
    record = {
        "previous_hash": certificate.previous_hash,
        "sequence": certificate.sequence,
        "code": certificate.code,
        # In UTC whatever the connection's time zone: PostgreSQL hands back the instant in its session's zone.
        "issued_at": as_utc(certificate.issued_at).astimezone(UTC).isoformat(),
        "snapshot": certificate.snapshot,
    }
    return hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


class ChainHeadMissing(RuntimeError):
    """Certificates exist but the chain head row is gone: a sign of tampering, never put right silently."""


def _ensure_head() -> None:
    """The migration seeds the head; an empty certificates table (a new database, or the tests' cleanup) gets it
    back at the start of the chain, without racing a concurrent append: an insert that does nothing when the row
    exists. With certificates on record, a missing head is refused: rebuilding it at the last surviving certificate
    would hide the removal of the newest ones. ``flask certificates verify-chain`` reports it."""
    if db.session.scalar(select(CertificateChainHead.id).where(CertificateChainHead.id == CHAIN_HEAD_ID)):
        return
    if db.session.scalar(select(Certificate.id).limit(1)) is not None:
        raise ChainHeadMissing("the certificate chain head is missing while certificates exist; no certificate is "
                               "issued until it is restored (run `flask certificates verify-chain`)")
    values = {"id": CHAIN_HEAD_ID, "sequence": 0, "last_hash": GENESIS_HASH}
    dialect = db.session.get_bind().dialect.name
    table = CertificateChainHead.__table__
    if dialect == "postgresql":
        db.session.execute(postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=["id"]))
    elif dialect == "sqlite":
        db.session.execute(sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=["id"]))
    elif db.session.get(CertificateChainHead, CHAIN_HEAD_ID) is None:
        db.session.add(CertificateChainHead(**values))
        db.session.flush()


def append(certificate: Certificate) -> Certificate:
    """Give ``certificate`` (code, snapshot and issue time set) the next sequence number and its chained hash, and
    add it, in the caller's transaction. The chain head stays locked until that transaction ends, so two issues
    at once take turns and never share a predecessor."""
    _ensure_head()
    lock_row(CertificateChainHead, CHAIN_HEAD_ID)
    head = db.session.get(CertificateChainHead, CHAIN_HEAD_ID, populate_existing=True)
    assert head is not None  # noqa: S101 - _ensure_head has just made sure of it
    certificate.sequence = head.sequence + 1
    certificate.previous_hash = head.last_hash
    certificate.snapshot_hash = record_hash(certificate)
    head.sequence = certificate.sequence
    head.last_hash = certificate.snapshot_hash
    db.session.add(certificate)
    db.session.flush()
    return certificate


@dataclass(frozen=True)
class ChainProblem:
    sequence: int | None
    certificate_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"certificate #{self.sequence} (id {self.certificate_id})" if self.sequence is not None else "chain"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    checked: int
    problems: list[ChainProblem]

    @property
    def intact(self) -> bool:
        return not self.problems


def _in_order() -> Iterator[Certificate]:
    yield from db.session.scalars(select(Certificate).order_by(Certificate.sequence).execution_options(yield_per=500))


def verify_chain() -> ChainReport:
    """Check every certificate: its hash recomputed from its record, its link to the one before, no gap in the
    sequence, and the chain head pointing at the last one."""
    problems: list[ChainProblem] = []
    expected_previous, expected_sequence, checked = GENESIS_HASH, 1, 0
    for certificate in _in_order():
        checked += 1

        def problem(text: str, certificate: Certificate = certificate) -> None:
            problems.append(ChainProblem(certificate.sequence, certificate.id, text))

        if certificate.sequence != expected_sequence:
            problem(f"expected sequence {expected_sequence}: a certificate is missing or out of turn")
        if certificate.previous_hash != expected_previous:
            problem("its previous hash does not match the certificate before it")
        if record_hash(certificate) != certificate.snapshot_hash:
            problem("its record does not match its hash: it was changed after it was issued")
        expected_previous, expected_sequence = certificate.snapshot_hash, certificate.sequence + 1
    head = db.session.get(CertificateChainHead, CHAIN_HEAD_ID)
    # An empty table under a head that has counted certificates is every record removed, not a fresh start.
    if (head is None and checked) or (head is not None and (
            head.sequence != expected_sequence - 1 or head.last_hash != expected_previous)):
        problems.append(ChainProblem(None, None, "the chain head does not point at the last certificate"))
    return ChainReport(checked=checked, problems=problems)


def record_intact(certificate: Certificate) -> bool:
    """Whether this one record is intact: its hash matches its record, it links to the certificate before it, and
    the one after it (if any) links to it. One small query."""
    if record_hash(certificate) != certificate.snapshot_hash:
        return False
    neighbours = {
        row.sequence: row for row in db.session.execute(
            select(Certificate.sequence, Certificate.snapshot_hash, Certificate.previous_hash)
            .where(Certificate.sequence.in_([certificate.sequence - 1, certificate.sequence + 1])))
    }
    before = neighbours.get(certificate.sequence - 1)
    expected_previous = GENESIS_HASH if certificate.sequence == 1 else (before.snapshot_hash if before else None)
    if certificate.previous_hash != expected_previous:
        return False
    after = neighbours.get(certificate.sequence + 1)
    return after is None or after.previous_hash == certificate.snapshot_hash
