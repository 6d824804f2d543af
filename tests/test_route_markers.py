"""Every route in ``app.url_map`` carries exactly one marker of ``coursesite.permissions`` — public, login, module
access or a right — and each marker does what it says.

A new route without a marker (or with two) fails :func:`test_every_route_carries_exactly_one_marker`, so no page can
slip through without a decision about who may open it. Every module-access route must refuse people without access
and open with it; every right-marked route must send visitors to log in, answer 403 to a learner and open for a role
holding the right. A marked route taking an argument these tests cannot fill fails too, and asks for a sample value.
"""
from __future__ import annotations

import pytest
from flask import Blueprint, Flask, url_for
from sqlalchemy import select
from werkzeug.routing import Rule

from coursesite.assessment.attempts import start_attempt
from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from coursesite.permissions import (
    Marker,
    login_required,
    public,
    required_right,
    roles_with,
    route_marker,
    route_markers,
)
from tests.clients import IsolatedClient
from tests.factories import make_user, module_id
from tests.support import CSRF_INPUT, login_as

REFUSED = {401, 403, 404}


def markerless_endpoints(app: Flask) -> list[str]:
    """The endpoints whose view carries no marker, or more than one, each with its rule."""
    problems = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue  # Flask's own view for static files: public, and not ours to decorate
        markers = route_markers(app.view_functions[rule.endpoint])
        if len(markers) != 1:
            problems.append(f"{rule.endpoint} ({rule.rule}) carries {len(markers)} markers {list(markers)}")
    return problems


def check_route_markers(app: Flask) -> None:
    problems = markerless_endpoints(app)
    assert not problems, ("every route needs exactly one marker from coursesite.permissions (public, login_required, "
                          "requires_module_access or requires_right):\n" + "\n".join(problems))


def test_every_route_carries_exactly_one_marker(app):
    check_route_markers(app)


def test_the_check_fails_on_a_route_without_a_marker_or_with_two(app):
    extra = Blueprint("extra", __name__)

    @extra.get("/forgotten")
    def forgotten():
        return "nobody decided who may see this"

    @extra.get("/undecided")
    @public
    @login_required
    def undecided():
        return "two answers"

    @extra.get("/decided")
    @public
    def decided():
        return "anyone"

    app.register_blueprint(extra)
    with pytest.raises(AssertionError, match=r"extra\.forgotten \(/forgotten\) carries 0 markers") as failure:
        check_route_markers(app)
    assert "extra.undecided (/undecided) carries 2 markers" in str(failure.value)
    assert "extra.decided" not in str(failure.value)
    assert route_marker(app.view_functions["extra.decided"]) is Marker.PUBLIC
    assert route_marker(app.view_functions["extra.undecided"]) is None


# Sample values for the arguments of marked routes ---------------------------------------------------------------------

@pytest.fixture
def locked_lecture(sample_module) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.preview.is_(False)).order_by(Lecture.position))


def sample_values(locked: Lecture) -> dict[str, str]:
    return {"slug": locked.module.slug, "lecture_slug": locked.slug, "name": locked.media_path.split("/", 1)[1],
            "attempt_id": "1", "certificate_id": "1", "guide_slug": "overview", "fmt": "bib"}


def urls_marked(app: Flask, marker: Marker, values: dict[str, str]) -> list[tuple[str, str, Rule]]:
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if route_marker(app.view_functions[rule.endpoint]) is not marker:
            continue
        unknown = rule.arguments - values.keys()
        if unknown:
            pytest.fail(f"{rule.rule}: add sample values for {sorted(unknown)} to this test so it can check the route")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with app.test_request_context():
                urls.append((method, url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments}), rule))
    return urls


def visitor(app: Flask) -> IsolatedClient:
    """A client that is not logged in, each request in an app context of its own (no CSRF token carried in ``g``)."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def form_token(client) -> str:
    """A CSRF token for this client's session, from a form it may see: the login page for visitors, the account
    page once logged in. Without one, a POST would be refused for its token, not for lacking access."""
    for page in ("/auth/login", "/account"):
        response = client.get(page)
        found = CSRF_INPUT.search(response.get_data(as_text=True))
        if response.status_code == 200 and found:
            return found.group(1)
    pytest.fail("no page with a CSRF token for this client")


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": form_token(client)})


def sent_to_log_in(response) -> bool:
    return response.status_code == 302 and "/auth/login" in response.location


def test_the_post_helper_gets_a_token_for_visitors_and_learners(app):
    assert form_token(visitor(app))
    assert form_token(login_as(app, make_user("someone@example.org")))


# requires_module_access -------------------------------------------------------------------------------------------

def test_module_access_routes_are_found(app, locked_lecture):
    paths = {url for _, url, _ in urls_marked(app, Marker.MODULE_ACCESS, sample_values(locked_lecture))}
    assert f"/modules/sample-module/lectures/{locked_lecture.slug}" in paths
    assert f"/media/{locked_lecture.media_path}" in paths


def test_every_module_access_route_refuses_visitors_and_learners_without_access(app, locked_lecture):
    urls = urls_marked(app, Marker.MODULE_ACCESS, sample_values(locked_lecture))
    without_access = login_as(app, make_user("no-access@example.org"))
    for method, url, _ in urls:
        for who, client in (("visitor", visitor(app)), ("learner", without_access)):
            response = request(client, method, url)
            assert response.status_code in REFUSED or sent_to_log_in(response), (who, method, url)
            assert locked_lecture.media_path not in response.get_data(as_text=True), (who, url)


def test_every_module_access_route_opens_with_access(app, locked_lecture):
    learner = make_user("paid@example.org")
    grant_entitlement(learner.id, module_id(), kind="access", days=30, source="grant")
    db.session.commit()
    # Routes about the learner's own things (a test attempt) get one of theirs; anyone else's is a 404.
    owned = {"attempt_id": str(start_attempt(learner.id, module_id()).id)}
    urls = urls_marked(app, Marker.MODULE_ACCESS, {**sample_values(locked_lecture), **owned})
    client = login_as(app, learner)
    for method, url, _ in urls:
        status = request(client, method, url).status_code
        # A page opens (200); a POST with no form fields may also answer a redirect or a 400, but never a refusal.
        assert status == 200 if method == "GET" else status not in REFUSED and status < 500, (method, url, status)


# requires_right -----------------------------------------------------------------------------------------------------

def test_right_routes_are_found(app, locked_lecture):
    paths = {url for _, url, _ in urls_marked(app, Marker.RIGHT, sample_values(locked_lecture))}
    assert {"/staff/access", "/staff/access/revoke", "/staff/audit"} <= paths


def test_every_right_route_sends_visitors_to_log_in_and_refuses_learners(app, locked_lecture):
    learner = login_as(app, make_user("learner@example.org"))
    for method, url, _ in urls_marked(app, Marker.RIGHT, sample_values(locked_lecture)):
        assert sent_to_log_in(request(visitor(app), method, url)), (method, url)
        assert request(learner, method, url).status_code == 403, (method, url)


def test_every_right_route_opens_for_a_role_holding_the_right(app, locked_lecture):
    for method, url, rule in urls_marked(app, Marker.RIGHT, sample_values(locked_lecture)):
        right = required_right(app.view_functions[rule.endpoint])
        assert right is not None, rule.endpoint
        role = roles_with(right)[0]
        holder = login_as(app, make_user(f"{role}-{rule.endpoint}-{method}@example.org".lower(), role=role))
        response = request(holder, method, url)
        assert response.status_code not in REFUSED and not sent_to_log_in(response), (role, method, url)
        if method == "GET":
            assert response.status_code == 200, (role, url)
