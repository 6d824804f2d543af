"""Jobs recorded in the caller's transaction and handed to the queue once it commits (the transactional outbox).

:func:`enqueue` notes a job on the caller's session; the session's ``before_commit`` event inserts the noted jobs'
rows (in the committing transaction), its ``after_commit`` event puts their keys on the queue, and a rollback
forgets them. A message
carries only keys (up to 25): the row holds the state. :func:`run` claims the row (``pending`` → ``running``, one
conditional UPDATE), calls the handler registered for its kind, and records the outcome: ``done``; or ``pending``
again with a later ``run_after`` and a delayed message (back-off doubling from ``JOBS_RETRY_DELAY``); or, after
``JOBS_MAX_ATTEMPTS``, ``failed``. The sweeper (every minute) enqueues pending rows whose time passed more than a
minute ago, so a process that died between its commit and its enqueue, or a queue that lost its messages, delays
a job and never loses it. docs/jobs.md explains the guarantee.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from huey import crontab
from sqlalchemy import delete, event, func, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from coursesite.extensions import db
from coursesite.jobs.models import JOB_STATUSES, Job
from coursesite.jobs.queue import queue, scheduled, task
from coursesite.models_base import rows_matched, utcnow
from coursesite.request_id import current_request_id, request_id_bound

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
HANDLERS: dict[str, Handler] = {}
# Kinds whose payload is blanked once the job is done (it holds something no one should keep, say a password hash).
FORGET_PAYLOAD_WHEN_DONE: set[str] = set()
# The jobs added in a session's current transaction, inserted as it commits; then their keys, enqueued once it has.
JOBS_TO_INSERT = "coursesite.jobs.jobs_to_insert"
KEYS_TO_ENQUEUE = "coursesite.jobs.keys_to_enqueue"
# A pending job whose time came this long ago was never picked up: the sweeper enqueues it (again).
STALE_AFTER = timedelta(minutes=1)
# A job running this long belongs to a consumer that died: it is run again (see docs/jobs.md, "at least once").
RUNNING_LEASE = timedelta(minutes=15)
SWEEP_BATCH = 5000
MESSAGE_BATCH = 25
LAST_ERROR_LENGTH = 2000


def handles(kind: str, *, forget_payload_when_done: bool = False) -> Callable[[Handler], Handler]:
    """Register the function that does the work of jobs of ``kind`` (its ``payload`` is JSON data).

    The handler runs in an app context of its own, so ``db.session`` is a session of its own: it commits its work
    (and its mails) itself, and whatever it leaves uncommitted is rolled back. With ``forget_payload_when_done`` the
    row's payload is blanked as the job is marked done (a failed job keeps it, for a retry)."""

    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if forget_payload_when_done:
            FORGET_PAYLOAD_WHEN_DONE.add(kind)
        return handler

    return register


def enqueue(kind: str, payload: dict[str, Any], label: str) -> str:
    """Add a job to the current transaction: it reaches the queue when that transaction commits, never otherwise.
    Its key.

    ``label`` is what staff see of it (say, a mail's recipient and subject); ``payload`` what its handler needs.
    The rows are inserted as the transaction commits, in one statement: a thousand invitations add a thousand jobs
    for the price of one INSERT. (So they are inserted even if a savepoint they were added in rolled back: nothing
    enqueues inside a savepoint.)
    """
    db.session.connection()  # the transaction begins now, if it has not yet, so that its rollback forgets the job
    now = utcnow()
    key = uuid.uuid4().hex
    db.session.info.setdefault(JOBS_TO_INSERT, []).append({
        "key": key, "kind": kind, "label": label[:300], "payload": payload, "status": "pending", "attempts": 0,
        "request_id": current_request_id(), "created_at": now, "run_after": now})
    return key


def enqueue_after_commit(key: str) -> None:
    db.session.info.setdefault(KEYS_TO_ENQUEUE, []).append(key)


def _insert_jobs(session: Session) -> None:
    rows = session.info.pop(JOBS_TO_INSERT, None)
    if rows:
        session.execute(insert(Job.__table__), rows)
        session.info.setdefault(KEYS_TO_ENQUEUE, []).extend(row["key"] for row in rows)


def _enqueue_committed(session: Session) -> None:
    keys = session.info.pop(KEYS_TO_ENQUEUE, None)
    if keys:
        wake(keys)


def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """The outermost transaction rolled back, and its rows with it. (A rolled-back savepoint leaves its keys: their
    messages find no row, which is harmless.)"""
    if previous_transaction.parent is None:
        session.info.pop(JOBS_TO_INSERT, None)
        session.info.pop(KEYS_TO_ENQUEUE, None)


def register_session_events() -> None:
    """On every session (the app's, and the sessions jobs run in); once per process, like the SQLite pragmas."""
    if not event.contains(Session, "after_commit", _enqueue_committed):
        event.listen(Session, "before_commit", _insert_jobs)
        event.listen(Session, "after_commit", _enqueue_committed)
        event.listen(Session, "after_soft_rollback", _forget_rolled_back)


def wake(keys: Sequence[str], delay: timedelta | None = None) -> None:
    """Put the jobs on the queue (after ``delay``), :data:`MESSAGE_BATCH` keys a message: a thousand invitations
    cost forty messages, and still spread over every consumer. A queue that cannot be reached is logged, not
    raised: the rows are committed, and the sweeper enqueues them once the queue answers again."""
    for start in range(0, len(keys), MESSAGE_BATCH):
        batch = list(keys[start:start + MESSAGE_BATCH])
        try:
            if delay is None:
                run_jobs(batch)
            else:
                run_jobs.schedule((batch,), delay=delay.total_seconds())
        except Exception:
            log.exception("Could not enqueue %s job(s); the sweeper will try again", len(batch))


@task
def run_jobs(keys: list[str]) -> None:
    for key in keys:
        try:
            run(key)
        except Exception:  # a job's own failure is recorded by run(); this is the database failing under it
            log.exception("Could not run job %s; the sweeper will enqueue it again", key)


def run(key: str) -> str:
    """Run the job ``key`` if it is pending and due; its new status, or ``"skipped"`` when it was not ours to run.

    The job's row is kept in a session of its own, and its handler runs in a fresh app context (a fresh
    ``db.session``): in immediate mode this runs inside the caller's ``after_commit`` hook, where the caller's session
    is still committing and refuses SQL; under a consumer it keeps one job's session state from the next one's.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        now = utcnow()
        claimed = rows_matched(session.execute(
            update(Job).where(Job.key == key, Job.status == "pending", Job.run_after <= now)
            .values(status="running", started_at=now, attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)))
        session.commit()
        if not claimed:
            log.info("Job %s is not pending and due (done, running elsewhere, or retrying later): skipped", key)
            return "skipped"
        job = session.execute(select(Job).where(Job.key == key)).scalar_one()
        with request_id_bound(job.request_id):
            try:
                handler = HANDLERS[job.kind]
                with current_app.app_context():
                    handler(job.payload)
            except Exception as error:
                log.exception("Job %s (%s, %s) failed on attempt %s", job.id, job.kind, job.label, job.attempts)
                retry_in = _record_failure(job, error)
                session.commit()
                if retry_in is not None:
                    wake([key], delay=retry_in)
                return job.status
            job.status = "done"
            job.finished_at = utcnow()
            job.last_error = None
            if job.kind in FORGET_PAYLOAD_WHEN_DONE:
                job.payload = {}
            session.commit()
            log.info("Job %s (%s, %s) done", job.id, job.kind, job.label)
            return job.status


def _record_failure(job: Job, error: Exception) -> timedelta | None:
    """Back to pending for a later attempt (the delay), or failed after the last one (None)."""
    config = current_app.config
    job.last_error = f"{type(error).__name__}: {error}"[:LAST_ERROR_LENGTH]
    now = utcnow()
    if job.attempts >= config["JOBS_MAX_ATTEMPTS"]:
        job.status = "failed"
        job.finished_at = now
        log.error("Job %s (%s, %s) failed for good after %s attempts", job.id, job.kind, job.label, job.attempts)
        return None
    delay: timedelta = config["JOBS_RETRY_DELAY"] * 2 ** (job.attempts - 1)
    job.status = "pending"
    job.run_after = now + delay
    return delay


def sweep(now: datetime | None = None) -> int:
    """Enqueue the pending jobs whose time passed more than a minute ago (their message was lost or never sent), and
    run again the jobs of consumers that died; how many were enqueued."""
    now = now or utcnow()
    db.session.execute(update(Job).where(Job.status == "running", Job.started_at <= now - RUNNING_LEASE)
                       .values(status="pending", run_after=now - STALE_AFTER)
                       .execution_options(synchronize_session=False))
    keys = list(db.session.scalars(select(Job.key).where(Job.status == "pending", Job.run_after <= now - STALE_AFTER)
                                   .order_by(Job.id).limit(SWEEP_BATCH)))
    db.session.commit()
    wake(keys)
    if keys:
        log.warning("Swept %s pending job(s) that no consumer had picked up", len(keys))
    return len(keys)


def retry(job_ids: Sequence[int] | None = None) -> list[Job]:
    """Failed jobs (those of ``job_ids``, or all) back to pending with fresh attempts, enqueued when the caller
    commits; the jobs retried."""
    query = select(Job).where(Job.status == "failed").order_by(Job.id)
    if job_ids is not None:
        query = query.where(Job.id.in_(job_ids))
    jobs = list(db.session.scalars(query))
    now = utcnow()
    for job in jobs:
        job.status, job.attempts, job.run_after, job.started_at, job.finished_at = "pending", 0, now, None, None
        enqueue_after_commit(job.key)
    return jobs


def failed_jobs(limit: int = 200) -> list[Job]:
    """The dead letters, newest first."""
    return list(db.session.scalars(select(Job).where(Job.status == "failed").order_by(Job.id.desc()).limit(limit)))


def status_counts() -> dict[str, int]:
    """How many jobs there are of each status (every status named, zero or not)."""
    rows = db.session.execute(select(Job.status, func.count().label("total")).group_by(Job.status)).all()
    counts: dict[str, int] = {row.status: row.total for row in rows}
    return {status: counts.get(status, 0) for status in JOB_STATUSES}


def failed_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Job).where(Job.status == "failed")) or 0


def queue_depth() -> int:
    """Messages waiting in the queue for a consumer (delayed retries not counted); raises when the queue's storage
    cannot be reached."""
    return int(queue.pending_count())


def delete_finished(now: datetime | None = None) -> int:
    """Done jobs (a sent mail's copy among them) older than ``JOBS_KEEP_DONE`` go; failed ones stay for staff."""
    cutoff = (now or utcnow()) - current_app.config["JOBS_KEEP_DONE"]
    deleted = rows_matched(db.session.execute(delete(Job).where(Job.status == "done", Job.finished_at < cutoff)
                                              .execution_options(synchronize_session=False)))
    db.session.commit()
    return deleted


@scheduled(crontab())
def sweep_every_minute() -> None:
    sweep()


@scheduled(crontab(minute="20", hour="3"))
def delete_finished_daily() -> None:
    log.info("Deleted %s finished job(s)", delete_finished())
