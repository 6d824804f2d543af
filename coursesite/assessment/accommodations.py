"""Accommodation requests: a learner asks for what they need to take a module's test (extra time, a format that
works with their assistive technology, a break), and staff answer by email.

Who hears of a request: the ``SUPPORT_EMAIL`` address when it is set (a shared support mailbox), otherwise every
account that may view reports (admins). The request itself is kept for staff's list at ``/staff/accommodations``
and is the learner's personal data: it is in their data download and deleted with the account.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from coursesite import mail
from coursesite.accounts.addresses import mail_to
from coursesite.accounts.audit import record
from coursesite.accounts.models import User
from coursesite.assessment.models import AccommodationRequest
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.models_base import utcnow
from coursesite.permissions import Right, roles_with
from coursesite.text import clean_text

log = logging.getLogger(__name__)
STAFF_LIST_LIMIT = 200


def module_for_request(slug: str) -> Module | None:
    return db.session.scalar(select(Module).where(Module.slug == slug, Module.published.is_(True)))


def recipients() -> list[str | User]:
    """Where a new request is mailed: the support address if configured, else the admins."""
    support = current_app.config.get("SUPPORT_EMAIL")
    if support:
        return [support]
    return list(db.session.scalars(select(User).where(User.role.in_(roles_with(Right.VIEW_REPORTS)),
                                                      User.deleted_at.is_(None)).order_by(User.id)))


def request_accommodation(user: User, module: Module, needs: str) -> AccommodationRequest:
    """Store the request and queue the staff mail, in the caller's transaction (no commit)."""
    request = AccommodationRequest(user_id=user.id, module_id=module.id, needs=needs.strip(), status="open")
    db.session.add(request)
    db.session.flush()
    for recipient in recipients():
        to, greeted = (mail_to(recipient), recipient) if isinstance(recipient, User) else \
            (recipient, {"full_name": "support team"})
        mail.send(to, f"Accommodation request for {clean_text(module.title)}", "accommodation_request",
                  user=greeted, request=request, learner=user, module=module,
                  staff_url=mail.link("staff_accommodations.index"))
    return request


@dataclass(frozen=True)
class RequestRow:
    id: int
    created_at: datetime
    learner_name: str
    learner_email: str
    module_title: str
    needs: str
    status: str
    handled_at: datetime | None


def requests_for_staff(status: str = "open") -> list[RequestRow]:
    """Requests of one status, oldest open first (newest handled first), in one query."""
    order = AccommodationRequest.created_at.asc() if status == "open" else AccommodationRequest.handled_at.desc()
    rows = db.session.execute(
        select(AccommodationRequest, User.full_name, User.email, Module.title)
        .join(User, User.id == AccommodationRequest.user_id).join(Module, Module.id == AccommodationRequest.module_id)
        .where(AccommodationRequest.status == status).order_by(order, AccommodationRequest.id)
        .limit(STAFF_LIST_LIMIT)
    ).all()
    return [RequestRow(request.id, request.created_at, name, email, title, request.needs, request.status,
                       request.handled_at) for request, name, email, title in rows]


def mark_handled(request_id: int, actor: User) -> bool:
    """Mark an open request handled (audited); False when there is no such open request."""
    request = db.session.get(AccommodationRequest, request_id)
    if request is None or request.status != "open":
        return False
    request.status = "handled"
    request.handled_at = utcnow()
    request.handled_by_id = actor.id
    record(actor, "assessment.accommodation_handled", request, module_id=request.module_id)
    return True
