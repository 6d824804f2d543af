"""Route guards for roles."""
from __future__ import annotations

from functools import wraps

from flask import abort
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
