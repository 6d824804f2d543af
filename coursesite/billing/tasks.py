"""The billing package's scheduled jobs (run by the job queue's consumer, see coursesite/jobs)."""
from __future__ import annotations

import logging

from huey import crontab

from coursesite import jobs
from coursesite.billing import test_mode
from coursesite.billing.notices import send_renewal_reminders
from coursesite.models_base import utcnow

log = logging.getLogger(__name__)


@jobs.scheduled(crontab(minute="0", hour="8"))
def renewal_reminders_daily() -> None:
    """Daily, 08:00 UTC: what ``flask billing remind`` does."""
    run = send_renewal_reminders()
    log.info("Renewal reminders: %s queued, %s already sent, %s failed", run.sent, run.already_sent, run.failed)


@jobs.scheduled(crontab(minute="30", hour="3"))
def delete_stale_test_checkouts() -> None:
    """Daily: test-mode checkouts left unpaid (an installation without Stripe keys keeps them in its database)."""
    log.info("Deleted %s stale test-mode checkout session(s)", test_mode.delete_stale_sessions(utcnow()))
