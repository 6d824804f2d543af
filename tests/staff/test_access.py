"""``/staff/access``: staff with the ``grant_access`` right grant and revoke access (billing.grants does it)."""
from __future__ import annotations

from sqlalchemy import select

from coursesite.billing.access import has_access
from coursesite.billing.models import Entitlement
from coursesite.extensions import db
from tests.factories import make_user, module_id
from tests.support import BUY_PAGE, csrf_token, login_as


def test_admins_grant_and_revoke_on_the_staff_page(app, sample_module):
    learner = make_user("learner@example.org")
    admin = make_user("admin@example.org", role="admin")
    client = login_as(app, admin)
    page = client.get("/staff/access")
    assert page.status_code == 200 and '<option value="sample-module">A Sample Module</option>' in page.get_data(
        as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    token = csrf_token(client, "/staff/access")
    response = client.post("/staff/access", data={"csrf_token": token, "email": "learner@example.org",
                                                  "module": "sample-module", "days": "90"})
    assert response.status_code == 302 and response.location.endswith("/staff/access?email=learner@example.org")
    assert has_access(learner, module_id())
    assert db.session.scalar(select(Entitlement.source_ref)) == f"staff:{admin.id}"
    listing = client.get("/staff/access?email=learner@example.org").get_data(as_text=True)
    assert "Revoke access to A Sample Module" in listing

    response = client.post("/staff/access/revoke", data={
        "csrf_token": token, "email": "learner@example.org", "module": "sample-module"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not has_access(learner, module_id())


def test_staff_page_form_errors_are_shown_on_the_fields(app, sample_module):
    client = login_as(app, make_user("admin@example.org", role="admin"))
    token = csrf_token(client, "/staff/access")
    response = client.post("/staff/access", data={"csrf_token": token, "email": "ghost@example.org",
                                                  "module": "sample-module", "days": "5000"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="days-error"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(Entitlement)) is None


def test_only_staff_who_may_grant_access_reach_the_staff_page(app, sample_module):
    """The one answer of coursesite.permissions: 403 for people logged in without the right (the page answered 404
    while it lived in billing), a login for visitors."""
    learner = make_user("learner@example.org")
    for user in (learner, make_user("editor@example.org", role="editor"),
                 make_user("moderator@example.org", role="moderator")):
        client = login_as(app, user)
        assert client.get("/staff/access").status_code == 403
        token = csrf_token(client, BUY_PAGE)
        assert client.post("/staff/access/revoke", data={
            "csrf_token": token, "email": "learner@example.org", "module": "sample-module"}).status_code == 403
    visitor = app.test_client()
    response = visitor.get("/staff/access")
    assert response.status_code == 302 and "/auth/login" in response.location


def test_the_navigation_links_staff_pages_only_for_those_with_the_right(app, sample_module):
    admin_page = login_as(app, make_user("admin@example.org", role="admin")).get("/catalog").get_data(as_text=True)
    assert 'href="/staff/access"' in admin_page and 'href="/staff/audit"' in admin_page
    editor = login_as(app, make_user("editor@example.org", role="editor"))
    editor_page = editor.get("/catalog").get_data(as_text=True)
    assert "/staff/" not in editor_page
