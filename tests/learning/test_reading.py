"""The reading pages of a module (study guides, glossary, bibliography with BibTeX and RIS), who may open them, the
glossary links and references on the lecture page, and the SQL each page costs."""
from __future__ import annotations

import re

import bibtexparser
import pytest
import rispy
from sqlalchemy import select

from coursesite.catalog.models import GlossaryTerm, Lecture, LectureReference, Module, Reference
from coursesite.extensions import db
from tests.factories import grant_access, make_user, module_id
from tests.support import login_as

MODULE = "/modules/sample-module"
GUIDE = f"{MODULE}/guides/overview"
GLOSSARY = f"{MODULE}/glossary"
BIBLIOGRAPHY = f"{MODULE}/bibliography"
PAGES = (GUIDE, GLOSSARY, BIBLIOGRAPHY)
EXPORTS = (f"{BIBLIOGRAPHY}.bib", f"{BIBLIOGRAPHY}.ris")


@pytest.fixture
def reader(app, sample_module):
    """A learner with access to the sample module, logged in."""
    user = make_user("reader@example.org")
    grant_access(user)
    return login_as(app, user)


def add_reference(key: str, position: int, **fields) -> Reference:
    values = {"kind": "article", "authors": "Rønnestad, M. H., & Skovholt, T. M.", "year": 2003,
              "title": "The journey of the counselor and therapist: Research findings and perspectives",
              "container": "Journal of Career Development", "volume": "30", "issue": "1", "pages": "5-44",
              "doi": "10.1023/A:1025173508081"}
    reference = Reference(module_id=module_id(), key=key, position=position, **(values | fields))
    db.session.add(reference)
    db.session.commit()
    return reference


def lecture(slug: str) -> Lecture:
    return db.session.scalar(select(Lecture).where(Lecture.slug == slug))


def cite(lecture_slug: str, reference: Reference, position: int) -> None:
    db.session.add(LectureReference(lecture_id=lecture(lecture_slug).id, reference_id=reference.id,
                                    position=position))
    db.session.commit()


def glossary_links(page: str) -> list[str]:
    return re.findall(r'<a class="gloss-term" href="[^"#]*#(term-[a-z0-9-]+)"', page)


# Who may read -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", PAGES + EXPORTS)
def test_visitors_and_learners_without_access_get_the_locked_page(app, client, sample_module, url):
    without_access = login_as(app, make_user("browsing@example.org"))
    for who in (client, without_access):
        response = who.get(url)
        assert response.status_code == 403, url
        page = response.get_data(as_text=True)
        assert "This page is for learners with access to" in page and "See prices and buy access" in page
        assert "Free previews:" in page and "First steps" in page
        for secret in ("Some guide text", "The idea that comes first.", "Beyond doer and done to", "@article"):
            assert secret not in page


def test_a_learner_with_access_reads_every_page(reader):
    for url in PAGES:
        response = reader.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", [f"{MODULE}/guides/nope", "/modules/nope/glossary", "/modules/nope/guides/overview",
                                 "/modules/nope/bibliography", "/modules/nope/bibliography.bib",
                                 f"{MODULE}/bibliography.pdf", f"{MODULE}/lectures/nope/references.ris"])
def test_unknown_guides_modules_lectures_and_formats_are_404(reader, url):
    assert reader.get(url).status_code == 404


def test_an_unpublished_module_is_404_even_with_access(reader):
    db.session.get(Module, module_id()).published = False
    db.session.commit()
    assert reader.get(GLOSSARY).status_code == 404


# Study guides -----------------------------------------------------------------------------------------------------

def test_guide_is_rendered_with_a_table_of_contents_and_anchored_headings(reader):
    page = reader.get(GUIDE).get_data(as_text=True)
    assert '<h1 id="guide-title">An overview</h1>' in page and "What the module covers." in page
    contents = page[page.index('class="toc"'):page.index("</nav>", page.index('class="toc"'))]
    assert re.findall(r'<a href="#([a-z0-9-]+)">([^<]+)</a>', contents) == [
        ("the-idea", "The idea"), ("ideas-in-order", "Ideas in order")]
    assert '<h2 id="the-idea">The idea</h2>' in page and '<h2 id="ideas-in-order">Ideas in order</h2>' in page
    assert f'href="{GUIDE}" aria-current="page"' in page


def test_guide_links_each_glossary_term_once_and_never_in_code_or_links(reader):
    page = reader.get(GUIDE).get_data(as_text=True)
    assert glossary_links(page) == ["term-first-idea", "term-second-idea"]
    assert (f'<a class="gloss-term" href="{GLOSSARY}#term-first-idea" aria-describedby="guide-tip-first-idea">'
            "first idea</a>") in page
    assert '<span class="gloss-tip" role="tooltip" id="guide-tip-first-idea">The idea that comes first.</span>' in page
    assert "and the First Idea is linked only once." in page
    assert "<code>first idea</code>" in page
    assert ('<a href="https://example.org/ideas" rel="noopener noreferrer nofollow">a page on the second idea</a>'
            in page)


def test_guide_body_markup_is_sanitised(reader):
    guide = db.session.scalar(select(Module).where(Module.slug == "sample-module")).guides[0]
    guide.body = '## First idea <script>x</script>\n\n<img src=x onerror=alert(1)> [x](javascript:alert(1)) first idea'
    db.session.commit()
    page = reader.get(GUIDE).get_data(as_text=True)
    assert "<script>x" not in page and "<img" not in page and 'href="javascript' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as text
    assert glossary_links(page) == ["term-first-idea"]  # the heading is not linked, the text is


# Glossary ---------------------------------------------------------------------------------------------------------

def test_glossary_lists_terms_a_to_z_with_anchors_and_related_terms(reader):
    page = reader.get(GLOSSARY).get_data(as_text=True)
    assert '<a href="#letter-F" data-letter="F">F</a>' in page and '<a href="#letter-S" data-letter="S">S</a>' in page
    assert '<span class="letter-empty" aria-hidden="true">A</span>' in page
    assert page.index('id="term-first-idea"') < page.index('id="term-second-idea"')
    assert "<dt><dfn>First idea</dfn></dt>" in page
    assert '<a href="#term-second-idea">Second idea</a>' in page
    assert "2 terms." in page


def test_glossary_filter_works_without_javascript(reader):
    page = reader.get(f"{GLOSSARY}?q=SECOND").get_data(as_text=True)
    assert 'id="term-second-idea"' in page and 'id="term-first-idea"' not in page
    assert "1 of 2 terms match “SECOND”." in page and 'value="SECOND"' in page
    assert "Show every term" in page


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "a" * 10_000, "\"'&%", "  "])
def test_glossary_filter_takes_any_text(reader, query):
    response = reader.get(GLOSSARY, query_string={"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.get_data(as_text=True)


# Bibliography -----------------------------------------------------------------------------------------------------

def test_bibliography_in_apa_order_with_seminal_works_marked_and_filterable(reader):
    add_reference("ronnestad-skovholt-2003", 2)
    add_reference("aron-1996", 3, kind="book", authors="Aron, L.", year=1996,
                  title="A meeting of minds: Mutuality in psychoanalysis", container="", volume="", issue="",
                  pages="", doi="", publisher="Analytic Press", seminal=True)
    page = reader.get(BIBLIOGRAPHY).get_data(as_text=True)
    keys = re.findall(r'id="ref-([a-z0-9-]+)"', page)
    assert keys == ["aron-1996", "benjamin-2004", "ronnestad-skovholt-2003"]
    assert ("Aron, L. (1996). <em>A meeting of minds: Mutuality in psychoanalysis</em>. Analytic Press.") in page
    assert "<em>Journal of Career Development</em>, <em>30</em>(1), 5–44." in page
    assert '<a href="https://doi.org/10.1023/A:1025173508081">https://doi.org/10.1023/A:1025173508081</a>' in page
    assert page.count('<span class="tag tag-seminal">Seminal</span>') == 2
    assert 'Cited in: <a href="/modules/sample-module/lectures/first-steps">First steps</a>' in page
    assert "All works (3)" in page and "Seminal works only (2)" in page

    seminal = reader.get(f"{BIBLIOGRAPHY}?seminal=1").get_data(as_text=True)
    assert re.findall(r'id="ref-([a-z0-9-]+)"', seminal) == ["aron-1996", "benjamin-2004"]


def test_lecture_page_lists_its_references_with_downloads(reader):
    cite("first-steps", add_reference("ronnestad-skovholt-2003", 2), 2)
    page = reader.get(f"{MODULE}/lectures/first-steps").get_data(as_text=True)
    section = page[page.index('id="references-heading"'):]
    assert section.index("Benjamin, J. (2004)") < section.index("Rønnestad, M. H., &amp; Skovholt, T. M. (2003)")
    assert f'href="{MODULE}/lectures/first-steps/references.bib"' in section
    assert f'href="{MODULE}/lectures/first-steps/references.ris"' in section
    other = reader.get(f"{MODULE}/lectures/in-conversation").get_data(as_text=True)
    assert 'id="references-heading"' not in other  # cites nothing: no empty section


# Exports ----------------------------------------------------------------------------------------------------------

def test_bibtex_export_parses_back_with_the_fields_intact(reader):
    add_reference("ronnestad-skovholt-2003", 2)
    add_reference("vasquez-2007", 3, kind="chapter", authors="Vásquez, M. J. T., & Ortiz, Ş. (Eds.)", year=2007,
                  title="Cultural competence & the 100% therapist", container="Handbook of ethics (2nd ed.)",
                  volume="", issue="", pages="12-30", doi="", publisher="Ñandú Press", url="https://example.org/h")
    response = reader.get(f"{BIBLIOGRAPHY}.bib")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=sample-module.bib"
    entries = {entry["ID"]: entry for entry in bibtexparser.loads(response.get_data(as_text=True)).entries}
    assert list(entries) == ["benjamin-2004", "ronnestad-skovholt-2003", "vasquez-2007"]
    article = entries["ronnestad-skovholt-2003"]
    assert article["ENTRYTYPE"] == "article"
    assert article["author"] == "Rønnestad, M. H. and Skovholt, T. M."
    assert article["title"] == "The journey of the counselor and therapist: Research findings and perspectives"
    assert (article["year"], article["journal"], article["volume"], article["number"], article["pages"],
            article["doi"]) == ("2003", "Journal of Career Development", "30", "1", "5--44", "10.1023/A:1025173508081")
    chapter = entries["vasquez-2007"]
    assert chapter["ENTRYTYPE"] == "incollection"
    assert chapter["editor"] == "Vásquez, M. J. T. and Ortiz, Ş."
    assert chapter["title"] == r"Cultural competence \& the 100\% therapist"
    assert (chapter["booktitle"], chapter["publisher"], chapter["pages"], chapter["url"]) == (
        "Handbook of ethics (2nd ed.)", "Ñandú Press", "12--30", "https://example.org/h")
    assert entries["benjamin-2004"]["keywords"] == "seminal" and "keywords" not in article


def test_ris_export_parses_back_with_the_fields_intact(reader):
    add_reference("ronnestad-skovholt-2003", 2, annotation="Six phases\nof development.")
    add_reference("mitchell-aron-1999", 3, kind="book", authors="Mitchell, S. A., & Aron, L. (Eds.)", year=1999,
                  title="Relational psychoanalysis: The emergence of a tradition", container="", volume="",
                  issue="", pages="", doi="", publisher="Analytic Press", url="https://example.org/r")
    response = reader.get(f"{BIBLIOGRAPHY}.ris")
    assert response.headers["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=sample-module.ris"
    text = response.get_data(as_text=True)
    assert text.startswith("TY  - JOUR")  # no "1." numbering before a reference
    entries = {entry["id"]: entry for entry in rispy.loads(text)}
    assert list(entries) == ["benjamin-2004", "mitchell-aron-1999", "ronnestad-skovholt-2003"]
    article = entries["ronnestad-skovholt-2003"]
    assert article["type_of_reference"] == "JOUR"
    assert article["authors"] == ["Rønnestad, M. H.", "Skovholt, T. M."]
    assert (article["title"], article["year"], article["secondary_title"], article["volume"], article["number"],
            article["start_page"], article["end_page"], article["doi"]) == (
        "The journey of the counselor and therapist: Research findings and perspectives", "2003",
        "Journal of Career Development", "30", "1", "5", "44", "10.1023/A:1025173508081")
    assert article["notes"] == ["Six phases of development."]
    book = entries["mitchell-aron-1999"]
    assert (book["type_of_reference"], book["authors"], book["publisher"], book["urls"]) == (
        "EDBOOK", ["Mitchell, S. A.", "Aron, L."], "Analytic Press", ["https://example.org/r"])
    assert entries["benjamin-2004"]["keywords"] == ["seminal"]


def test_one_lectures_references_export_alone(reader):
    cite("first-steps", add_reference("ronnestad-skovholt-2003", 2), 2)
    add_reference("not-cited-2000", 3)
    response = reader.get(f"{MODULE}/lectures/first-steps/references.bib")
    assert response.headers["Content-Disposition"] == "attachment; filename=sample-module-first-steps.bib"
    ids = [entry["ID"] for entry in bibtexparser.loads(response.get_data(as_text=True)).entries]
    assert ids == ["benjamin-2004", "ronnestad-skovholt-2003"]
    ris = rispy.loads(reader.get(f"{MODULE}/lectures/in-conversation/references.ris").get_data(as_text=True))
    assert ris == []


def test_a_preview_lectures_references_download_for_anyone_and_locked_ones_do_not(client, sample_module):
    response = client.get(f"{MODULE}/lectures/first-steps/references.ris")
    assert response.status_code == 200
    assert [entry["id"] for entry in rispy.loads(response.get_data(as_text=True))] == ["benjamin-2004"]
    assert client.get(f"{MODULE}/lectures/in-conversation/references.bib").status_code == 403


# Glossary links in the transcript ---------------------------------------------------------------------------------

@pytest.fixture
def cues_with_terms(sample_module):
    first = lecture("first-steps")
    first.cues = [
        {"start": 0.0, "end": 1.8, "speaker": None, "text": "The First idea, and <b>first idea</b> again."},
        {"start": 2.0, "end": 3.9, "speaker": None, "text": "Then the second idea; the first idea once more."},
    ]
    db.session.commit()


def test_transcript_links_each_term_at_its_first_occurrence(reader, cues_with_terms):
    page = reader.get(f"{MODULE}/lectures/first-steps").get_data(as_text=True)
    transcript = page[page.index('id="transcript"'):page.index("</ol>", page.index('id="transcript"'))]
    assert glossary_links(transcript) == ["term-first-idea", "term-second-idea"]
    assert (f'The <span class="gloss"><a class="gloss-term" href="{GLOSSARY}#term-first-idea" '
            'aria-describedby="cue-tip-first-idea">First idea</a>') in transcript
    assert ", and &lt;b&gt;first idea&lt;/b&gt; again." in transcript
    assert "; the first idea once more." in transcript


def test_transcript_filtered_on_the_server_links_the_first_shown_occurrence(reader, cues_with_terms):
    page = reader.get(f"{MODULE}/lectures/first-steps?find=second").get_data(as_text=True)
    transcript = page[page.index('id="transcript"'):page.index("</ol>", page.index('id="transcript"'))]
    assert glossary_links(transcript) == ["term-second-idea", "term-first-idea"]


def test_preview_transcript_has_no_glossary_links_for_visitors(client, cues_with_terms):
    page = client.get(f"{MODULE}/lectures/first-steps").get_data(as_text=True)
    assert glossary_links(page) == []
    assert "The First idea, and &lt;b&gt;first idea&lt;/b&gt; again." in page
    assert 'id="references-heading"' in page  # its references are listed for everyone who may watch it


# Queries per page -------------------------------------------------------------------------------------------------

def grow_content() -> None:
    """Ten more terms, references and citations: the pages' statement counts must not change."""
    first = lecture("first-steps")
    for number in range(10):
        db.session.add(GlossaryTerm(module_id=module_id(), slug=f"extra-{number}", term=f"Extra {number}",
                                    definition="More.", related=["First idea"], position=10 + number))
        reference = add_reference(f"extra-{number}", 10 + number, seminal=bool(number % 2))
        db.session.add(LectureReference(lecture_id=first.id, reference_id=reference.id, position=10 + number))
    db.session.commit()


# Each: the logged-in user (1), the module (1), access (1), then the page's own: guides and terms (guide), terms and
# guides (glossary), references, citing lectures and guides (bibliography), references (export); the lecture export
# finds the lecture with its lectures and speakers (3), and needs no access query (a free preview).
@pytest.mark.parametrize(("url", "limit"), [(GUIDE, 5), (GLOSSARY, 5), (BIBLIOGRAPHY, 6), (f"{BIBLIOGRAPHY}.bib", 4),
                                            (f"{MODULE}/lectures/first-steps/references.ris", 6)])
def test_statements_per_page_are_pinned_and_do_not_grow_with_content(reader, count_queries, url, limit):
    with count_queries() as before:
        assert reader.get(url).status_code == 200
    grow_content()
    with count_queries() as after:
        assert reader.get(url).status_code == 200
    assert before.count <= limit, before.statements
    assert after.count == before.count, after.statements


def test_lecture_page_reading_parts_cost_two_statements_whatever_the_content(reader, count_queries):
    """The lecture's references and the module's glossary for the transcript: one statement each, however many."""
    url = f"{MODULE}/lectures/in-conversation"
    with count_queries() as before:
        reader.get(url)
    grow_content()
    with count_queries() as after:
        page = reader.get(url).get_data(as_text=True)
    assert after.count == before.count, after.statements
    reading = [s for s in before.statements if '"references"' in s or "glossary_terms" in s]
    assert len(reading) == 2, reading
    assert 'id="references-heading"' not in page
