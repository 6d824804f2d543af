"""Registration does the same work in the request for every address (check, hash once, enqueue one job); the job
branches. Unconfirmed accounts expire. (The timing comparison is bench/registration.py, not a test.)"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coursesite.accounts import passwords, registration
from coursesite.accounts import tasks as account_tasks
from coursesite.accounts.models import AuditEvent, User
from coursesite.accounts.personal_data import UNUSABLE_PASSWORD
from coursesite.accounts.registration import REGISTER_OR_NOTIFY
from coursesite.extensions import db
from coursesite.jobs import outbox
from coursesite.jobs.models import Job
from coursesite.models_base import utcnow
from tests.accounts.test_registration import register
from tests.factories import ZOE, make_user
from tests.support import reload


@pytest.fixture
def jobs_wait(monkeypatch):
    """Committed jobs stay pending (nothing is put on the queue) until the test runs them (``run_due_jobs``)."""
    monkeypatch.setattr(outbox, "wake", lambda keys, delay=None: None)


@pytest.fixture
def spies(monkeypatch) -> dict[str, int]:
    """How often the request hashed a password and looked an address up."""
    calls = {"hash": 0, "lookup": 0}
    real_hash, real_lookup = passwords.hash_password, registration.user_by_email

    def counted_hash(password: str) -> str:
        calls["hash"] += 1
        return real_hash(password)

    def counted_lookup(email: str) -> User | None:
        calls["lookup"] += 1
        return real_lookup(email)

    monkeypatch.setattr(passwords, "hash_password", counted_hash)
    monkeypatch.setattr(registration, "user_by_email", counted_lookup)
    return calls


def run_jobs_then_their_mail(run_due_jobs) -> list[str]:
    """The registration jobs' statuses, once they and the mail jobs they enqueued have run."""
    statuses = run_due_jobs()
    run_due_jobs()
    return statuses


def jobs_of_the_request() -> list[tuple[str, str]]:
    return [(job.kind, job.status) for job in db.session.scalars(select(Job).order_by(Job.id))]


@pytest.mark.parametrize("address", ["zoe@example.org", "someone.new@example.org"], ids=["known", "unknown"])
def test_known_and_unknown_addresses_do_the_same_work_in_the_request(client, mailbox, jobs_wait, spies, address):
    make_user("zoe@example.org", full_name=ZOE)
    response = register(client, email=address)

    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert spies == {"hash": 1, "lookup": 0}, "one hash, and no look-up of the address, in the request"
    assert jobs_of_the_request() == [(REGISTER_OR_NOTIFY, "pending")], "one job, and nothing else"
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert mailbox.received == []


def test_the_job_registers_an_unknown_address_and_forgets_the_hash(client, mailbox, jobs_wait, run_due_jobs):
    register(client, email="someone.new@example.org")
    job = db.session.scalar(select(Job))
    assert job.payload["password_hash"].startswith("$argon2id$")

    assert run_jobs_then_their_mail(run_due_jobs) == ["done"]
    user = db.session.scalar(select(User).where(User.email == "someone.new@example.org"))
    assert user.confirmed_at is None and user.full_name == ZOE and user.password_hash.startswith("$argon2id$")
    assert mailbox.last_to("someone.new@example.org").subject == "Confirm your email address"
    assert reload(job).payload == {}, "a done registration keeps no password hash"


def test_the_job_tells_a_known_address_it_has_an_account(client, mailbox, jobs_wait, run_due_jobs):
    owner = make_user("zoe@example.org", full_name=ZOE)
    hash_before = owner.password_hash
    register(client, email="Zoe@Example.org")

    assert run_jobs_then_their_mail(run_due_jobs) == ["done"]
    assert [mail.subject for mail in mailbox.to("zoe@example.org")] == ["You already have a Coursesite account"]
    assert reload(owner).password_hash == hash_before
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert db.session.scalar(select(Job.payload).where(Job.kind == REGISTER_OR_NOTIFY)) == {}


def test_two_registrations_of_one_new_address_at_once_make_one_account(
        client, mailbox, jobs_wait, run_due_jobs, monkeypatch):
    register(client, email="someone.new@example.org")
    register(client, email="someone.new@example.org", full_name="Somebody Else")
    lookups = []
    real_lookup = registration.user_by_email

    def second_job_looks_before_the_first_commits(email: str) -> User | None:
        lookups.append(email)
        return None if len(lookups) == 2 else real_lookup(email)

    monkeypatch.setattr(registration, "user_by_email", second_job_looks_before_the_first_commits)
    assert run_jobs_then_their_mail(run_due_jobs) == ["done", "done"]

    users = list(db.session.scalars(select(User)))
    assert [(user.email, user.full_name) for user in users] == [("someone.new@example.org", ZOE)]
    assert [mail.subject for mail in mailbox.to("someone.new@example.org")] == [
        "Confirm your email address", "You already have a Coursesite account"]


def test_unconfirmed_accounts_expire_after_the_configured_days(client, mailbox, app):
    days = app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    assert days == 7
    long_ago = utcnow() - timedelta(days=days, minutes=1)
    expired = make_user("expired@example.org", confirmed=False, created_at=long_ago)
    recent = make_user("recent@example.org", confirmed=False, created_at=utcnow() - timedelta(days=days - 1))
    confirmed = make_user("confirmed@example.org", created_at=long_ago)
    staff = make_user("staff@example.org", role="admin", confirmed=False, created_at=long_ago)

    account_tasks.delete_unconfirmed_accounts.call_local()
    account_tasks.delete_unconfirmed_accounts.call_local()  # harmless twice

    gone = reload(expired)
    assert gone.deleted_at is not None and gone.email.endswith("@deleted.invalid")
    assert (gone.full_name, gone.password_hash) == ("", UNUSABLE_PASSWORD)
    assert [reload(user).deleted_at for user in (recent, confirmed, staff)] == [None, None, None]
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target == f"users:{expired.id}")))
    assert actions == ["account.expired_unconfirmed"]

    assert register(client, email="expired@example.org").status_code == 302  # the address is free again
    assert mailbox.last_to("expired@example.org").subject == "Confirm your email address"
