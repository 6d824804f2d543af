"""Where a login lands when it asks for no particular page (no ``next``).

Accounts cannot know what a person has in the packages above it (staff pages, an organisation to run, "My learning"),
so each of those packages gives a function in ``app.extensions["landing_pages"]`` (see ``create_app``). They are asked
in order; the first URL wins, and the account page is the last resort.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, url_for

from coursesite.accounts.models import User

LandingPage = Callable[[User], str | None]


def landing_page(user: User) -> str:
    pages: list[LandingPage] = current_app.extensions.get("landing_pages", [])
    for page in pages:
        url = page(user)
        if url:
            return url
    return url_for("account.profile")
