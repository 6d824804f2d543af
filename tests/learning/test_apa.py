"""References in APA 7 style, and the author lists the BibTeX and RIS exports are built from."""
from __future__ import annotations

import pytest
from markupsafe import Markup

from coursesite.catalog.models import Reference
from coursesite.learning.bibliography import Person, apa_citation, citations, split_authors


def reference(**fields) -> Reference:
    values = {"key": "k", "kind": "article", "authors": "Benjamin, J.", "year": 2004, "title": "A title",
              "container": "", "publisher": "", "volume": "", "issue": "", "pages": "", "doi": "", "url": "",
              "seminal": False, "annotation": ""}
    return Reference(**(values | fields))


def test_journal_article_with_volume_issue_pages_and_doi_link():
    html = apa_citation(reference(
        title="Beyond doer and done to: An intersubjective view of thirdness",
        container="The Psychoanalytic Quarterly", volume="73", issue="1", pages="5-46",
        doi="10.1002/j.2167-4086.2004.tb00151.x"))
    assert html == Markup(
        "Benjamin, J. (2004). Beyond doer and done to: An intersubjective view of thirdness. "
        "<em>The Psychoanalytic Quarterly</em>, <em>73</em>(1), 5–46. "
        '<a href="https://doi.org/10.1002/j.2167-4086.2004.tb00151.x">'
        "https://doi.org/10.1002/j.2167-4086.2004.tb00151.x</a>")


def test_article_without_issue_and_a_title_ending_in_a_question_mark():
    html = apa_citation(reference(
        authors="Nissen-Lie, H. A., Rønnestad, M. H., & Monsen, J. T.", year=2017,
        title="Love yourself as a person, doubt yourself as a therapist?", container="Clinical Psychology & "
        "Psychotherapy", volume="24", pages="48-60"))
    assert html == Markup(
        "Nissen-Lie, H. A., Rønnestad, M. H., &amp; Monsen, J. T. (2017). Love yourself as a person, doubt yourself "
        "as a therapist? <em>Clinical Psychology &amp; Psychotherapy</em>, <em>24</em>, 48–60.")


def test_book_title_in_italics_with_the_edition_upright_and_the_publisher():
    html = apa_citation(reference(
        kind="book", authors="Wampold, B. E., & Imel, Z. E.", year=2015,
        title="The great psychotherapy debate: The evidence for what makes psychotherapy work (2nd ed.)",
        publisher="Routledge"))
    assert html == Markup(
        "Wampold, B. E., &amp; Imel, Z. E. (2015). <em>The great psychotherapy debate: The evidence for what makes "
        "psychotherapy work</em> (2nd ed.). Routledge.")


def test_edited_book_keeps_eds_and_shows_the_url_when_there_is_no_doi():
    html = apa_citation(reference(kind="book", authors="Mitchell, S. A., & Aron, L. (Eds.)", year=1999,
                                  title="Relational psychoanalysis", publisher="Analytic Press",
                                  url="https://example.org/book?id=1&x=2"))
    assert html == Markup(
        "Mitchell, S. A., &amp; Aron, L. (Eds.). (1999). <em>Relational psychoanalysis</em>. Analytic Press. "
        '<a href="https://example.org/book?id=1&amp;x=2">https://example.org/book?id=1&amp;x=2</a>')


def test_chapter_in_an_edited_book_with_pages():
    html = apa_citation(reference(
        kind="chapter", authors="Baldwin, S. A., & Imel, Z. E.", year=2013,
        title="Therapist effects: Findings and methods",
        container="Bergin and Garfield's handbook of psychotherapy and behavior change (6th ed., M. J. Lambert, Ed.)",
        publisher="Wiley", pages="258-297"))
    assert html == Markup(
        "Baldwin, S. A., &amp; Imel, Z. E. (2013). Therapist effects: Findings and methods. In <em>Bergin and "
        "Garfield&#39;s handbook of psychotherapy and behavior change</em> (6th ed., M. J. Lambert, Ed., "
        "pp. 258–297). Wiley.")


def test_report_by_an_organisation():
    html = apa_citation(reference(kind="report", authors="American Psychological Association", year=2017,
                                  title="Ethical principles of psychologists and code of conduct",
                                  url="https://www.apa.org/ethics/code"))
    assert html == Markup(
        "American Psychological Association. (2017). <em>Ethical principles of psychologists and code of "
        'conduct</em>. <a href="https://www.apa.org/ethics/code">https://www.apa.org/ethics/code</a>')


def test_the_doi_wins_over_the_url():
    html = apa_citation(reference(doi="10.1037/0022-006X.75.6.842", url="https://example.org/x"))
    assert "https://doi.org/10.1037/0022-006X.75.6.842" in html and "example.org" not in html


def test_markup_in_fields_is_shown_as_text():
    html = apa_citation(reference(title="<script>x</script>", container="<i>J</i>", authors="O'Brien, <b>"))
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;i&gt;J&lt;/i&gt;" in html and "O&#39;Brien, &lt;b&gt;." in html


def test_references_are_listed_in_apa_order():
    listed = citations([reference(key="b", authors="Wampold, B. E."), reference(key="a2", year=2010),
                        reference(key="a1", year=2004), reference(key="c", authors="aron, L.")])
    assert [c.key for c in listed] == ["c", "a1", "a2", "b"]


@pytest.mark.parametrize(("authors", "people", "editors"), [
    ("Benjamin, J.", [Person("Benjamin", "J.")], False),
    ("Wampold, B. E., & Imel, Z. E.", [Person("Wampold", "B. E."), Person("Imel", "Z. E.")], False),
    ("Hook, J. N., Worthington, E. L., Jr., & Utsey, S. O.",
     [Person("Hook", "J. N."), Person("Worthington", "E. L.", "Jr."), Person("Utsey", "S. O.")], False),
    ("Mitchell, S. A., & Aron, L. (Eds.)", [Person("Mitchell", "S. A."), Person("Aron", "L.")], True),
    ("de Jong, K., & Rønnestad, M. H.", [Person("de Jong", "K."), Person("Rønnestad", "M. H.")], False),
    ("American Psychological Association", [Person("American Psychological Association")], False),
    ("Menzies, I. E. P.", [Person("Menzies", "I. E. P.")], False),
])
def test_author_lists_split_into_people(authors, people, editors):
    split = split_authors(authors)
    assert list(split.people) == people and split.editors is editors


def test_people_as_bibtex_and_ris_names():
    assert Person("Worthington", "E. L.", "Jr.").bibtex == "Worthington, Jr., E. L."
    assert Person("Worthington", "E. L.", "Jr.").ris == "Worthington, E. L., Jr."
    assert Person("American Psychological Association").bibtex == "{American Psychological Association}"
