"""Route guards for roles, and the rate-limit key of the logged-in account."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user

from coursesite.extensions import login_manager


def role_required(*roles: str):
    """Let through users with one of ``roles`` (admins always); send others to log in, or answer 403.

    ``@role_required("editor")`` above a view admits editors and admins.
    """
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorator


def account_rate_limit_key() -> str:
    """Rate-limit key for forms of logged-in people: their account (several people may share an office's address),
    or the address for a visitor."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"
