"""Markdown to safe HTML: markdown-it renders, nh3 (ammonia) removes anything not on the allow-list."""
from __future__ import annotations

import html as html_module
import re
import unicodedata
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")
ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


_HEADING_RE = re.compile(r"<h([2-6])>(.*?)</h\1>", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Heading:
    """A heading of rendered Markdown that carries an anchor (``render_markdown(..., anchors=True)``)."""

    level: int
    anchor: str
    text: str


def heading_anchor(text: str) -> str:
    """The anchor a heading with this (plain) text gets: lower-case ASCII letters (accents dropped), digits and
    hyphens; "section" when nothing is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:80] or "section"


def render_markdown(text: str | None, *, anchors: bool = False) -> Markup:
    """Safe HTML for ``text``; headings start at h2 because every page has its own h1.

    With ``anchors``, every heading gets an ``id`` made from its text by :func:`heading_anchor` (``-2``, ``-3``, ...
    for repeats), so a page can link to its sections (a table of contents: :func:`headings`). The ids are added
    after sanitising and contain only ``[a-z0-9-]``.
    """
    html = _renderer.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    if anchors:
        clean = _add_heading_ids(clean)
    return Markup(clean)  # noqa: S704 - nh3 has just removed every tag and attribute not allowed above


def _add_heading_ids(html: str) -> str:
    used: dict[str, int] = {}

    def with_id(match: re.Match[str]) -> str:
        base = heading_anchor(html_module.unescape(_TAG_RE.sub("", match.group(2))))
        used[base] = used.get(base, 0) + 1
        anchor = base if used[base] == 1 else f"{base}-{used[base]}"
        return f'<h{match.group(1)} id="{anchor}">{match.group(2)}</h{match.group(1)}>'

    return _HEADING_RE.sub(with_id, html)


_ANCHORED_RE = re.compile(r'<h([2-6]) id="([a-z0-9-]+)">(.*?)</h\1>', re.DOTALL)


def headings(html: Markup, max_level: int = 3) -> list[Heading]:
    """The anchored headings of ``html`` (from ``render_markdown(..., anchors=True)``) down to ``max_level``, in
    order, with their plain text: the entries of a table of contents."""
    return [
        Heading(int(level), anchor, html_module.unescape(_TAG_RE.sub("", inner)).strip())
        for level, anchor, inner in _ANCHORED_RE.findall(str(html))
        if int(level) <= max_level
    ]
