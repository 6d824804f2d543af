"""Server-side login sessions: one ``UserSession`` row per login, the one home of "who is logged in where".

The browser holds a random token: Flask-Login keeps it as the user's id (``User.get_id``) in the Flask session and, with
remember-me, in the remember-me cookie. The row keeps only its SHA-256. A request is logged in while its row is live:
not revoked, not past its absolute ``expires_at`` (``LOGIN_SESSION_LIFETIME``, or ``REMEMBER_COOKIE_DURATION`` with
remember-me), and its user not deleted. Logout revokes the row; changing or resetting the password and deleting the
account revoke every row of the user. So a copied session or remember-me cookie stops working the moment its row does.

Loading costs one indexed query per request (``token_hash`` is unique), plus a write of ``last_seen_at`` at most every
``LOGIN_SESSION_TOUCH_INTERVAL``.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import Select, bindparam, delete, or_, select, update

from coursesite.accounts.models import USER_AGENT_MAX, User, UserSession
from coursesite.extensions import db
from coursesite.models_base import as_utc, rows_matched, utcnow

# Live logins one account may hold at once; a new login ends the least recently seen beyond it.
MAX_LIVE_SESSIONS = 20


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, remember: bool, user_agent: str = "", ip_address: str | None = None) -> str:
    """A new live session for ``user`` (not committed); its token is also set as ``user.login_token``.

    The user's dead rows (revoked or expired) are removed on the way, and beyond :data:`MAX_LIVE_SESSIONS` the least
    recently seen are ended: the list of sessions stays short however often someone with the password logs in.
    """
    now = utcnow()
    lifetime = current_app.config["REMEMBER_COOKIE_DURATION" if remember else "LOGIN_SESSION_LIFETIME"]
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id, or_(UserSession.revoked_at.is_not(None), UserSession.expires_at <= now)))
    oldest_beyond_the_cap = (select(UserSession.id).where(UserSession.user_id == user.id)
                             .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
                             .offset(MAX_LIVE_SESSIONS - 1))
    db.session.execute(delete(UserSession).where(UserSession.id.in_(oldest_beyond_the_cap))
                       .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=hash_token(token), remember=remember, created_at=now,
                               last_seen_at=now, expires_at=now + lifetime,
                               user_agent=(user_agent or "")[:USER_AGENT_MAX], ip_address=ip_address))
    user.login_token = token
    return token


@cache
def _live_session_query() -> Select[User, int, datetime]:
    """The user of a live session by token hash (``:token_hash``, ``:now``): built once, not on every request. Only
    the session's id and ``last_seen_at`` are read; the rest of the row (browser, address) is for the account page."""
    return (select(User, UserSession.id, UserSession.last_seen_at).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == bindparam("token_hash"), UserSession.revoked_at.is_(None),
                   UserSession.expires_at > bindparam("now")))


def load_user(token: str) -> User | None:
    """The user of the live session whose token this is (from the Flask session or the remember-me cookie).

    Flask-Login's user loader: ``create_app`` registers it with the extensions."""
    if not token:
        return None
    now = utcnow()
    found = db.session.execute(_live_session_query(), {"token_hash": hash_token(token), "now": now}).first()
    if found is None:
        return None
    user, row_id, last_seen_at = found
    if not user.is_active:
        return None
    if now - as_utc(last_seen_at) >= current_app.config["LOGIN_SESSION_TOUCH_INTERVAL"] and not (
            db.session.new or db.session.dirty or db.session.deleted):
        # ``load_before_the_view`` makes this run first thing in the request, before a view has written anything,
        # so this commit can only save the touch (the check above guards the rare load outside a request).
        db.session.execute(update(UserSession).where(UserSession.id == row_id).values(last_seen_at=now))
        db.session.commit()
    user.login_token = token
    return user


def load_before_the_view() -> None:
    """Load the logged-in user at the start of every request (a before-request hook), so the loader's occasional
    ``last_seen_at`` commit happens before any view has begun a unit of work it might not want committed.

    Static files (CSS, scripts, images) are the same for everyone: they skip the lookup, so a logged-in page view
    costs one session query, not one per file it links."""
    if request.endpoint == "static":
        return
    _ = current_user.is_authenticated


def current_row(user: User) -> UserSession | None:
    if not user.login_token:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(user.login_token)))


def revoke(user: User) -> None:
    """End the session ``user`` was loaded through (not committed)."""
    if user.login_token:
        db.session.execute(update(UserSession).where(
            UserSession.token_hash == hash_token(user.login_token), UserSession.revoked_at.is_(None)
        ).values(revoked_at=utcnow()))


def revoke_all(user: User, keep_current: bool = False) -> int:
    """End every live session of ``user`` (but the one it was loaded through, with ``keep_current``); not committed.

    Returns how many were ended.
    """
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                      UserSession.expires_at > utcnow())
    if keep_current and user.login_token:
        query = query.where(UserSession.token_hash != hash_token(user.login_token))
    return rows_matched(db.session.execute(query.values(revoked_at=utcnow())))


def forget_all(user: User) -> None:
    """Remove every session row of ``user`` (account deletion: the rows hold a browser and an address)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def live_sessions(user: User) -> list[UserSession]:
    """The user's live sessions, most recently seen first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


def is_current(row: UserSession, user: User) -> bool:
    if not user.login_token:
        return False
    return secrets.compare_digest(row.token_hash, hash_token(user.login_token))


def delete_dead(now: datetime) -> int:
    """Delete every login that has ended (revoked or expired); run hourly by the job queue (accounts/tasks.py)."""
    deleted = rows_matched(db.session.execute(
        delete(UserSession).where(or_(UserSession.revoked_at.is_not(None), UserSession.expires_at <= now))
        .execution_options(synchronize_session=False)))
    db.session.commit()
    return deleted
