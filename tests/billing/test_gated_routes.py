"""Every gated route in ``app.url_map`` refuses users without access, and opens for users with it.

Gated means: a module's inner pages (``/modules/<slug>/…``: lectures, test, forum, guides, ...) and lecture media.
A new route there is picked up here automatically; if it takes an argument this test cannot fill, it fails and asks
for a sample value, rather than letting an unchecked route through.
"""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import select

from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.billing.conftest import csrf_token, login, make_user, module_id

REFUSED = {401, 403, 404}


def is_gated(rule) -> bool:
    path = rule.rule
    return (path.startswith("/modules/<slug>/") or path.startswith("/media/lectures/")) and rule.endpoint != "static"


def sample_values(locked: Lecture) -> dict[str, str]:
    return {"slug": locked.module.slug, "lecture_slug": locked.slug, "name": locked.media_path.split("/", 1)[1]}


def gated_urls(app, locked: Lecture) -> list[tuple[str, str]]:
    values = sample_values(locked)
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not is_gated(rule):
            continue
        unknown = rule.arguments - values.keys()
        if unknown:
            pytest.fail(f"{rule.rule}: add sample values for {sorted(unknown)} to this test so it can check the route")
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        with app.test_request_context():
            urls.append((method, url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})))
    return urls


@pytest.fixture
def locked_lecture(sample_module) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.preview.is_(False)).order_by(Lecture.position))


def request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.open(url, method=method, data={"csrf_token": csrf_token(client)})


def test_gated_routes_are_found(app, locked_lecture):
    paths = {url for _, url in gated_urls(app, locked_lecture)}
    assert f"/modules/sample-module/lectures/{locked_lecture.slug}" in paths
    assert f"/media/{locked_lecture.media_path}" in paths


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
