"""The one Markdown renderer of the portal.

Source text is stored as typed; it is rendered on display by :func:`render_markdown`, which
escapes raw HTML, sanitises the result against an allow-list and only lets http, https and mailto
links through, each with ``rel="nofollow noopener noreferrer ugc"``.
"""
from __future__ import annotations

from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup, escape

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "del", "ins", "sup", "sub",
    "ul", "ol", "li", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "dl", "dt", "dd", "abbr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer ugc"
_EXTENSIONS = ["extra", "sane_lists"]


class _EscapeHtml(markdown.Extension):
    """Raw HTML in the source is shown as text, never interpreted."""

    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def _make_renderer() -> markdown.Markdown:
    return markdown.Markdown(extensions=[*_EXTENSIONS, _EscapeHtml()], output_format="html")


@lru_cache(maxsize=4096)
def _render(source: str) -> str:
    html = _make_renderer().convert(source)
    # headings start at h2: a page has exactly one h1, its own title
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(source: str | None) -> Markup:
    """Render Markdown source to sanitised HTML, safe to insert in a page."""
    if not source:
        return Markup("")
    return Markup(_render(str(source)))


def render_plain(source: str | None) -> Markup:
    """Escape text and keep its line breaks (for short texts that are not Markdown)."""
    if not source:
        return Markup("")
    return Markup("<br>\n").join(escape(line) for line in str(source).splitlines())
