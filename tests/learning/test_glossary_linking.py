"""Glossary terms linked at their first occurrence in a guide or a transcript: whole words, any case, only in text
(never inside links, headings or code), escape-safe, with a definition reachable without JavaScript."""
from __future__ import annotations

import re

from markupsafe import Markup

from coursesite.learning.glossary import GlossaryLinker, Term, glossary_page
from coursesite.markdown import render_markdown

URL = "/modules/m/glossary"


def term(name: str, definition: str = "A definition.", related: tuple = ()) -> Term:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    rendered = render_markdown(definition)
    return Term(name, slug, rendered, rendered.striptags(), related)


TERMS = [term("Enactment", "Something *done* together."), term("Rupture and repair"), term("Rupture"),
         term("Third", "The <analytic> third & more.")]


def linker() -> GlossaryLinker:
    return GlossaryLinker(TERMS, URL, prefix="tip-")


def links(html: str) -> list[str]:
    return re.findall(r'<a class="gloss-term" href="([^"]+)"', html)


def test_a_term_is_linked_to_its_glossary_anchor_with_a_described_definition():
    html = str(linker().link_text("An enactment happened."))
    assert html.startswith('An <span class="gloss"><a class="gloss-term" href="/modules/m/glossary#term-enactment" '
                           'aria-describedby="tip-enactment">enactment</a>')
    assert '<span class="gloss-tip" role="tooltip" id="tip-enactment">Something done together.</span>' in html
    assert html.endswith("</span> happened.")


def test_only_the_first_occurrence_is_linked_across_the_whole_document():
    one = linker()
    first = str(one.link_text("Enactment, then another enactment."))
    second = str(one.link_text("A third enactment and a rupture."))
    assert links(first) == [f"{URL}#term-enactment"]
    assert links(second) == [f"{URL}#term-third", f"{URL}#term-rupture"]
    assert "another enactment." in first


def test_whole_words_only_and_any_case():
    html = str(linker().link_text("Enactments, thirdness and a RUPTURE."))
    assert links(html) == [f"{URL}#term-rupture"]
    assert ">RUPTURE</a>" in html


def test_the_longest_term_wins_and_spans_line_breaks():
    html = str(linker().link_text("A rupture and\nrepair, later a rupture."))
    assert links(html) == [f"{URL}#term-rupture-and-repair", f"{URL}#term-rupture"]
    assert ">rupture and\nrepair</a>" in html


def test_text_is_escaped_and_definitions_never_inject_markup():
    html = str(linker().link_text("<script>alert(1)</script> the third & <b>"))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp; &lt;b&gt;" in html
    assert "The &lt;analytic&gt; third &amp; more." in html


def test_rendered_markdown_links_text_but_not_links_headings_or_code():
    source = ("## Enactment in theory\n\nSee [an enactment](https://example.org) and `enactment` and\n\n"
              "```\nenactment\n```\n\nThen an enactment in prose, a rupture &amp; a third <b>bold</b>.")
    html = str(linker().link_html(render_markdown(source, anchors=True)))
    assert '<h2 id="enactment-in-theory">Enactment in theory</h2>' in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">an enactment</a>' in html
    assert "<code>enactment</code>" in html and "<pre><code>enactment\n</code></pre>" in html
    assert links(html) == [f"{URL}#term-enactment", f"{URL}#term-rupture", f"{URL}#term-third"]
    assert "Then an <span class=\"gloss\">" in html
    # Text the renderer escaped stays escaped: linking unescapes a text piece only to escape it again.
    assert "</span></span> &amp; a " in html and "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html


def test_no_terms_leave_the_text_as_it_was():
    empty = GlossaryLinker([], URL)
    assert empty.link_text("a <b>") == Markup("a &lt;b&gt;")
    rendered = render_markdown("Some *text*.")
    assert empty.link_html(rendered) == rendered


def test_glossary_page_groups_terms_by_letter_and_filters():
    terms = sorted([*TERMS, term("Ödipal", "Accent folds to O."), term("9 lives")], key=lambda t: t.term.casefold())
    page = glossary_page(terms)
    assert [group.letter for group in page.groups] == ["E", "O", "R", "T", "#"]
    assert [t.term for t in page.groups[2].terms] == ["Rupture", "Rupture and repair"]
    assert ("A", False) in page.letters and ("E", True) in page.letters and page.letters[-1] == ("#", True)
    filtered = glossary_page(terms, "  DONE ")
    assert (filtered.query, filtered.shown, filtered.total) == ("DONE", 1, 6)
    assert [t.term for group in filtered.groups for t in group.terms] == ["Enactment"]
    assert ("R", False) in filtered.letters
