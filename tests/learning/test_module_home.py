"""The learner's module home (/modules/<slug>/learn), "My learning" with progress, and the catalogue's module page
for a person with access (coursesite/learning/module_home.py)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from coursesite.catalog.models import Lecture, Module
from coursesite.extensions import cache, db
from coursesite.learning.module_home import resume_point
from coursesite.learning.progress import completion
from coursesite.models_base import utcnow
from coursesite.synthetic import add_synthetic_modules
from tests.factories import grant_access, make_user, watch
from tests.support import login_as

HOME = "/modules/sample-module/learn"
# Every page of a module a learner with access may open, by endpoint (docs in /work/notes/contracts.md).
MODULE_PAGES = ["reading.glossary", "reading.bibliography", "notes.module_notes", "progress.attendance",
                "assessment.test"]


def lectures_of(slug: str) -> list[Lecture]:
    return list(db.session.scalars(select(Lecture).join(Lecture.module).where(Module.slug == slug)
                                   .order_by(Lecture.position)))


@pytest.fixture
def learner(app, sample_module):
    user = make_user("home@example.org")
    grant_access(user)
    return user


def progress_bars(page: str) -> list[dict[str, str]]:
    """Each <progress> element's attributes and the text figure printed beside it."""
    found = re.findall(r'<progress ([^>]*)>[^<]*</progress>\s*<span class="progress-text">([^<]*)</span>', page)
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', attributes), text=text) for attributes, text in found]


def module_page_links(app, slug: str = "sample-module") -> set[str]:
    with app.test_request_context():
        links = {url_for(endpoint, slug=slug) for endpoint in MODULE_PAGES}
        links |= {url_for("reading.guide", slug=slug, guide_slug=guide) for guide in ("overview", "workbook")}
    return links


def test_the_module_home_lists_the_lectures_in_order_with_length_and_labelled_progress(app, learner):
    first, second = lectures_of("sample-module")
    watch(learner, first, 1.0)
    page = login_as(app, learner).get(HOME).get_data(as_text=True)
    listed = page[page.index('id="lectures-title"'):]
    assert listed.index(f'href="/modules/sample-module/lectures/{first.slug}"') < listed.index(
        f'href="/modules/sample-module/lectures/{second.slug}"')
    assert "4 s" in page and "5 s" in page  # each lecture's length
    bars = progress_bars(page)
    module_bar, *lecture_bars = bars
    assert module_bar["aria-label"] == "Your progress in this module" and module_bar["max"] == "100"
    percent = round(completion(learner.id, first.module).percent)
    assert module_bar["text"] == f"{percent}% watched · 1 of 2 lectures complete"
    assert [(bar["aria-label"], bar["value"], bar["text"]) for bar in lecture_bars] == [
        (f"Watched of “{first.title}”", "100.0", "Complete"),
        (f"Watched of “{second.title}”", "0.0", "Not started"),
    ]


def test_the_module_home_links_every_page_of_the_module(app, learner):
    page = login_as(app, learner).get(HOME).get_data(as_text=True)
    for link in module_page_links(app):
        assert f'href="{link}"' in page, link
    assert 'href="/modules/sample-module"' in page  # back to the module's description


def test_continue_starts_with_the_first_lecture_when_nothing_was_played(app, learner):
    page = login_as(app, learner).get(HOME).get_data(as_text=True)
    first = lectures_of("sample-module")[0]
    assert (f'<a class="button" href="/modules/sample-module/lectures/{first.slug}">Continue'
            f'<span class="continue-detail"> with the first lecture: {first.title}</span></a>') in page
    assert "Continue where you left off" not in page


@pytest.fixture
def long_module(app):
    """A module of four lectures of about two minutes each, and a learner with access to it."""
    (module,) = add_synthetic_modules(1, lectures_per_module=4)
    user = make_user("long@example.org")
    grant_access(user, module)
    return module, lectures_of(module.slug), user


def test_continue_resumes_the_lecture_last_played_at_its_last_position(app, long_module):
    module, lectures, user = long_module
    earlier = utcnow() - timedelta(days=2)
    watch(user, lectures[0], 1.0, at=earlier)
    watch(user, lectures[2], 0.5, at=earlier + timedelta(hours=1))  # the most recent: the third, half-way
    watch(user, lectures[1], 0.25, at=earlier - timedelta(days=1))
    position = int(lectures[2].duration_seconds * 0.5)
    page = login_as(app, user).get(f"/modules/{module.slug}/learn").get_data(as_text=True)
    assert "Continue where you left off" in page
    assert f'href="/modules/{module.slug}/lectures/{lectures[2].slug}?t={position}">Continue' in page
    assert resume_point(completion(user.id, module)).seconds == position


def test_a_lecture_left_at_its_end_continues_with_the_next_one_not_complete(app, long_module):
    module, lectures, user = long_module
    start = utcnow() - timedelta(hours=3)
    watch(user, lectures[0], 1.0, at=start)
    watch(user, lectures[2], 1.0, at=start + timedelta(hours=1))  # the third, finished last
    point = resume_point(completion(user.id, module))
    assert (point.lecture_slug, point.seconds) == (lectures[3].slug, 0)  # the fourth follows the third
    watch(user, lectures[3], 1.0, at=start + timedelta(hours=2))
    point = resume_point(completion(user.id, module))
    assert (point.lecture_slug, point.seconds) == (lectures[1].slug, 0)  # nothing after it: the second, skipped


def test_a_finished_module_says_so_and_offers_to_watch_again_from_the_start(app, long_module):
    module, lectures, user = long_module
    for number, lecture in enumerate(lectures):
        watch(user, lecture, 1.0, at=utcnow() - timedelta(hours=10 - number))
    page = login_as(app, user).get(f"/modules/{module.slug}/learn").get_data(as_text=True)
    assert "You completed every lecture on" in page
    assert progress_bars(page)[0]["text"] == "100% watched · 4 of 4 lectures complete"
    assert f'href="/modules/{module.slug}/lectures/{lectures[0].slug}">Watch again' in page
    assert "Continue where you left off" not in page


def test_the_module_home_is_for_learners_with_access_only(app, client, sample_module):
    response = client.get(HOME)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    stranger = login_as(app, make_user("stranger@example.org"))
    refused = stranger.get(HOME)
    assert refused.status_code == 403
    assert 'href="/modules/sample-module"' in refused.get_data(as_text=True)  # where access is sold
    assert "Your progress" not in refused.get_data(as_text=True)
    assert stranger.get("/modules/no-such-module/learn").status_code == 404
    module = db.session.scalar(select(Module).where(Module.slug == "sample-module"))
    module.published = False
    db.session.commit()
    holder = make_user("holder@example.org")
    grant_access(holder)
    assert login_as(app, holder).get(HOME).status_code == 404


def test_staff_who_open_every_module_get_the_module_home(app, sample_module):
    editor = login_as(app, make_user("editor@example.org", role="editor"))
    assert editor.get(HOME).status_code == 200


def test_the_module_home_costs_the_same_queries_however_many_lectures(app, count_queries):
    small, large = add_synthetic_modules(1, lectures_per_module=2)[0], add_synthetic_modules(
        1, lectures_per_module=12, start=2)[0]
    user = make_user("counted@example.org")
    counts = []
    for module in (small, large):
        grant_access(user, module)
        for lecture in lectures_of(module.slug)[:2]:
            watch(user, lecture, 0.5)
        client, url = login_as(app, user), f"/modules/{module.slug}/learn"
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    # The login session (with the user); the module and its lectures, the access (the gate); the progress; the
    # guides, and the glossary and bibliography counts.
    assert counts == [7, 7]


# "My learning" ----------------------------------------------------------------------------------------------------

def test_my_learning_shows_each_modules_progress_and_next_lecture(app, long_module):
    module, lectures, user = long_module
    watch(user, lectures[0], 1.0, at=utcnow() - timedelta(hours=2))
    watch(user, lectures[1], 0.3, at=utcnow() - timedelta(hours=1))
    page = login_as(app, user).get("/learning").get_data(as_text=True)
    (bar,) = progress_bars(page)
    assert bar["aria-label"] == f"Your progress in {module.title}"
    assert bar["text"] == f"{round(completion(user.id, module).percent)}% watched · 1 of 4 lectures complete"
    position = int(lectures[1].duration_seconds * 0.3)
    assert f'href="/modules/{module.slug}/lectures/{lectures[1].slug}?t={position}">Continue' in page
    assert f'href="/modules/{module.slug}/learn"' in page
    # The next lecture is the one being resumed: named once, on the button.
    assert "Next lecture:" not in page
    watch(user, lectures[3], 0.5)  # skipped ahead: the second is still the next lecture not complete
    page = login_as(app, user).get("/learning").get_data(as_text=True)
    assert f'Next lecture: <a href="/modules/{module.slug}/lectures/{lectures[1].slug}">{lectures[1].title}</a>' in page
    assert f'href="/modules/{module.slug}/lectures/{lectures[3].slug}?t=' in page


def test_my_learning_progress_costs_one_query_for_every_module(app, count_queries):
    user = make_user("many@example.org")
    modules = add_synthetic_modules(4, lectures_per_module=3)
    client = login_as(app, user)
    counts = []
    for held in (modules[:1], modules[1:]):
        for module in held:
            grant_access(user, module)
            watch(user, lectures_of(module.slug)[0], 0.5)
        with count_queries() as counter:
            assert client.get("/learning").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


# The catalogue's module page -----------------------------------------------------------------------------------------

def test_the_module_page_gives_a_learner_with_access_every_page_and_continue_to_the_resume_point(app, long_module):
    module, lectures, user = long_module
    watch(user, lectures[1], 0.5)
    page = login_as(app, user).get(f"/modules/{module.slug}").get_data(as_text=True)
    study = page[page.index('class="study-status"'):]
    for link in module_page_links(app, module.slug):
        if "/guides/" not in link:  # the synthetic module's guides are guide-1 and guide-2
            assert f'href="{link}"' in study, link
    for guide in ("guide-1", "guide-2"):
        assert f'href="/modules/{module.slug}/guides/{guide}"' in study
    assert f'href="/modules/{module.slug}/learn"' in study
    position = int(lectures[1].duration_seconds * 0.5)
    assert page.count(">Continue<") == 1
    assert f'href="/modules/{module.slug}/lectures/{lectures[1].slug}?t={position}">Continue' in study
    assert progress_bars(study)[0]["aria-label"] == "Your progress in this module"


def test_visitors_and_learners_without_access_see_no_study_links(app, client, sample_module):
    for viewer in (client, login_as(app, make_user("none@example.org"))):
        page = viewer.get("/modules/sample-module").get_data(as_text=True)
        assert 'class="study-status"' not in page and '/learn"' not in page
        for link in module_page_links(app):
            if "/guides/" not in link:  # the public page lists the guides' titles, not links to read them
                assert f'href="{link}"' not in page, link


def test_one_learners_progress_never_shows_on_anothers_module_page(app, long_module):
    module, lectures, user = long_module
    other = make_user("other@example.org")
    grant_access(other, module)
    watch(user, lectures[1], 0.5)
    cache.clear()
    assert "?t=" in login_as(app, user).get(f"/modules/{module.slug}").get_data(as_text=True)
    page = login_as(app, other).get(f"/modules/{module.slug}").get_data(as_text=True)
    assert "?t=" not in page and "with the first lecture" in page
