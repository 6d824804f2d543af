"""Public catalogue pages: content, filters, 404s, cache invalidation and bounded query counts."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from coursesite.billing.models import PriceTier
from coursesite.catalog.content import import_content
from coursesite.catalog.models import Module, Speaker
from coursesite.extensions import cache, db
from coursesite.synthetic import KINDS, add_synthetic_modules
from tests.factories import make_user
from tests.support import login_as


def test_home_lists_published_modules(client, sample_module):
    page = client.get("/").get_data(as_text=True)
    assert "A Sample Module" in page
    assert 'href="/modules/sample-module"' in page


def test_module_page_shows_everything_a_buyer_needs(client, sample_module):
    response = client.get("/modules/sample-module")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in ("A Sample Module", "0.5 CE hours", "Describe the first idea.", "Apply the second idea.",
                     "Ada Testwright, PhD", "Bo Fixture, PsyD", "First steps", "Audio lecture", "Conversation",
                     "4 s", "Free preview", "An overview", "sponsor of this test program"):
        assert expected in page, expected
    for tier, price in (("self_funded", "$265"), ("org_funded", "$280"), ("institutional", "$135"),
                        ("teaching", "$85"), ("certificate", "$50")):
        assert f'id="tier-{tier}"' in page and price in page
    assert "At least 4 seats" in page and "At least 10 seats" in page
    assert "<strong>two</strong>" in page  # the summary's Markdown is rendered


def test_module_page_never_shows_answers(client, sample_module):
    page = client.get("/modules/sample-module").get_data(as_text=True)
    assert "Which idea comes first?" not in page and "It is called the first idea." not in page


def test_markdown_in_content_is_sanitised(app, client, content_copy):
    summary = content_copy / "sample-module" / "module.yaml"
    summary.write_text(summary.read_text().replace(
        "It has **two** lectures.", "It has <script>alert(1)</script> [a link](javascript:alert(1)) lectures."))
    assert import_content(content_copy / "sample-module").ok
    page = client.get("/modules/sample-module").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page


@pytest.mark.parametrize(("query", "shown"), [
    ("", True),
    ("?hours=short", True),
    ("?hours=long", False),
    ("?format=conversation", True),
    ("?format=interview", False),
    ("?speaker=bo-fixture", True),
    ("?speaker=nobody", False),
    ("?hours=bogus&format=%3Cscript%3E", True),
    ("?speaker=" + "x" * 500, False),
    ("?speaker=ada%00", None),
])
def test_catalog_filters(client, sample_module, query, shown):
    response = client.get("/catalog" + query)
    if shown is None:
        assert response.status_code == 400
        return
    assert response.status_code == 200
    assert ("A Sample Module" in response.get_data(as_text=True)) is shown


def test_speaker_page(client, sample_module):
    page = client.get("/speakers/ada-testwright").get_data(as_text=True)
    assert "Ada Testwright, PhD" in page and "fictional" in page
    assert "A recommended website" in page and "First steps" in page


@pytest.mark.parametrize("url", ["/modules/nope", "/speakers/nope", "/modules/%00", "/speakers/a%00b",
                                 "/modules/sample-module/lectures/%00", "/no/such/page"])
def test_unknown_addresses_get_the_friendly_404(client, sample_module, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unpublishing_a_module_takes_it_off_every_cached_page(client, sample_module):
    for url in ("/", "/catalog", "/modules/sample-module", "/speakers/bo-fixture"):
        assert client.get(url).status_code == 200  # now cached
    db.session.scalar(select(Module)).published = False
    db.session.commit()
    assert client.get("/modules/sample-module").status_code == 404
    assert client.get("/speakers/bo-fixture").status_code == 404  # no published lecture left
    assert "A Sample Module" not in client.get("/catalog").get_data(as_text=True)
    assert "A Sample Module" not in client.get("/").get_data(as_text=True)


def test_a_price_change_shows_at_once(client, sample_module):
    assert "$265" in client.get("/modules/sample-module").get_data(as_text=True)
    tier = db.session.scalar(select(PriceTier).where(PriceTier.code == "self_funded"))
    tier.unit_amount = 24900
    db.session.commit()
    page = client.get("/modules/sample-module").get_data(as_text=True)
    assert "$249" in page and "$265" not in page


def test_a_speaker_change_shows_at_once(client, sample_module):
    assert "fictional" in client.get("/speakers/ada-testwright").get_data(as_text=True)
    db.session.scalar(select(Speaker).where(Speaker.slug == "ada-testwright")).bio = "A new biography."
    db.session.commit()
    assert "A new biography." in client.get("/speakers/ada-testwright").get_data(as_text=True)


def test_made_up_filter_values_do_not_fill_the_cache(client, sample_module):
    client.get("/catalog")
    entries = len(cache.cache._cache)
    for number in range(20):
        assert client.get(f"/catalog?speaker=made-up-{number}").status_code == 200
    assert len(cache.cache._cache) == entries


def test_reimport_invalidates_cached_pages(client, content_copy):
    module_dir = content_copy / "sample-module"
    assert import_content(module_dir).ok
    assert "A Sample Module" in client.get("/modules/sample-module").get_data(as_text=True)
    assert "A Sample Module" in client.get("/catalog").get_data(as_text=True)
    yaml_file = module_dir / "module.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("title: A Sample Module", "title: A Renamed Module"))
    assert import_content(module_dir).ok
    assert "A Renamed Module" in client.get("/modules/sample-module").get_data(as_text=True)
    assert "A Renamed Module" in client.get("/catalog").get_data(as_text=True)
    assert "A Renamed Module" in client.get("/").get_data(as_text=True)


PAGES = ["/", "/catalog", "/catalog?format=interview", "/modules/synthetic-1", "/speakers/synthetic-speaker-1-0"]


def queries_per_page(client, count_queries) -> dict[str, tuple[int, int]]:
    """(cold cache, warm cache) statement counts for each page."""
    cache.clear()
    counts = {}
    for url in PAGES:
        with count_queries() as cold:
            assert client.get(url).status_code == 200
        with count_queries() as warm:
            assert client.get(url).status_code == 200
        counts[url] = (cold.count, warm.count)
    return counts


def test_query_counts_are_bounded_and_do_not_grow_with_the_catalogue(app, client, count_queries):
    add_synthetic_modules(2, lectures_per_module=3)
    small = queries_per_page(client, count_queries)
    add_synthetic_modules(20, lectures_per_module=12, start=3)
    large = queries_per_page(client, count_queries)
    assert large == small
    # Cold: the home page and the catalogue include one query for the "from" prices of every card on them (billing's
    # module card part), which left them at 6 and 8; the module page's 9 is unchanged by the viewer parts, which cost a
    # visitor nothing. Warm: a visitor's whole page is one cache read after the content revision.
    for url, (cold, warm) in large.items():
        assert cold <= 9, (url, cold)
        assert warm <= 2, (url, warm)


def test_a_logged_in_view_adds_only_the_session_and_on_a_module_page_the_viewers_access(app, count_queries):
    add_synthetic_modules(3, lectures_per_module=3)
    visitor = queries_per_page(app.test_client(), count_queries)
    member = queries_per_page(login_as(app, make_user()), count_queries)
    for url in PAGES:
        # One query loads the login session; the module page adds one for the viewer's access and certificate
        # (billing's module viewer part, rendered outside the shared cached body).
        extra = 2 if url.startswith("/modules/") else 1
        assert member[url] == (visitor[url][0] + extra, visitor[url][1] + extra), (url, member[url], visitor[url])


@pytest.mark.parametrize("url", ["/", "/catalog", "/modules/sample-module", "/speakers/ada-testwright"])
def test_whole_pages_are_shared_only_between_visitors_who_are_not_logged_in(app, client, sample_module, url):
    visitor_page = client.get(url).get_data(as_text=True)
    assert "Log in" in visitor_page and "Log out" not in visitor_page
    member = login_as(app, make_user())
    member_page = member.get(url).get_data(as_text=True)
    assert "Log out" in member_page and "My learning" in member_page and "Create account" not in member_page
    # The member's visit did not replace the shared page, and a visitor still gets the shared one.
    assert client.get(url).get_data(as_text=True) == visitor_page


def test_a_visitor_with_a_message_waiting_sees_it_on_a_cached_page(client, sample_module):
    client.get("/")  # the shared page is now cached
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "You are logged out.")]
    assert "You are logged out." in client.get("/").get_data(as_text=True)
    assert "You are logged out." not in client.get("/").get_data(as_text=True)


def test_the_catalogue_is_paged_and_links_keep_the_filters(client):
    add_synthetic_modules(30, lectures_per_module=2)
    first = client.get("/catalog").get_data(as_text=True)
    assert "30 modules" in first and "page 1 of 2" in first
    assert first.count('module-card"') == 24
    assert 'href="/catalog?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/catalog?page=2").get_data(as_text=True)
    assert second.count('module-card"') == 6 and 'href="/catalog" rel="prev"' in second
    assert "synthetic-9" in second and "synthetic-9" not in first  # title order, no module twice
    kind = KINDS[1]  # every synthetic module has a lecture of this kind (its first lecture)
    filtered = client.get(f"/catalog?format={kind}").get_data(as_text=True)
    assert f'href="/catalog?format={kind}&amp;page=2" rel="next"' in filtered


@pytest.mark.parametrize("page", ["0", "-1", "abc", "²", "1" * 30, "10001"])
def test_a_page_number_that_is_not_one_shows_the_first_page(client, sample_module, page):
    response = client.get(f"/catalog?page={page}")
    assert response.status_code == 200 and "A Sample Module" in response.get_data(as_text=True)


def test_a_page_past_the_last_is_not_found(client, sample_module):
    assert client.get("/catalog?page=2").status_code == 404
