"""`gen site build|serve`: the static docs site (mkdocs-material) from site/ plus generated pages.

mkdocs builds the hand-written pages of site/ with --strict (broken links fail the build), and
the GeneratedPages plugin adds, from memory, the pages generated from the catalog, every build
artifact (templates.json at the root, compose files, scripts) and the JSON Schemas.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, file_sort_key
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from generator.artifact import MARKER
from generator.catalog import load_catalog
from generator.errors import OutputRefused, UsageError
from generator.parallel import in_child, worth_it
from generator.plan import plan as make_plan
from generator.render import PARALLEL_FROM_SERVICES, render_all
from generator.render.site import downloads_page, entity_pages, nav, overview_pages
from generator.render.site_html import HtmlPage, resolve_links, search_view
from generator.resources import schemas_dir

SITE_MARKER = ".gen-site"


MEASURED_PAGE = "measured.md"  # `gen verify --markdown site/measured.md` writes it


class GeneratedPages(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Adds the generated files to site/'s own (from memory: nothing is written twice), puts the
    HTML of the pages written as HTML in place of their one-line Markdown, and gives the search
    index their search view while it reads them."""

    def __init__(self, generated: dict[str, str | bytes], html_pages: dict[str, HtmlPage]) -> None:
        super().__init__()
        self.generated = generated
        self.html_pages = html_pages
        self.full_content: str | None = None

    def on_files(self, files: Files, config: Any) -> Files:
        for path, content in self.generated.items():
            hand_written = files.get_file_from_path(path)
            if hand_written is not None:  # the generated one wins, as it always has
                files.remove(hand_written)
            files.append(File.generated(config, path, content=content))
        return Files(sorted(files, key=file_sort_key))  # in mkdocs' own order, as if read from disk

    def on_page_content(self, html: str, page: Page, config: object, files: Files) -> str:
        generated = self.html_pages.get(page.file.src_uri)
        if generated is None:
            return html
        page.toc = get_toc(generated.toc)  # type: ignore[arg-type]
        return resolve_links(generated.body, page, files, logging.getLogger("mkdocs.gen").warning)

    @event_priority(100)  # before the search plugin reads the page
    def _search_view(self, /, context: Any, page: Page, **_: Any) -> Any:
        if page.file.src_uri in self.html_pages and page.content is not None:
            self.full_content, page.content = page.content, search_view(page.content)
        return context

    @event_priority(-100)  # after it, before the theme shows the page
    def _full_view(self, /, context: Any, page: Page, **_: Any) -> Any:
        if self.full_content is not None:
            page.content, self.full_content = self.full_content, None
        return context

    on_page_context = CombinedEvent(_search_view, _full_view)


def generated_schemas(site_url: str) -> dict[str, str]:
    """The JSON Schemas as the site publishes them: each $id is its address on the catalog's site,
    so an editor or validator that follows a catalog file's schema URL resolves the shared
    definitions ($ref common.schema.json) from the same site. The files in schemas/ carry only
    their own name as $id, so read from disk they resolve beside themselves."""
    published = {}
    for schema_file in sorted(schemas_dir().glob("*.schema.json")):
        schema = json.loads(schema_file.read_text("utf-8"))
        schema["$id"] = f"{site_url}schemas/{schema_file.name}"
        published[schema_file.name] = json.dumps(schema, indent=2) + "\n"
    return published


def _generated_files(catalog_dir: Path, source_dir: Path) -> tuple[str, list[object], GeneratedPages]:
    """The site's generated files (path in the docs -> content), its URL and its nav."""
    plan = make_plan(load_catalog(catalog_dir))
    catalog = plan.catalog
    if catalog.publish is None:
        raise UsageError("the catalog has no publish.yaml")
    generated: dict[str, str | bytes] = {}
    html_pages: dict[str, HtmlPage] = {}
    templates: dict[str, object] = {}
    if worth_it(len(catalog.services), PARALLEL_FROM_SERVICES):
        # a second core writes the service and stack pages while this one renders the artifacts
        entities = in_child(entity_pages, plan)
    else:
        entities = partial(entity_pages, plan)
    for artifact in render_all(plan):
        if artifact.path == MARKER:
            continue
        path = artifact.path.replace(".env.example", "env.example")  # mkdocs skips dot files
        generated[path] = artifact.content
        if artifact.path == "templates.json":
            templates = json.loads(artifact.content)
    files = list(generated)
    schemas = generated_schemas(catalog.publish.site_url)
    generated.update({f"schemas/{name}": text for name, text in schemas.items()})
    downloads = {"reference/downloads.md": downloads_page(plan, files, list(schemas))}
    for path, page in {**entities(), **overview_pages(plan, templates), **downloads}.items():
        if isinstance(page, HtmlPage):
            html_pages[path] = page
            generated[path] = page.stub()
        else:
            generated[path] = page
    site_nav = nav(catalog)
    if (source_dir / MEASURED_PAGE).is_file():
        site_nav.insert(-1, {"Measured on this host": MEASURED_PAGE})
    return catalog.publish.site_url, site_nav, GeneratedPages(generated, html_pages)


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
    source_dir = config_file.parent / "site"
    if not source_dir.is_dir():
        raise UsageError(f"no site/ folder beside {config_file}: its hand-written pages")
    site_url, site_nav, generated = _generated_files(catalog_dir, source_dir)
    config = load_config(
        config_file=str(config_file),
        docs_dir=str(source_dir),
        site_dir=str(out_dir.resolve()),
        site_url=site_url,
        nav=site_nav,
        strict=True,
    )
    config.plugins["gen-generated-pages"] = generated
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
