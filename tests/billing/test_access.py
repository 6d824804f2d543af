from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from coursesite.billing.access import (
    access_ends,
    access_windows,
    can_watch,
    grant_entitlement,
    has_access,
    revoke_entitlement,
    revoke_source,
)
from coursesite.catalog.models import Lecture
from coursesite.extensions import db
from tests.factories import make_user, module_id

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_no_entitlement_no_access(app, sample_module):
    user = make_user()
    assert not has_access(user, module_id(), at=NOW)


def test_access_lasts_for_the_granted_days_only(app, sample_module):
    user = make_user()
    grant_entitlement(user.id, module_id(), kind="access", days=365, source="grant", now=NOW)
    db.session.commit()
    assert has_access(user, module_id(), at=NOW + timedelta(days=364))
    assert not has_access(user, module_id(), at=NOW + timedelta(days=365, seconds=1))
    assert not has_access(user, module_id(), at=NOW - timedelta(seconds=1))


def test_renewal_before_the_end_extends_from_the_current_end(app, sample_module):
    user = make_user()
    grant_entitlement(user.id, module_id(), kind="access", days=365, source="order", now=NOW)
    grant_entitlement(user.id, module_id(), kind="access", days=365, source="order", now=NOW + timedelta(days=300))
    db.session.commit()
    assert access_ends(user.id, module_id()) == NOW + timedelta(days=730)
    assert has_access(user, module_id(), at=NOW + timedelta(days=700))


def test_revoked_entitlement_gives_no_access(app, sample_module):
    user = make_user()
    entitlement = grant_entitlement(user.id, module_id(), kind="access", days=365, source="order", now=NOW)
    revoke_entitlement(entitlement, "refunded", now=NOW + timedelta(days=1))
    db.session.commit()
    assert not has_access(user, module_id(), at=NOW + timedelta(days=2))
    assert access_ends(user.id, module_id()) is None


def test_certificate_entitlement_is_not_access(app, sample_module):
    user = make_user()
    grant_entitlement(user.id, module_id(), kind="certificate", days=365, source="order", now=NOW)
    db.session.commit()
    assert not has_access(user, module_id(), at=NOW + timedelta(days=1))


def test_editors_see_every_module_and_previews_are_open(app, sample_module):
    editor = make_user("editor@example.org", role="editor")
    assert has_access(editor, module_id())
    preview, locked = db.session.scalars(select(Lecture).order_by(Lecture.position)).all()
    assert can_watch(None, preview) and not can_watch(None, locked)


def test_lecture_media_is_served_only_to_those_who_may_watch(client, sample_module):
    preview, locked = db.session.scalars(select(Lecture).order_by(Lecture.position)).all()
    assert client.get(f"/media/{preview.media_path}").status_code == 200
    assert client.get(f"/media/{locked.media_path}").status_code == 404
    assert client.get(f"/media/{locked.captions_path}").status_code == 404
    assert client.get("/media/lectures/../../etc/passwd").status_code == 404


def test_revoke_source_revokes_what_one_source_granted_and_closes_the_gap(app, sample_module):
    user = make_user()
    grant_entitlement(user.id, module_id(), kind="access", days=30, source="order", source_ref="order-line:1", now=NOW)
    grant_entitlement(user.id, module_id(), kind="access", days=30, source="order", source_ref="order-line:2", now=NOW)
    db.session.commit()
    assert revoke_source("order", "order-line:1", "refund", now=NOW) == 1
    assert revoke_source("order", "order-line:1", "refund again", now=NOW) == 0  # already revoked
    assert revoke_source("seat", "order-line:2", "wrong source", now=NOW) == 0
    db.session.commit()
    assert access_ends(user.id, module_id(), at=NOW) == NOW + timedelta(days=30)  # the renewal moved to the front
    (window,) = access_windows(user.id)
    assert (window.module_id, window.kind, window.source, window.valid_from) == (module_id(), "access", "order", NOW)
