"""The generated pages of the docs site as HTML, written directly in the markup mkdocs-material
would make of their Markdown: mkdocs' Markdown costs ~0.7 ms per KB of page, which was most of a
large catalog's site build (1,000 service pages of tables and listings; see the performance
section of the README). mkdocs gets a one-line page (the title) and `GeneratedPages` puts the
body in; links are written as in Markdown (to .md pages and files, relative to the page's file,
in catalog prose too) and resolved by mkdocs' own file list, so a broken one fails the strict
build as before. Catalog prose is rendered by Markdown itself (no extension: its subset is
emphasis, code, lists and links), and only when it holds Markdown syntax.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from html import unescape
from typing import Any

from markupsafe import Markup, escape

from generator.escape import markdown_text


@dataclass(frozen=True)
class HtmlPage:
    title: str
    body: str  # the page's HTML, headings with their ids and permanent links
    toc: list[dict[str, Any]]  # mkdocs' table of contents tokens: level, id, name, children

    def stub(self) -> str:
        """What mkdocs reads: only the title (its Markdown costs nothing)."""
        return f"# {markdown_text(self.title)}\n"


# Whatever Markdown could read as syntax (emphasis, code, links, escapes, a line starting like a
# list, quote, heading or rule, a blank line, an indented block, a hard line break): text with
# none of it is shown as it is, escaped, without asking Markdown (tests/test_site_html.py
# holds the two to the same result).
MARKDOWN_SYNTAX = re.compile(
    r"[`*\[\\]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|^[ \t]*(?:[-+>#=]|\d+[.)])|\n[ \t]*\n|^ {4}|\t| {2}$",
    re.M,
)


@cache
def _markdown() -> Any:
    import markdown

    return markdown.Markdown(output_format="html")


def catalog_markup(value: object, inline: bool = False) -> Markup:
    """Catalog text (a description, a note) on a page: its Markdown subset rendered, HTML shown
    as text (markdown_text). `inline`: inside a table cell or list item, without a paragraph."""
    text = str(value)
    if not MARKDOWN_SYNTAX.search(text):
        plain = markdown_text(text.strip())
        return plain if inline or not plain else Markup(f"<p>{plain}</p>")
    return _rendered(text, inline)


def _rendered(text: str, inline: bool) -> Markup:
    html = _markdown().reset().convert(str(markdown_text(text)))
    if inline and html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


def code(value: object) -> Markup:
    """A value as inline code, on one line (a line break shows as ⏎)."""
    text = " ⏎ ".join(str(value).splitlines())
    return Markup(f"<code>{escape(text)}</code>") if text else Markup("<em>empty</em>")


def listing(text: str, language: str) -> Markup:
    """A code block as mkdocs' superfences writes it: highlighted by Pygments, or as it is for
    `text` (a large catalog's listings: highlighting them cost more than the rest of the page)."""
    if language == "text":
        return Markup(f'<div class="highlight"><pre><span></span><code>{escape(text)}</code></pre></div>\n')
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    return Markup(highlight(text, get_lexer_by_name(language), HtmlFormatter(wrapcode=True)))


HEADING = re.compile(r"<h([1-6])((?: [a-z-]+(?:=\"[^\"]*\")?)*)>(.*?)</h\1>")
TAG = re.compile(r"<[^>]+>")


def with_anchors(html: str) -> HtmlPage:
    """Ids and permanent links for the headings, as the toc extension (permalink: true) makes
    them, and the table of contents: each heading under the last one of a higher level. The
    page's title is its first heading's text."""
    from markdown.extensions.toc import slugify, unique

    used: set[str] = set()
    toc: list[dict[str, Any]] = []
    open_levels: list[dict[str, Any]] = []

    def anchor(found: re.Match[str]) -> str:
        level, attributes, inner = int(found.group(1)), found.group(2), found.group(3)
        name = TAG.sub("", inner)
        identifier = unique(slugify(unescape(name), "-"), used)
        token = {"level": level, "id": identifier, "name": name, "children": []}
        while open_levels and open_levels[-1]["level"] >= level:
            open_levels.pop()
        (open_levels[-1]["children"] if open_levels else toc).append(token)
        open_levels.append(token)
        link = f'<a class="headerlink" href="#{identifier}" title="Permanent link">&para;</a>'
        return f'<h{level}{attributes} id="{identifier}">{inner}{link}</h{level}>'

    body = HEADING.sub(anchor, html)
    return HtmlPage(unescape(toc[0]["name"]) if toc else "", body, toc)


LINK = re.compile(r'(<a href=")([^"#?]*)((?:[?#][^"]*)?")')
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/")


def resolve_links(html: str, page: Any, files: Any, warn: Any) -> str:
    """Links to the site's own pages and files, written relative to the page's file (as in its
    Markdown), made relative to the page's URL through mkdocs' file list, as mkdocs does for
    Markdown; a target that is not in the site is reported (the strict build fails)."""
    base = posixpath.dirname(page.file.src_uri)

    def relink(found: re.Match[str]) -> str:
        target = found.group(2)
        if not target or SCHEME.match(target):
            return found.group(0)
        path = posixpath.normpath(posixpath.join(base, target))
        file = files.get_file_from_path(path)
        if file is None:
            warn(f"Doc file '{page.file.src_uri}' contains a link '{target}', but the target is not found")
            return found.group(0)
        return found.group(1) + str(file.url_relative_to(page.file)) + found.group(3)

    return LINK.sub(relink, html)


# Tags the search index drops but keeps the text of (it keeps p, code, pre and lists), and the
# content of a section left out of it (its heading stays: the index knows to leave it out).
TABLE_TAGS = re.compile(r"(?:\s*</?(?:table|thead|tbody|tr|th|td)>)+\s*")
INLINE_TAGS = re.compile(r"</?(?:strong|em)>")
EXCLUDED_SECTION = re.compile(r"(<h2 data-search-exclude[^>]*>.*?</h2>).*?(?=<h[1-6][ >]|\Z)", re.S)


def search_view(html: str) -> str:
    """A generated page as the search index reads it: the same sections and text with fewer
    tags to parse (a service page's tables were most of the index's time on a large site)."""
    # a run of table tags becomes one void tag, which the index ignores but which still ends the
    # text before it, with the run's white space (the index shows a run of it as one space)
    html = TABLE_TAGS.sub(lambda run: "\n<br>" if re.search(r"\s", run.group(0)) else "<br>", html)
    return INLINE_TAGS.sub("", EXCLUDED_SECTION.sub(r"\1", html))
