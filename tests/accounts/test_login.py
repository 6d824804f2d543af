"""Login, logout, remember-me, the session's renewal and the audit trail they leave."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, update

from coursesite.accounts import passwords
from coursesite.accounts.models import AuditEvent, User, UserSession
from coursesite.accounts.sessions import MAX_LIVE_SESSIONS, hash_token, live_sessions
from coursesite.extensions import db
from coursesite.models_base import as_utc, utcnow
from tests.factories import PASSWORD, make_user
from tests.support import csrf_token, logged_in, login_as, post_form, submit_login


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def live_rows(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                             UserSession.revoked_at.is_(None))))


def test_login_with_the_right_password_starts_a_session(client, user):
    response = submit_login(client, "ADA@example.org ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/learning"
    assert logged_in(client)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.login"))
    assert event.actor_id == user.id and event.target == f"users:{user.id}"
    assert event.ip_address == "127.0.0.1"


def test_an_internationalised_domain_logs_in_however_it_is_typed(client, mailbox):
    response = post_form(client, "/auth/register", {
        "email": "Zoe@Bücher.example", "password": PASSWORD, "password_repeat": PASSWORD,
        "full_name": "Zoë", "profession": "Psychologist"})
    assert response.status_code == 302
    mail = mailbox.last_to("zoe@xn--bcher-kva.example")
    client.get(mail.link_to("/auth/confirm/").removeprefix("http://127.0.0.1:5000"))
    assert submit_login(client, "zoe@bücher.example").headers["Location"] == "/learning"


def test_unknown_address_and_wrong_password_get_the_same_answer(client, user, monkeypatch):
    verified = []
    monkeypatch.setattr(passwords, "spend_time_like_a_verification", lambda password: verified.append(password))
    wrong_password = submit_login(client, user.email, "not the right one at all")
    unknown_email = submit_login(client, "nobody@example.org", "not the right one at all")

    assert wrong_password.status_code == unknown_email.status_code == 200
    message = "The email address or password is incorrect."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)
    assert verified == ["not the right one at all"]  # the unknown address still costs one hash verification
    assert not logged_in(client)
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.login_failed")).all()
    assert [(event.target, event.details["reason"]) for event in failures] == [
        (f"users:{user.id}", "wrong password"), ("", "unknown email")]
    assert all(event.actor_id is None for event in failures)


def test_the_dummy_verification_really_hashes(app):
    passwords._dummy_hash.cache_clear()
    passwords.spend_time_like_a_verification("anything")
    assert passwords._dummy_hash().startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_unconfirmed_account_gets_a_new_link_instead_of_a_session(client, mailbox):
    user = make_user(confirmed=False)
    response = submit_login(client, user.email, follow_redirects=True)
    assert "Please confirm your email address first" in response.get_data(as_text=True)
    assert not logged_in(client)
    assert mailbox.last_to(user.email).subject == "Confirm your email address"


def test_an_unconfirmed_account_with_a_wrong_password_gets_no_mail(client, mailbox):
    user = make_user(confirmed=False)
    submit_login(client, user.email, "not the right one at all")
    assert mailbox.received == []


def test_remember_me_sets_a_long_lived_cookie_only_when_asked(client, user):
    submit_login(client, user.email)
    assert client.get_cookie("remember_token") is None
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})
    submit_login(client, user.email, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert cookie.expires is not None


def test_remember_me_cookie_alone_logs_the_user_back_in(app, user):
    first = app.test_client()
    submit_login(first, user.email, remember="y")
    remember = first.get_cookie("remember_token").value
    second = app.test_client()
    second.set_cookie("remember_token", remember)
    assert logged_in(second)


def test_login_renews_the_session(client, user):
    before = csrf_token(client, "/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    submit_login(client, user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        token = session["_user_id"]
    (row,) = live_rows(user)
    assert row.token_hash == hash_token(token) != token, "the session holds a token; the database, its hash"
    assert csrf_token(client, "/account") != before


def test_the_session_holds_the_session_token_not_just_the_id(client, user):
    submit_login(client, user.email)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert not logged_in(client)


def test_logout_is_post_only_and_ends_the_session(client, user):
    submit_login(client, user.email, remember="y")
    assert client.get("/auth/logout").status_code == 405
    response = client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not logged_in(client)
    assert client.get_cookie("remember_token") is None
    assert actions()[-1] == "account.logout"


def test_the_navigation_shows_the_account_links(client, user):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/auth/login"' in anonymous and 'href="/auth/register"' in anonymous
    submit_login(client, user.email)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/account"' in page and 'action="/auth/logout"' in page
    assert "Audit log" not in page


def test_a_logged_in_visit_to_login_goes_to_the_landing_page(client, user):
    submit_login(client, user.email)
    assert client.get("/auth/login").headers["Location"] == "/learning"
    assert client.get("/auth/register").headers["Location"] == "/learning"


@pytest.mark.parametrize("target", ["/catalog", "/modules/x?y=1#z", "/account/password"])
def test_login_returns_to_a_page_on_this_site(client, user, target):
    response = post_form(client, "/auth/login", {"email": user.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == target


def test_a_protected_page_sends_visitors_to_login_and_back(client, user):
    response = client.get("/account/email")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Faccount%2Femail"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/email"' in page
    assert submit_login(client, user.email, next="/account/email").headers["Location"] == "/account/email"


def test_hashes_use_owasp_argon2id_parameters(app):
    parameters = extract_parameters(passwords.hash_password(PASSWORD))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost == 19 * 1024
    assert parameters.time_cost == 2
    assert parameters.parallelism == 1
    assert parameters.salt_len >= 16 and parameters.hash_len >= 32


def test_an_outdated_hash_is_upgraded_at_login(client, user):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    db.session.commit()
    assert submit_login(client, user.email).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != weak
    assert extract_parameters(user.password_hash).memory_cost == 19 * 1024
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_an_overlong_password_is_refused_before_hashing(client, user, monkeypatch):
    monkeypatch.setattr(passwords, "verify_password", lambda *args: pytest.fail("hashed an overlong password"))
    response = submit_login(client, user.email, "p" * 10_000)
    assert response.status_code == 200
    assert "Field cannot be longer than 128 characters" in response.get_data(as_text=True)


# Server-side sessions ---------------------------------------------------------------------------------------------

def logout(client):
    return client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})


def replays(app, name: str, value: str) -> bool:
    """Whether a browser holding only this one cookie is logged in."""
    replay = app.test_client()
    replay.set_cookie(name, value)
    return logged_in(replay)


def test_cookies_copied_before_logout_no_longer_work_after_it(app, client, user):
    submit_login(client, user.email, remember="y")
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    assert replays(app, "session", session_cookie) and replays(app, "remember_token", remember_cookie)

    logout(client)
    assert not replays(app, "session", session_cookie), "a copied session cookie outlived the logout"
    assert not replays(app, "remember_token", remember_cookie), "a copied remember-me cookie outlived the logout"
    assert live_rows(user) == []


def test_logout_ends_only_its_own_session(app, client, user):
    other_device = app.test_client()
    submit_login(other_device, user.email)
    submit_login(client, user.email)
    logout(client)
    assert not logged_in(client) and logged_in(other_device)


def test_a_new_login_ends_the_least_recently_seen_beyond_the_cap(app, client, user):
    first_device = app.test_client()
    submit_login(first_device, user.email)
    expire(user, last_seen_at=utcnow() - timedelta(days=1))  # the first device has been away longest
    for _ in range(MAX_LIVE_SESSIONS):
        submit_login(app.test_client(), user.email)
    assert len(live_rows(user)) == MAX_LIVE_SESSIONS
    assert not logged_in(first_device)


def expire(user: User, **change) -> None:
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(**change))
    db.session.commit()


@pytest.mark.parametrize("remember", [False, True])
def test_sessions_end_at_their_absolute_expiry_on_the_server(app, client, user, remember):
    submit_login(client, user.email, **({"remember": "y"} if remember else {}))
    (row,) = live_rows(user)
    lifetime = app.config["REMEMBER_COOKIE_DURATION" if remember else "LOGIN_SESSION_LIFETIME"]
    assert abs((as_utc(row.expires_at) - as_utc(row.created_at)) - lifetime) < timedelta(seconds=5)
    assert lifetime == (timedelta(days=30) if remember else timedelta(hours=12))
    remember_cookie = client.get_cookie("remember_token")

    expire(user, expires_at=utcnow() - timedelta(seconds=1))
    assert not logged_in(client), "the browser still sends its cookie, but the server has ended the session"
    if remember:
        assert not replays(app, "remember_token", remember_cookie.value)


def test_the_remember_me_cookie_restores_a_live_session_only(app, client, user):
    submit_login(client, user.email, remember="y")
    remember_cookie = client.get_cookie("remember_token").value
    assert replays(app, "remember_token", remember_cookie)
    expire(user, revoked_at=utcnow())
    assert not replays(app, "remember_token", remember_cookie)


def test_last_seen_is_written_at_most_every_few_minutes(app, client, user, count_queries):
    submit_login(client, user.email)
    (row,) = live_rows(user)
    first_seen = as_utc(row.last_seen_at)
    with count_queries() as counter:
        client.get("/account")
    assert not [sql for sql in counter.statements if sql.lstrip().upper().startswith("UPDATE")]
    db.session.expire_all()
    assert as_utc(live_rows(user)[0].last_seen_at) == first_seen

    expire(user, last_seen_at=utcnow() - app.config["LOGIN_SESSION_TOUCH_INTERVAL"])
    client.get("/account")
    db.session.expire_all()
    assert as_utc(live_rows(user)[0].last_seen_at) > first_seen - timedelta(seconds=1)
    assert utcnow() - as_utc(live_rows(user)[0].last_seen_at) < timedelta(minutes=1)


def test_a_logged_in_request_costs_one_query_for_the_session(app, client, user, sample_module, count_queries):
    client.get("/catalog")
    with count_queries() as visitor:
        client.get("/catalog")
    submit_login(client, user.email)
    client.get("/catalog")
    with count_queries() as member:
        client.get("/catalog")
    loads = [sql for sql in member.statements if "user_sessions" in sql]
    assert len(loads) == 1 and "JOIN" in loads[0].upper()
    assert member.count <= visitor.count + 1, (visitor.statements, member.statements)


FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
CHROME_ON_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
                   "Safari/537.36")


def test_the_account_page_lists_active_sessions_and_signs_out_the_others(app, client, user):
    other_device = app.test_client()
    other_device.environ_base["HTTP_USER_AGENT"] = FIREFOX_ON_WINDOWS
    submit_login(other_device, user.email, remember="y")
    other_remember = other_device.get_cookie("remember_token").value
    client.environ_base["HTTP_USER_AGENT"] = CHROME_ON_LINUX
    submit_login(client, user.email)

    page = client.get("/account").get_data(as_text=True)
    # Readable names, the raw string on hover.
    assert f'title="{FIREFOX_ON_WINDOWS}">Firefox on Windows</span>' in page
    assert f'title="{CHROME_ON_LINUX}">Chrome on Linux</span> <strong>(this session)</strong>' in page
    assert 'action="/account/sessions/end-others"' in page
    response = post_form(client, "/account/sessions/end-others", {}, page="/account")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Signed out of 1 other session." in client.get("/account").get_data(as_text=True)

    assert logged_in(client)
    assert not logged_in(other_device) and not replays(app, "remember_token", other_remember)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "account.sessions_revoked"))
    assert event.actor_id == user.id and event.details == {"count": 1}
    assert "Sign out all other sessions" not in client.get("/account").get_data(as_text=True)


def test_a_flask_login_client_logs_in_through_a_live_server_side_session(app, user):
    """tests/support.py's ``login_as`` (tests/clients.py's ``LoginClient``) starts the session it needs, as the
    login form would."""
    client = login_as(app, user)
    assert logged_in(client)
    (row,) = live_sessions(user)
    assert row.token_hash == hash_token(user.login_token)


def test_static_files_skip_the_login_session_lookup(client, user, count_queries):
    submit_login(client, user.email)
    with count_queries() as counter:
        response = client.get("/static/css/site.css")
    assert response.status_code == 200 and counter.count == 0, counter.statements
    assert logged_in(client)
