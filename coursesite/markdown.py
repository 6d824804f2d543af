"""Markdown to safe HTML: markdown-it renders, nh3 (ammonia) removes anything not on the allow-list."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True}).enable("table")
ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for ``text``; headings start at h2 because every page has its own h1."""
    html = _renderer.render(text or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(nh3.clean(  # noqa: S704 - nh3 has just removed every tag and attribute not allowed below
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ))
