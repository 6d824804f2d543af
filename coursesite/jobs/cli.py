"""``flask jobs work|failed|retry|sweep``: run a consumer, and see and retry the jobs that failed for good."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from coursesite.extensions import db
from coursesite.jobs import outbox
from coursesite.jobs.queue import bind_consumer_app, queue
from coursesite.models_base import as_utc

jobs_cli = AppGroup("jobs", help="The background job queue: run a consumer; see and retry failed jobs.")


@jobs_cli.command("work")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Jobs run at once by this consumer (threads: a job mostly waits on SMTP).")
@click.option("--no-periodic", is_flag=True,
              help="Leave the scheduled jobs to another consumer (each runs them otherwise, harmlessly).")
def work(workers: int, no_periodic: bool) -> None:
    """Run a consumer until stopped (SIGTERM or Ctrl-C finish the jobs in hand first). Start as many as needed,
    on as many machines, all pointed at the same database and REDIS_URL."""
    if queue.immediate:
        click.echo("error: JOBS_IMMEDIATE is set: jobs run where they are enqueued, there is nothing to consume",
                   err=True)
        sys.exit(1)
    bind_consumer_app(current_app._get_current_object())  # type: ignore[attr-defined]  # werkzeug's LocalProxy
    consumer = queue.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic,
                                     graceful_signal="TERM")
    consumer.run()


@jobs_cli.command("failed")
def failed() -> None:
    """List the jobs that failed for good, newest first."""
    jobs = outbox.failed_jobs()
    for job in jobs:
        click.echo(f"{job.id}\t{as_utc(job.finished_at or job.created_at):%Y-%m-%d %H:%M} UTC\t{job.attempts} "
                   f"attempts\t{job.label}\n\t{job.last_error}")
    click.echo(f"{len(jobs)} failed job(s)")


@jobs_cli.command("retry")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every failed job.")
def retry(job_ids: tuple[int, ...], retry_all: bool) -> None:
    """Run failed jobs again (from their first attempt): JOB_IDS, or --all."""
    if bool(job_ids) == retry_all:
        click.echo("error: name the jobs to retry, or --all", err=True)
        sys.exit(2)
    retried = outbox.retry(None if retry_all else job_ids)
    db.session.commit()
    current_app.logger.info("Jobs retried from the command line: %s", [job.id for job in retried])
    click.echo(f"{len(retried)} job(s) queued again")
    if job_ids and len(retried) < len(job_ids):
        click.echo("some of those are not failed jobs (or do not exist)", err=True)
        sys.exit(1)


@jobs_cli.command("sweep")
def sweep() -> None:
    """Enqueue pending jobs nobody picked up (the consumer's scheduler does this every minute)."""
    click.echo(f"{outbox.sweep()} job(s) enqueued again")
