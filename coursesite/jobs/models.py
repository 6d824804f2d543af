"""The ``jobs`` table: the transactional outbox every background job goes through (see docs/jobs.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coursesite.models_base import Model, one_of, utcnow

JOB_STATUSES = ("pending", "running", "done", "failed")


class Job(Model):
    """One piece of background work, added in the transaction that caused it and run by a consumer after it commits.

    ``key`` is the idempotency key the queue's message carries: a consumer runs the job only after moving it from
    ``pending`` to ``running`` with a conditional UPDATE, so a message delivered twice runs it once. ``run_after`` is
    when it may run next (a failed attempt moves it back, doubling each time); after the last attempt it is
    ``failed``, the dead-letter record staff see and retry. ``label`` is what staff see; ``payload`` (a mail's whole
    message, with its links) is for the consumer only.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_after", "status", "run_after"),
        one_of("status", JOB_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))  # of the request that caused it, for the logs
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
