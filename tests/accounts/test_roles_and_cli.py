"""Roles and ``flask users create-admin | set-role`` (what each role may do: tests/test_permissions.py)."""
from __future__ import annotations

import pytest
from argon2 import extract_parameters
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coursesite.accounts import passwords
from coursesite.accounts.models import AuditEvent, User
from coursesite.extensions import db
from tests.factories import PASSWORD, ZOE, make_user
from tests.support import reload, submit_login


def test_create_admin_reads_a_password_file(runner, tmp_path):
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    result = runner.invoke(args=["users", "create-admin", "Root@Example.org", "--password-file", str(password_file),
                                 "--full-name", ZOE])
    assert result.exit_code == 0, result.output
    assert "admin account created for root@example.org" in result.output
    admin = db.session.scalar(select(User).where(User.email == "root@example.org"))
    assert admin.role == "admin" and admin.full_name == ZOE and admin.confirmed_at is not None
    assert passwords.verify_password(admin.password_hash, PASSWORD)
    assert extract_parameters(admin.password_hash).memory_cost == 19 * 1024
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.admin_created"))
    assert event.actor_id is None and event.target == f"users:{admin.id}" and event.ip_address is None


def test_create_admin_prompts_for_the_password_twice(runner):
    result = runner.invoke(args=["users", "create-admin", "root@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.full_name).where(User.role == "admin")) == "Administrator"


@pytest.mark.parametrize(("arguments", "password", "message"), [
    (["not-an-email"], PASSWORD, "Enter a valid email address"),
    (["root@example.org"], "password1234", "most commonly used passwords"),
    (["root@example.org"], "short", "Use at least 12 characters"),
])
def test_create_admin_refuses_bad_input(runner, arguments, password, message):
    result = runner.invoke(args=["users", "create-admin", *arguments], input=f"{password}\n{password}\n")
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(User)) is None


def test_create_admin_refuses_an_existing_address(runner, user):
    result = runner.invoke(args=["users", "create-admin", "ADA@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert "already has an account: use `flask users set-role ada@example.org admin`" in result.output
    assert reload(user).role == "learner"


def test_set_role_changes_the_role_and_audits_it(runner, user):
    result = runner.invoke(args=["users", "set-role", "Ada@Example.org", "moderator"])
    assert result.exit_code == 0, result.output
    assert reload(user).role == "moderator"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.role_changed"))
    assert event.details == {"previous": "learner", "role": "moderator"}
    assert event.target == f"users:{user.id}"


def test_set_role_refuses_unknown_roles_and_addresses(runner, user):
    assert runner.invoke(args=["users", "set-role", user.email, "overlord"]).exit_code == 2
    missing = runner.invoke(args=["users", "set-role", "nobody@example.org", "admin"])
    assert missing.exit_code == 1 and "no account has the address nobody@example.org" in missing.output
    assert reload(user).role == "learner"


def test_the_database_refuses_an_unknown_role(app, user):
    user.role = "overlord"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_audit_page_is_for_admins_only(client):
    assert client.get("/staff/audit").status_code == 302
    for role in ("learner", "editor", "moderator"):
        person = make_user(f"{role}@example.org", role=role)
        staff_client = client.application.test_client()
        submit_login(staff_client, person.email)
        assert staff_client.get("/staff/audit").status_code == 403
    admin = make_user("boss@example.org", role="admin")
    submit_login(client, admin.email)
    assert client.get("/staff/audit").status_code == 200
    assert 'href="/staff/audit"' in client.get("/").get_data(as_text=True)
