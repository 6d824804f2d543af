"""The accounts package's scheduled jobs (run by the job queue's consumer, see coursesite/jobs)."""
from __future__ import annotations

import logging

from flask import current_app
from huey import crontab

from coursesite import jobs
from coursesite.accounts import audit, registration, sessions
from coursesite.models_base import utcnow

log = logging.getLogger(__name__)


@jobs.scheduled(crontab(minute="10", hour="3"))
def forget_old_audit_addresses() -> None:
    """Daily: audit events older than ``AUDIT_IP_RETENTION_DAYS`` lose their client address."""
    days = current_app.config["AUDIT_IP_RETENTION_DAYS"]
    log.info("Audit events older than %s days: %s address(es) forgotten", days,
             audit.forget_old_addresses(utcnow(), days))


@jobs.scheduled(crontab(minute="15"))
def delete_dead_logins() -> None:
    """Hourly: logins that expired or were ended go."""
    log.info("Deleted %s ended login(s)", sessions.delete_dead(utcnow()))


@jobs.scheduled(crontab(minute="40", hour="3"))
def delete_unconfirmed_accounts() -> None:
    """Daily: accounts whose address was not confirmed within ``UNCONFIRMED_ACCOUNT_DAYS`` are deleted."""
    days = current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    log.info("Accounts left unconfirmed for %s days: %s deleted", days,
             registration.delete_unconfirmed(utcnow(), days))
