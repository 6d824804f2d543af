"""Mails to an address because someone asked to use it (register, or move an account to it): once an hour per
address, whoever owns it, so neither the page nor the time it takes tells whether the address has an account."""
from __future__ import annotations

import pytest

from coursesite.accounts.addresses import ADDRESS_MAIL_LIMIT
from coursesite.extensions import limiter
from tests.accounts.test_account_pages import change_email, change_link
from tests.accounts.test_registration import register
from tests.factories import ZOE, make_user
from tests.support import CSRF_INPUT, reload, submit_login


@pytest.fixture
def app_overrides() -> dict:
    return {"RATELIMIT_ENABLED": True}


def test_the_already_registered_notice_goes_at_most_once_an_hour(client, mailbox):
    owner = make_user("zoe@example.org", full_name=ZOE)
    responses = [register(client, email="ZOE@example.org", follow_redirects=True) for _ in range(3)]
    fresh = register(client, email="someone.new@example.org", follow_redirects=True)
    pages = {CSRF_INPUT.sub("", response.get_data(as_text=True).replace("someone.new@example.org", "zoe@example.org"))
             for response in [*responses, fresh]}
    assert len(pages) == 1, "the page answers the same for a new address and for every repeat"
    assert [mail.subject for mail in mailbox.to("zoe@example.org")] == ["You already have a Coursesite account"]

    limiter.limiter.clear(ADDRESS_MAIL_LIMIT, "address-mail", owner.email)  # as an hour passing would
    register(client, email="zoe@example.org")
    assert len(mailbox.to("zoe@example.org")) == 2


def test_repeating_an_email_change_within_the_hour_mails_once_and_keeps_the_link(client, mailbox, user):
    submit_login(client, user.email)
    change_email(client, "new@example.org")
    first_link = change_link(mailbox, "new@example.org")
    change_email(client, "new@example.org")
    assert len(mailbox.to("new@example.org")) == 1
    assert client.get(first_link).status_code == 302
    assert reload(user).email == "new@example.org"
