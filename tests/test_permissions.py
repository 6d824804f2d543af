"""The rights table, ``has_right``, the ``can`` template function and the ``requires_right`` decorator."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string
from flask_login import AnonymousUserMixin, login_user
from werkzeug.exceptions import Forbidden

from coursesite.accounts.models import User
from coursesite.permissions import (
    RIGHTS_BY_ROLE,
    ROLES,
    Right,
    has_right,
    is_staff,
    requires_right,
    rights_of,
    roles_with,
)
from tests.factories import make_user
from tests.support import login_as

R = Right


def test_each_role_holds_exactly_its_rights():
    assert {
        "learner": frozenset(),
        "editor": {R.MANAGE_CATALOG, R.VIEW_ALL_MODULES},
        "moderator": {R.MODERATE_FORUM},
        "admin": set(Right),
    } == RIGHTS_BY_ROLE
    assert ROLES == ("learner", "editor", "moderator", "admin")


def test_the_rights_named_in_the_issue_exist():
    assert {right.value for right in Right} >= {
        "manage_catalog", "view_all_modules", "grant_access", "view_audit", "moderate_forum", "view_reports",
        "manage_certificates", "manage_organizations",
    }


@pytest.mark.parametrize("role", ROLES)
def test_has_right_follows_the_table(role):
    user = User(role=role)
    assert rights_of(user) == RIGHTS_BY_ROLE[role]
    for right in Right:
        assert has_right(user, right) == (right in RIGHTS_BY_ROLE[role])
    assert is_staff(user) == (role != "learner")


def test_visitors_and_deleted_accounts_hold_no_right():
    assert rights_of(AnonymousUserMixin()) == frozenset() and rights_of(None) == frozenset()
    assert not has_right(AnonymousUserMixin(), Right.VIEW_AUDIT)
    assert not is_staff(None)
    deleted = User(role="admin", deleted_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert rights_of(deleted) == frozenset()


def test_roles_with_a_right():
    assert roles_with(Right.GRANT_ACCESS) == ("admin",)
    assert roles_with(Right.VIEW_ALL_MODULES) == ("editor", "admin")


@pytest.mark.parametrize(("role", "allowed"), [
    ("learner", False), ("editor", False), ("moderator", True), ("admin", True),
])
def test_requires_right_admits_those_with_the_right_and_answers_403_to_the_others(app, role, allowed):
    person = make_user(f"{role}@example.org", role=role)

    @requires_right(Right.MODERATE_FORUM)
    def moderation_page():
        return "moderating"

    login_as(app, person)  # starts a login session, so login_user works below
    with app.test_request_context("/"):
        login_user(person)
        if allowed:
            assert moderation_page() == "moderating"
        else:
            with pytest.raises(Forbidden):
                moderation_page()


def test_requires_right_sends_visitors_to_log_in(app):
    @requires_right(Right.VIEW_AUDIT)
    def audit_page():
        return "secret"

    with app.test_request_context("/staff/audit"):
        response = audit_page()
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


def test_templates_ask_can(app):
    with app.test_request_context("/"):
        assert render_template_string('{{ can("view_audit") }}') == "False"
        with pytest.raises(ValueError, match="view_everything"):
            render_template_string('{{ can("view_everything") }}')  # a typo cannot silently hide a link
