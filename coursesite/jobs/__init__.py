"""Background jobs: a Huey queue fed from a transactional outbox (docs/jobs.md).

- :func:`enqueue` (``coursesite.jobs.outbox``): the one way to start background work from a transaction; the job
  reaches the queue when, and only when, the transaction commits. Every mail goes this way (coursesite/mail.py).
- :func:`task` / :func:`scheduled` (``coursesite.jobs.queue``): a task or a periodic task of a package, run by the
  consumer (``flask jobs work``) in the app's context.
- :func:`queue_depth`, :func:`failed_count`: for ``/healthz`` and monitoring.
"""
from flask import Flask

from coursesite.jobs.outbox import enqueue, failed_count, handles, queue_depth, register_session_events
from coursesite.jobs.queue import init_app as init_queue
from coursesite.jobs.queue import scheduled, task

__all__ = ["enqueue", "failed_count", "handles", "init_app", "queue_depth", "scheduled", "task"]


def init_app(app: Flask) -> None:
    init_queue(app)
    register_session_events()
