"""Search: catalogue hits for everyone, module content for those who may read it, marked safely, grouped, paged;
any input answered with a page; the index follows every import."""
from __future__ import annotations

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from coursesite.accounts.models import User
from coursesite.catalog.content import import_content
from coursesite.extensions import db
from coursesite.learning.search import PAGE_SIZE, parse_query, search
from coursesite.learning.search_models import SearchEntry
from coursesite.models_base import utcnow
from tests.factories import grant_access, make_user, module_id
from tests.support import login_as

HIT_LINK = re.compile(r'<h3><a href="([^"]+)">')


def write_cues(folder: Path, lecture: str, texts: list[str]) -> None:
    """Replace the captions of ``lecture`` (file stem) in module ``folder`` with one two-second cue per text."""
    cues = [f"00:{index * 2 // 60:02d}:{index * 2 % 60:02d}.000 --> 00:{index * 2 // 60:02d}:{index * 2 % 60:02d}.900\n"
            f"{text}\n" for index, text in enumerate(texts)]
    (folder / "lectures" / f"{lecture}.vtt").write_text("WEBVTT\n\n" + "\n".join(cues), encoding="utf-8")


def write_glossary(folder: Path, terms: list[tuple[str, str]]) -> None:
    """Replace the glossary of module ``folder`` with these (term, definition) pairs."""
    entries = "".join(f"- term: {json.dumps(term)}\n  definition: {json.dumps(definition)}\n"
                      for term, definition in terms)
    (folder / "glossary.yaml").write_text(entries, encoding="utf-8")


REHEARSALS = [(f"Rehearsal {n}", f"The rehearsal numbered {n}.") for n in range(45)]


def add_module(content: Path, slug: str, title: str) -> Path:
    """A copy of the fixture module under another slug and title, beside it in ``content``."""
    folder = content / slug
    shutil.copytree(content / "sample-module", folder)
    module_yaml = folder / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("title: A Sample Module", f"title: {title}"))
    return folder


def imported(path: Path) -> None:
    report = import_content(path)
    assert report.ok, report.errors


def links(page: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in HIT_LINK.findall(page)]


@pytest.fixture
def two_modules(app, content_copy) -> Path:
    """The sample module and "other-module", each with a cue of its own word (walrus, narwhal)."""
    write_cues(content_copy / "sample-module", "01-first-steps", ["Welcome to the first steps.", "The walrus waits."])
    other = add_module(content_copy, "other-module", "Another Module")
    write_cues(other, "01-first-steps", ["Welcome again.", "The narwhal swims."])
    imported(content_copy)
    return content_copy


@pytest.fixture(autouse=True)
def in_a_request(app):
    """search() builds the links of its hits, as in a request."""
    with app.test_request_context():
        yield


@pytest.fixture
def learner(app):
    return make_user()


# Who finds what ---------------------------------------------------------------------------------------------------

def test_visitor_finds_catalogue_entries_only(client, two_modules):
    page = client.get("/search?q=fictional").get_data(as_text=True)
    assert "/speakers/ada-testwright" in links(page) and "/speakers/bo-fixture" in links(page)
    modules = client.get("/search?q=sample").get_data(as_text=True)
    assert "/modules/sample-module" in links(modules)
    transcript = client.get("/search?q=walrus")
    assert transcript.status_code == 200
    text = transcript.get_data(as_text=True)
    assert links(text) == [] and "Nothing was found" in text and "Log in</a> to search the transcripts" in text
    assert links(client.get("/search?q=thirdness").get_data(as_text=True)) == []  # a reference


def test_learner_finds_content_only_in_modules_they_may_read(app, two_modules, learner):
    grant_access(learner, module_id("sample-module"))
    client = login_as(app, learner)
    own = client.get("/search?q=walrus").get_data(as_text=True)
    assert links(own) == ["/modules/sample-module/lectures/first-steps?t=2"]
    other = client.get("/search?q=narwhal").get_data(as_text=True)
    assert links(other) == [] and "Nothing was found" in other
    catalogue = client.get("/search?q=another").get_data(as_text=True)
    assert "/modules/other-module" in links(catalogue)  # the other module's catalogue entry is everyone's


def test_ended_access_finds_catalogue_entries_only(app, two_modules, learner):
    grant_access(learner, module_id("sample-module"), days=10, now=utcnow() - timedelta(days=30))
    results = search("walrus", learner)
    assert results.total == 0 and results.catalogue_only


def test_each_kind_of_content_links_to_its_place(app, two_modules, learner):
    grant_access(learner, module_id("sample-module"))
    client = login_as(app, learner)

    def found(words: str) -> list[str]:
        return links(client.get(f"/search?q={words}").get_data(as_text=True))

    assert "/modules/sample-module/lectures/in-conversation?t=2.2" in found("transcript cues")
    places = {"guide text": "/modules/sample-module/guides/overview#the-idea",
              "comes first": "/modules/sample-module/glossary#term-first-idea",
              "intersubjective thirdness": "/modules/sample-module/bibliography#ref-benjamin-2004"}
    for words, place in places.items():
        assert place in found(words)
        path, anchor = place.split("#")
        target = client.get(path)
        assert target.status_code == 200 and f'id="{anchor}"' in target.get_data(as_text=True)


def test_unpublished_modules_are_not_found(app, content_copy, learner):
    module_yaml = content_copy / "sample-module" / "module.yaml"
    module_yaml.write_text(module_yaml.read_text().replace("published: true", "published: false"))
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    assert search("sample", None).total == 0
    assert search("welcome", learner).total == 0


# Marking, grouping, paging ----------------------------------------------------------------------------------------

def test_hits_are_escaped_then_marked(app, content_copy, learner):
    write_glossary(content_copy / "sample-module", [("Tom & Jerry", "Writes <script>alert(1)</script> & more.")])
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    page = login_as(app, learner).get("/search?q=script+alert").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "Writes &lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/" in page and "&gt; &amp; more" in page
    assert '<a href="/modules/sample-module/glossary#term-tom-jerry">Tom &amp; Jerry</a>' in page


def test_the_query_is_shown_back_escaped(client, sample_module):
    page = client.get("/search?q=<img src=x onerror=alert(1)>").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_hits_are_grouped_by_module(app, two_modules, learner):
    grant_access(learner, module_id("sample-module"))
    grant_access(learner, module_id("other-module"))
    results = search("welcome", learner)
    assert sorted(group.slug for group in results.groups) == ["other-module", "sample-module"]
    assert [len(group.hits) for group in results.groups] == [1, 1] and results.total == 2
    page = login_as(app, learner).get("/search?q=welcome").get_data(as_text=True)
    assert page.count('<section class="search-group"') == 2


def test_results_are_paged(app, content_copy, learner):
    write_glossary(content_copy / "sample-module", REHEARSALS)
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    client = login_as(app, learner)
    first = client.get("/search?q=rehearsal").get_data(as_text=True)
    assert "45 results" in first and "page 1 of 3" in first and len(links(first)) == PAGE_SIZE
    assert 'href="/search?q=rehearsal&amp;page=2" rel="next"' in first
    last = client.get("/search?q=rehearsal&page=3").get_data(as_text=True)
    assert len(links(last)) == 5 and 'rel="prev"' in last and 'rel="next"' not in last
    pages = {link for number in (1, 2, 3)
             for link in links(client.get(f"/search?q=rehearsal&page={number}").get_data(as_text=True))}
    assert len(pages) == 45


@pytest.mark.parametrize(("page", "message"), [
    ("4", "There is no page 4: the results fill 3 pages."),
    ("99999", "There is no page 99999: the results fill 3 pages."),
    ("0", "“0” is not a page number, so here is the first page."),
    ("-2", "“-2” is not a page number"),
    ("two", "“two” is not a page number"),
    ("1e3", "“1e3” is not a page number"),
    ("99999999999999999999", "is not a page number"),
    ("%E2%80%8B", "is not a page number"),
])
def test_page_numbers_out_of_range_or_garbage_get_a_message(app, content_copy, learner, page, message):
    write_glossary(content_copy / "sample-module", REHEARSALS)
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    response = login_as(app, learner).get(f"/search?q=rehearsal&page={page}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text and links(text)


def test_a_search_matching_too_much_ranks_a_bounded_number(app, content_copy, learner, monkeypatch):
    monkeypatch.setattr("coursesite.learning.search.MAX_CANDIDATES", 30)
    monkeypatch.setattr("coursesite.learning.search.MAX_PAGE", 2)
    write_glossary(content_copy / "sample-module", REHEARSALS)
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    client = login_as(app, learner)
    first = client.get("/search?q=rehearsal").get_data(as_text=True)
    assert "More than 30 results" in first and "add a word to narrow the search" in first and "page 1 of 2" in first
    beyond = client.get("/search?q=rehearsal&page=5").get_data(as_text=True)
    assert "There is no page 5: a search shows at most 2 pages." in beyond and len(links(beyond)) == 10


def test_a_page_beyond_the_results_of_a_search_finding_nothing(client, sample_module):
    text = client.get("/search?q=zzyzx&page=7").get_data(as_text=True)
    assert "There is no page 7: nothing was found." in text


# Bad input ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "expected"), [
    ("", "Type a word or two to search for."),
    ("   ", "Type a word or two to search for."),
    ("the and of", "only very common words"),
    ("?!… — ** ^^ ::", "no letters or numbers"),
    ('"', "no letters or numbers"),
    ("((((", "no letters or numbers"),
    ("sample AND", "for <strong>sample</strong>"),
    ("sample OR module NOT thing", "sample module thing"),
    ("NEAR(sample module, 2)", "near sample module 2"),
    ('"sample', "for <strong>sample</strong>"),
    ("sample*", "for <strong>sample</strong>"),
    ("^sample", "for <strong>sample</strong>"),
    ("title:sample", "title sample"),
    ("(sample", "for <strong>sample</strong>"),
    ("sample)) OR ((", "for <strong>sample</strong>"),
    ("'; DROP TABLE search_entries; --", "drop table search entries"),
    ("sample & | ! <-> :*", "for <strong>sample</strong>"),
    ("\x1fsample\x07", "for <strong>sample</strong>"),
    ("ｓａｍｐｌｅ", "ｓａｍｐｌｅ"),
])
def test_bad_input_gets_a_page(client, sample_module, query, expected):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)


def test_a_nul_character_gets_the_house_page_for_it(client, sample_module):
    response = client.get("/search", query_string={"q": "sample\x00"})
    assert response.status_code == 400 and "not allowed" in response.get_data(as_text=True)


def test_ten_kilobytes_of_text_are_cut_to_the_first_words(client, sample_module):
    query = "sample " + "word " * 2048
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "only its first 200 characters were used" in text
    assert len(parse_query(query).terms) <= 8


def test_operators_find_what_the_plain_words_find(app, sample_module):
    assert search('"sample" AND (module*', None).total == search("sample module", None).total == 1


def test_a_repeated_parameter_or_none_at_all_is_a_page(client, sample_module):
    assert client.get("/search").status_code == 200
    assert client.get("/search?q=sample&q=module&page=1&page=x").status_code == 200


# The index follows the content ------------------------------------------------------------------------------------

def test_reimport_removes_and_adds_cues(app, content_copy, learner):
    folder = content_copy / "sample-module"
    write_cues(folder, "01-first-steps", ["The walrus waits.", "The heron stands."])
    imported(content_copy)
    grant_access(learner, module_id("sample-module"))
    assert search("walrus", learner).total == 1
    write_cues(folder, "01-first-steps", ["The heron stands.", "The otter dives."])
    imported(content_copy)
    assert search("walrus", learner).total == 0
    assert search("otter", learner).total == 1 and search("heron", learner).total == 1
    imported(content_copy)  # idempotent: nothing doubles
    assert search("heron", learner).total == 1


def test_a_speaker_changed_by_one_import_is_found_in_every_module(app, two_modules):
    speakers = two_modules / "speakers.yaml"
    speakers.write_text(speakers.read_text().replace("Bo Fixture is another fictional speaker.",
                                                     "Bo Fixture keeps bees."))
    imported(two_modules / "sample-module")  # only one module: the other shares the speaker
    results = search("bees", None)
    assert sorted(group.slug for group in results.groups) == ["other-module", "sample-module"]
    assert search("another fictional speaker", None).total == 0


def test_a_failed_import_leaves_the_index_as_it_was(app, content_copy):
    write_cues(content_copy / "sample-module", "01-first-steps", ["The walrus waits."])
    imported(content_copy)
    before = db.session.scalar(select(func.count()).select_from(SearchEntry))
    write_cues(content_copy / "sample-module", "01-first-steps", ["The heron stands."])
    broken = add_module(content_copy, "broken-module", "Broken")
    (broken / "module.yaml").write_text("title: [unclosed\n")
    assert not import_content(content_copy).ok
    assert db.session.scalar(select(func.count()).select_from(SearchEntry)) == before
    assert search("heron", make_user(role="editor")).total == 0


def test_the_demo_load_indexes_what_it_imports(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.example.org"))
    results = search("transcript cues", learner)
    assert [hit.url for group in results.groups for hit in group.hits] == [
        "/modules/sample-module/lectures/in-conversation?t=2.2"]


def test_reindex_command_fills_an_index_emptied_since_the_import(app, runner, sample_module):
    db.session.execute(SearchEntry.__table__.delete())
    db.session.commit()
    editor = make_user("editor@example.org", role="editor")
    assert search("transcript cues", editor).total == 0
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "rebuilt for 1 module(s)" in result.output
    assert search("transcript cues", editor).total == 1


def test_staff_who_may_open_every_module_find_its_content(app, two_modules):
    editor = make_user("editor@example.org", role="editor")
    assert search("narwhal", editor).total == 1 and search("walrus", editor).total == 1


# Cost ---------------------------------------------------------------------------------------------------------------

def test_query_count_does_not_grow_with_hits_or_modules(app, content_copy, learner, count_queries):
    write_glossary(content_copy / "sample-module", REHEARSALS)
    for number in range(3):
        add_module(content_copy, f"extra-{number}", f"Extra {number}")
    imported(content_copy)
    for slug in ("sample-module", "extra-0", "extra-1", "extra-2"):
        grant_access(learner, module_id(slug))
    client = login_as(app, learner)
    counts = []
    for query in ("zzyzx", "rehearsal", "welcome"):
        with count_queries() as counter:
            assert client.get(f"/search?q={query}").status_code == 200
        counts.append(counter.count)
    # the login session and user, the access windows, the page of hits, their marked text
    assert counts[1] == counts[2] <= 6
    assert counts[0] <= counts[1]
