"""coursesite.markdown with ``anchors=True``: ids on headings for a table of contents, added after sanitising."""
from __future__ import annotations

from coursesite.markdown import Heading, heading_anchor, headings, render_markdown


def test_headings_get_ids_from_their_text_and_repeats_are_numbered():
    html = render_markdown("# Top & <b>tags</b>\n\n## Sub *it*\n\ntext\n\n### Sub it\n\n## Ünïcode ✓", anchors=True)
    assert '<h2 id="top-b-tags-b">Top &amp; &lt;b&gt;tags&lt;/b&gt;</h2>' in html
    assert '<h2 id="sub-it">Sub <em>it</em></h2>' in html and '<h3 id="sub-it-2">Sub it</h3>' in html
    assert '<h2 id="unicode">' in html
    assert headings(html) == [Heading(2, "top-b-tags-b", "Top & <b>tags</b>"), Heading(2, "sub-it", "Sub it"),
                              Heading(3, "sub-it-2", "Sub it"), Heading(2, "unicode", "Ünïcode ✓")]
    assert headings(html, max_level=2) == [h for h in headings(html) if h.level == 2]


def test_without_anchors_nothing_changes_and_code_is_never_a_heading():
    assert render_markdown("## Plain") == '<h2>Plain</h2>\n'
    html = render_markdown("```\n<h2>no</h2>\n```\n\n## ✓", anchors=True)
    assert '<h2 id="section">✓</h2>' in html and headings(html) == [Heading(2, "section", "✓")]


def test_heading_anchor_matches_the_search_index_links():
    assert heading_anchor("The idea") == "the-idea"
