"""Every gated route in ``app.url_map`` refuses users without access, and opens for users with it.

A view is gated when it is decorated with ``billing.gating.requires_module_access`` (which both enforces access and
tags the view). Every other route must be listed in ``UNGATED`` below, with the reason it needs no module access: a
new route that is neither fails here, so a module page cannot slip through undecorated. A gated route taking an
argument this test cannot fill fails too, and asks for a sample value.
"""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from coursesite.billing.access import grant_entitlement
from coursesite.billing.gating import is_gated
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.billing.conftest import login, make_user, module_id

REFUSED = {401, 403, 404}

# Routes that show no module content, so need no access to a module (they may still need a login or a role).
UNGATED = {
    # public pages: the catalogue, module and speaker pages (descriptions, prices, preview lectures), photos
    "catalog.home", "catalog.catalog", "catalog.module", "catalog.speaker", "media.speaker_photo", "static",
    "health.healthz",
    # accounts: registration, login, profile, data export and deletion; the audit log (admins)
    "auth.register", "auth.confirm", "auth.confirm_email_change", "auth.login", "auth.logout", "auth.reset_request",
    "auth.reset_password", "account.profile", "account.change_email", "account.change_password", "account.delete",
    "account.export", "account.end_other_sessions", "audit.audit_log",
    # buying access, the buyer's own orders and learning overview, the Stripe webhook, staff access (admins)
    "billing.checkout", "billing.checkout_success", "billing.checkout_cancelled", "billing.checkout_failed",
    "billing.test_checkout", "billing.learning", "billing.orders", "billing.receipt", "billing.stripe_webhook",
    "billing.staff_access", "billing.staff_revoke",
    # organisations: membership-checked dashboards and seat management, invitations
    "organizations.index", "organizations.dashboard", "organizations.invitation", "organizations.invite",
    "organizations.rename", "organizations.resend", "organizations.revoke", "organizations.upload",
}


def test_every_route_is_gated_or_explicitly_ungated(app):
    for rule in app.url_map.iter_rules():
        gated = is_gated(app.view_functions[rule.endpoint])
        if gated:
            assert rule.endpoint not in UNGATED, f"{rule.endpoint} is gated: remove it from UNGATED"
        else:
            assert rule.endpoint in UNGATED, (
                f"{rule.rule} ({rule.endpoint}) is neither decorated with requires_module_access nor listed in "
                f"UNGATED: gate it, or list it with the reason it shows no module content")


def sample_values(locked: Lecture) -> dict[str, str]:
    return {"slug": locked.module.slug, "lecture_slug": locked.slug, "name": locked.media_path.split("/", 1)[1]}


def gated_urls(app, locked: Lecture) -> list[tuple[str, str]]:
    values = sample_values(locked)
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_gated(app.view_functions[rule.endpoint]):
            continue
        unknown = rule.arguments - values.keys()
        if unknown:
            pytest.fail(f"{rule.rule}: add sample values for {sorted(unknown)} to this test so it can check the route")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context():
                urls.append((method, url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})))
    return urls


@pytest.fixture
def locked_lecture(sample_module) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.preview.is_(False)).order_by(Lecture.position))


def form_token(client) -> str:
    """A CSRF token for this client's session, from a form it may see: the login page for visitors, the account
    page once logged in. Without one, a POST would be refused for its token, not for lacking access."""
    for page in ("/auth/login", "/account"):
        response = client.get(page)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
        if response.status_code == 200 and found:
            return found.group(1)
    pytest.fail("no page with a CSRF token for this client")


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": form_token(client)})


def test_gated_routes_are_found(app, locked_lecture):
    paths = {url for _, url in gated_urls(app, locked_lecture)}
    assert f"/modules/sample-module/lectures/{locked_lecture.slug}" in paths
    assert f"/media/{locked_lecture.media_path}" in paths


def test_the_post_helper_gets_a_token_for_visitors_and_learners(app):
    assert form_token(app.test_client())
    assert form_token(login(app, make_user("someone@example.org")))


def test_every_gated_route_refuses_visitors_and_learners_without_access(app, locked_lecture):
    urls = gated_urls(app, locked_lecture)
    without_access = login(app, make_user("no-access@example.org"))
    for method, url in urls:
        for who, client in (("visitor", app.test_client()), ("learner", without_access)):
            response = request(client, method, url)
            assert response.status_code in REFUSED or (
                response.status_code == 302 and "login" in response.location), (who, method, url)
            assert locked_lecture.media_path not in response.get_data(as_text=True), (who, url)


def test_every_gated_route_opens_with_access(app, locked_lecture):
    urls = gated_urls(app, locked_lecture)
    learner = make_user("paid@example.org")
    grant_entitlement(learner.id, module_id(), kind="access", days=30, source="grant")
    db.session.commit()
    client = login(app, learner)
    for method, url in urls:
        assert request(client, method, url).status_code == 200, (method, url)
