"""My learning: the modules a learner holds, with their access window and certificate, in a bounded number of
queries."""
from __future__ import annotations

from datetime import timedelta

from coursesite.billing.access import grant_entitlement
from coursesite.catalog.models import Module
from coursesite.extensions import db
from coursesite.learning.overview import learning_overview
from coursesite.models_base import utcnow
from tests.factories import make_module, make_user, module_id
from tests.support import login_as


def my_learning_page(app, *, days: int, granted_days_ago: int) -> str:
    """"My learning" for a learner granted ``days`` of access to the sample module ``granted_days_ago`` days ago."""
    learner = make_user()
    grant_entitlement(learner.id, module_id(), kind="access", days=days, source="grant",
                      now=utcnow() - timedelta(days=granted_days_ago))
    db.session.commit()
    return login_as(app, learner).get("/learning").get_data(as_text=True)


def test_my_learning_shows_the_access_window_and_days_left(app, sample_module):
    page = my_learning_page(app, days=40, granted_days_ago=10)
    assert "A Sample Module" in page and "<strong>30 days left</strong>" in page
    assert 'Continue<span class="continue-detail"> with the first lecture: First steps' in page
    assert "Test and certificate: not bought yet." in page


def test_my_learning_lists_ended_access_with_a_renew_link(app, sample_module):
    page = my_learning_page(app, days=5, granted_days_ago=30)
    assert "Access ended on" in page and "Renew" in page and "Continue" not in page


def test_a_module_withdrawn_from_the_catalogue_stays_listed_without_links_to_closed_pages(app, sample_module):
    db.session.get(Module, module_id()).published = False
    db.session.commit()
    page = my_learning_page(app, days=40, granted_days_ago=10)
    assert "A Sample Module" in page and "withdrawn from the catalogue" in page
    assert "/modules/sample-module" not in page and "Continue" not in page


def test_learning_overview_counts_renewals_in_the_window(app, sample_module):
    learner = make_user()
    now = utcnow()
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order", now=now)
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order", now=now)
    db.session.commit()
    (item,) = learning_overview(learner.id, now)
    assert item.active and item.days_left == 730 and item.ends - item.starts == timedelta(days=730)


def test_learning_overview_shows_the_certificate_and_puts_current_access_first(app, sample_module):
    learner = make_user()
    ended = make_module("an-ended-module", "An ended module")
    grant_entitlement(learner.id, ended.id, kind="access", days=5, source="grant", now=utcnow() - timedelta(days=30))
    grant_entitlement(learner.id, module_id(), kind="access", days=365, source="order")
    grant_entitlement(learner.id, module_id(), kind="certificate", days=365, source="order")
    db.session.commit()
    current, past = learning_overview(learner.id)
    assert (current.module.title, current.active, current.has_certificate) == ("A Sample Module", True, True)
    assert (past.module.title, past.active, past.has_certificate, past.days_left) == ("An ended module", False,
                                                                                       False, 0)


def test_my_learning_needs_a_login(client):
    response = client.get("/learning")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_my_learning_query_count_does_not_grow_with_modules(app, sample_module, count_queries):
    learner = make_user()
    client = login_as(app, learner)

    def queries() -> int:
        with count_queries() as counter:
            assert client.get("/learning").status_code == 200
        return counter.count

    grant_entitlement(learner.id, module_id(), kind="access", days=30, source="grant")
    db.session.commit()
    one = queries()
    for number in range(3):
        extra = make_module(f"extra-{number}", f"Extra module {number}")
        grant_entitlement(learner.id, extra.id, kind="access", days=30, source="grant")
        db.session.commit()
    assert queries() == one
