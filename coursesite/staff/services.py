"""What the staff pages look up: the modules to choose from, a learner's access, the audit log's filters.

The rules themselves stay with their packages (``billing.grants`` grants and revokes, ``accounts.audit`` keeps the
log); this module only puts their services together for a page.
"""
from __future__ import annotations

from dataclasses import dataclass

from coursesite.accounts.addresses import stored_form, user_by_email
from coursesite.accounts.audit import AuditFilters, record
from coursesite.accounts.models import User
from coursesite.billing.grants import entitlements_of
from coursesite.billing.models import Entitlement
from coursesite.catalog.services import all_modules
from coursesite.extensions import db
from coursesite.jobs import outbox
from coursesite.staff.forms import AuditFilterForm


@dataclass(frozen=True)
class LearnerAccess:
    user: User
    entitlements: list[Entitlement]


def module_choices() -> list[tuple[str, str]]:
    """(slug, title) of every module, published or not, by title."""
    return [(module.slug, module.title) for module in all_modules()]


def learner_access(email: str) -> LearnerAccess | None:
    """The account using ``email`` and every entitlement it has had; None when no account uses it."""
    user = user_by_email(email)
    if user is None:
        return None
    return LearnerAccess(user, entitlements_of(user.id))


def audit_filters(form: AuditFilterForm) -> AuditFilters:
    """The filters a validated form asks for; a target that is an email address is looked up as it is stored."""
    target = (form.target.data or "").strip()
    return AuditFilters(form.action.data or "", form.actor.data or "", form.date_from.data, form.date_to.data,
                        stored_form(target) if "@" in target else target)


def retry_failed_jobs(actor: User, job_ids: list[int] | None) -> int:
    """Run failed jobs again (those of ``job_ids``, or all), each retry on the audit log; how many were retried."""
    retried = outbox.retry(job_ids)
    for job in retried:
        record(actor, "jobs.retried", job, kind=job.kind)
    db.session.commit()
    return len(retried)
