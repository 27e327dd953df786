"""The service and stack pages written as HTML: catalog text rendered as Markdown would, links
resolved as mkdocs resolves them, headings anchored as its table of contents needs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.plan import plan as make_plan
from generator.render.site_html import _rendered, catalog_markup, with_anchors
from tests.conftest import DEFAULT_CATALOG, ROOT

MARKDOWNISH = st.text(st.sampled_from(list("ab1 .-+*_`#>=[]()!\\\n\t&<>{}'\"")), max_size=30)


@settings(max_examples=400, deadline=None)
@given(MARKDOWNISH, st.booleans())
def test_text_shown_without_markdown_is_what_markdown_makes_of_it(text: str, inline: bool) -> None:
    """The shortcut for text without Markdown syntax gives Markdown's result (up to white space
    that HTML does not show: runs of it, and at a paragraph's ends)."""
    assert _shown(catalog_markup(text, inline)) == _shown(_rendered(text, inline))


def _shown(html: str) -> str:
    return " ".join(html.split()).replace("<p> ", "<p>").replace(" </p>", "</p>").strip()


def test_catalog_text_keeps_its_markdown_subset_and_no_html() -> None:
    assert catalog_markup("plain text, R&D <b>") == "<p>plain text, R&amp;D &lt;b&gt;</p>"
    assert catalog_markup("see `gen build` and **this**", inline=True) == (
        "see <code>gen build</code> and <strong>this</strong>"
    )
    assert catalog_markup("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    unsafe = catalog_markup("[x](javascript:alert(1)) and [y](https://example.org)")
    assert "<a" in unsafe and 'href="javascript' not in unsafe and "javascript:alert(1)" in unsafe  # as text


def test_headings_get_ids_permanent_links_and_a_table_of_contents() -> None:
    page = with_anchors("<h1>R&amp;D (lab)</h1><h2>Ports</h2><h2 data-search-exclude>Ports</h2>")
    assert page.title == "R&D (lab)"
    assert page.body.startswith('<h1 id="rd-lab">R&amp;D (lab)<a class="headerlink" href="#rd-lab"')
    assert '<h2 data-search-exclude id="ports_1">' in page.body
    [title] = page.toc
    assert (title["id"], title["name"]) == ("rd-lab", "R&amp;D (lab)")
    assert [child["id"] for child in title["children"]] == ["ports", "ports_1"]


def test_a_broken_link_in_a_generated_page_fails_the_strict_build(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A link of an HTML page that no file of the site answers is reported as mkdocs reports
    a Markdown page's, and the strict build fails."""
    from generator.render import site_html

    original = site_html.with_anchors

    def broken(html: str) -> site_html.HtmlPage:
        return original(html.replace("../../install/access.md", "../../install/nowhere.md"))

    monkeypatch.setattr("generator.render.site.with_anchors", broken)
    from mkdocs.exceptions import Abort

    from generator.sitebuild import build_site

    with caplog.at_level(logging.WARNING, logger="mkdocs"), pytest.raises(Abort, match="strict mode"):
        build_site(DEFAULT_CATALOG, ROOT / "mkdocs.yml", tmp_path / "site")
    assert "contains a link '../../install/nowhere.md', but the target is not found" in caplog.text


def test_the_search_index_reads_the_same_sections_from_the_search_view() -> None:
    """Material's own search parser finds the same sections, titles and text in a generated
    page's search view as in the page (the left-out Compose section aside)."""
    import json

    from material.plugins.search.plugin import Parser

    from generator.catalog import load_catalog
    from generator.render.site import pages
    from generator.render.site_html import HtmlPage, search_view

    def sections(html: str) -> list[tuple[str | None, str, str]]:
        parser = Parser()
        parser.feed(html)
        parser.close()
        return [(s.id, "".join(s.title), "".join(s.text).strip()) for s in parser.data if not s.is_excluded()]

    templates = json.loads((ROOT / "dist" / "templates.json").read_text())
    generated = [
        p
        for p in pages(make_plan(load_catalog(DEFAULT_CATALOG)), templates).values()
        if isinstance(p, HtmlPage)
    ]
    assert len(generated) == 13 + 4 + 7  # services, stacks, the catalog overview and maps, 4 guides
    for page in generated:
        assert sections(search_view(page.body)) == sections(page.body), page.title
        assert len(search_view(page.body)) < len(page.body)
