"""`gen site build|serve`: the static docs site (mkdocs-material) from site/ plus generated pages.

The hand-written pages of site/, the pages generated from the catalog, every build artifact
(templates.json at the root, compose files, scripts) and the JSON Schemas are laid out in a
temporary docs folder; mkdocs then builds it with --strict (broken links fail the build). The
pages written as HTML reach mkdocs through the GeneratedPages plugin.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from generator.catalog import load_catalog
from generator.errors import OutputRefused, UsageError
from generator.render import render_all
from generator.render.site import downloads_page, nav, pages
from generator.render.site_html import HtmlPage, resolve_links
from generator.resources import schemas_dir
from generator.writer import MARKER

SITE_MARKER = ".gen-site"


MEASURED_PAGE = "measured.md"  # `gen verify --markdown site/measured.md` writes it


class GeneratedPages(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Puts the HTML of the pages written as HTML in place of their one-line Markdown."""

    def __init__(self, html_pages: dict[str, HtmlPage]) -> None:
        super().__init__()
        self.html_pages = html_pages

    def on_page_content(self, html: str, page: Page, config: object, files: Files) -> str:
        generated = self.html_pages.get(page.file.src_uri)
        if generated is None:
            return html
        page.toc = get_toc(generated.toc)  # type: ignore[arg-type]
        return resolve_links(generated.body, page, files, logging.getLogger("mkdocs.gen").warning)


def _docs_folder(
    catalog_dir: Path, source_dir: Path, docs: Path, html_pages: dict[str, HtmlPage]
) -> tuple[str, list[object]]:
    catalog = load_catalog(catalog_dir)
    if catalog.publish is None:
        raise UsageError("the catalog has no publish.yaml")
    shutil.copytree(source_dir, docs)
    files = []
    templates: dict[str, object] = {}
    for artifact in render_all(catalog):
        if artifact.path == MARKER:
            continue
        path = artifact.path.replace(".env.example", "env.example")  # mkdocs skips dot files
        target = docs / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact.content)
        files.append(path)
        if artifact.path == "templates.json":
            templates = json.loads(artifact.content)
    schemas = []
    for schema_file in sorted(schemas_dir().glob("*.schema.json")):
        schema = json.loads(schema_file.read_text("utf-8"))
        schema["$id"] = f"{catalog.publish.site_url}schemas/{schema_file.name}"  # editors resolve $refs here
        (docs / "schemas").mkdir(exist_ok=True)
        (docs / "schemas" / schema_file.name).write_text(json.dumps(schema, indent=2) + "\n", "utf-8")
        schemas.append(schema_file.name)
    for path, page in pages(catalog, templates).items():
        (docs / path).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(page, HtmlPage):
            html_pages[path] = page
            (docs / path).write_text(page.stub(), "utf-8")
        else:
            (docs / path).write_text(page, "utf-8")
    (docs / "reference").mkdir(exist_ok=True)
    (docs / "reference" / "downloads.md").write_text(downloads_page(catalog, files, schemas), "utf-8")
    site_nav = nav(catalog)
    if (docs / MEASURED_PAGE).is_file():
        site_nav.insert(-1, {"Measured on this host": MEASURED_PAGE})
    return catalog.publish.site_url, site_nav


def _show_mkdocs_warnings() -> None:
    """mkdocs reports broken links and the like through logging: print them, as its CLI does."""
    logger = logging.getLogger("mkdocs")
    if not any(getattr(h, "gen_site", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("mkdocs %(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        handler.gen_site = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def build_site(catalog_dir: Path, config_file: Path, out_dir: Path) -> int:
    """Build the site into out_dir; returns the number of pages."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    _show_mkdocs_warnings()
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).exists():
        raise OutputRefused(
            f"{out_dir} is not empty and was not made by `gen site build`; choose another --out"
        )
    if not config_file.is_file():
        raise UsageError(f"no mkdocs configuration at {config_file}")
    with tempfile.TemporaryDirectory() as scratch:
        docs = Path(scratch) / "docs"
        source_dir = config_file.parent / "site"
        html_pages: dict[str, HtmlPage] = {}
        site_url, site_nav = _docs_folder(catalog_dir, source_dir, docs, html_pages)
        config = load_config(
            config_file=str(config_file),
            docs_dir=str(docs),
            site_dir=str(out_dir.resolve()),
            site_url=site_url,
            nav=site_nav,
            strict=True,
        )
        config.plugins["gen-generated-pages"] = GeneratedPages(html_pages)
        build(config)
    (out_dir / SITE_MARKER).write_text("Made by `gen site build`; replaced on every build.\n")
    return len(list(out_dir.rglob("index.html")))


def serve_site(catalog_dir: Path, config_file: Path, port: int, announce: Callable[[str], None]) -> None:
    """`gen site serve`: build into a temporary folder and serve it on 127.0.0.1 until stopped."""
    import functools
    import http.server

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "site"
        build_site(catalog_dir, config_file, out)
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
        with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
            announce(f"serving http://127.0.0.1:{port}/ (Ctrl-C stops)")
            server.serve_forever()
