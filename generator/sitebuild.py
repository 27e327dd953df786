"""`gen site build|serve`: the static docs site (mkdocs-material) from site/ plus generated pages.

mkdocs builds the hand-written pages of site/ with --strict (broken links fail the build), and
the GeneratedPages plugin adds, from memory, the pages generated from the catalog, every build
artifact (templates.json at the root, compose files, scripts) and the JSON Schemas.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, file_sort_key
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from generator.artifact import MARKER
from generator.catalog import load_catalog
from generator.diagnostics import format_text
from generator.errors import CatalogInvalid, GenError, OutputRefused, UsageError
from generator.plan import plan as make_plan
from generator.render import render_all
from generator.render.site import downloads_page, entity_pages, nav, overview_pages
from generator.render.site_html import HtmlPage, resolve_links, search_view
from generator.resources import schemas_dir
from generator.writer import SITE_MARKER, published_place

PLUGIN = "gen-catalog"  # the plugin's name in mkdocs.yml (an entry point of this package)


MEASURED_PAGE = "measured.md"  # `gen verify --markdown site/measured.md` writes it


class CatalogSiteConfig(Config):  # type: ignore[no-untyped-call]
    # the catalog folder, relative to mkdocs.yml; GEN_CATALOG (relative to the working folder)
    # or `gen site build --catalog` win over it
    catalog = config_options.Type(str, default="catalog")


class CatalogSite(BasePlugin[CatalogSiteConfig]):  # type: ignore[no-untyped-call]
    """The docs site's plugin (`gen-catalog` in mkdocs.yml): on every build it reads the catalog
    and adds the generated files to site/'s own (from memory: nothing is written twice), sets
    the nav and, when none is set, the site's URL from publish.yaml, puts the HTML of the pages
    written as HTML in place of their one-line Markdown, and gives the search index their
    search view while it reads them. Under `mkdocs serve` (and `gen site serve`) a change to a
    catalog file rebuilds the site and reloads the page."""

    def __init__(self) -> None:
        super().__init__()
        self.catalog_dir: Path | None = None  # set by `gen site build`
        self.generated: dict[str, str | bytes] = {}
        self.html_pages: dict[str, HtmlPage] = {}
        self.full_content: str | None = None
        self.serving = False

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # defined, it also keeps this plugin across the live server's rebuilds
        self.serving = command == "serve"

    def catalog_folder(self, config: MkDocsConfig) -> Path:
        if self.catalog_dir is not None:
            return self.catalog_dir
        if os.environ.get("GEN_CATALOG"):
            return Path(os.environ["GEN_CATALOG"])
        return Path(config.config_file_path or ".").parent / self.config.catalog

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        catalog_dir = self.catalog_folder(config)
        try:
            site_url, site_nav, self.generated, self.html_pages = _generated_files(
                catalog_dir, Path(config.docs_dir)
            )
        except GenError as error:
            if not self.serving:
                raise  # `gen site build` reports it as every command does
            # the live server prints this and waits for the next edit (no traceback)
            text = (
                format_text(error.diagnostics) if isinstance(error, CatalogInvalid) else f"error: {error}\n"
            )
            raise PluginError(f"the catalog cannot be built:\n{text.rstrip()}") from None
        config.site_url = config.site_url or site_url
        config.nav = site_nav
        if str(catalog_dir) not in config.watch:
            config.watch.append(str(catalog_dir))
        return config

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


def _generated_files(
    catalog_dir: Path, source_dir: Path
) -> tuple[str, list[object], dict[str, str | bytes], dict[str, HtmlPage]]:
    """The site's URL, its nav, its generated files (path in the docs -> content) and which of
    them are pages written as HTML."""
    plan = make_plan(load_catalog(catalog_dir))
    catalog = plan.catalog
    if catalog.publish is None:
        raise UsageError("the catalog has no publish.yaml")
    generated: dict[str, str | bytes] = {}
    html_pages: dict[str, HtmlPage] = {}
    templates: dict[str, object] = {}
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
    for path, page in {**entity_pages(plan), **overview_pages(plan, templates), **downloads}.items():
        if isinstance(page, HtmlPage):
            html_pages[path] = page
            generated[path] = page.stub()
        else:
            generated[path] = page
    site_nav = nav(catalog)
    if (source_dir / MEASURED_PAGE).is_file():
        site_nav.insert(-1, {"Measured on this host": MEASURED_PAGE})
    return catalog.publish.site_url, site_nav, generated, html_pages


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
    inside = published_place(out_dir, include_itself=False)
    if inside is None and (out_dir / MARKER).is_file():
        inside = f"{out_dir} (the output of `gen build`)"
    if inside is not None:
        raise OutputRefused(f"{out_dir} is inside {inside}: choose an --out outside it")
    if out_dir.resolve().is_relative_to(catalog_dir.resolve()):
        raise OutputRefused(f"{out_dir} is inside the catalog {catalog_dir}: choose an --out outside it")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / SITE_MARKER).exists():
        raise OutputRefused(
            f"{out_dir} is not empty and was not made by `gen site build`; choose another --out"
        )
    if not config_file.is_file():
        raise UsageError(f"no mkdocs configuration at {config_file}")
    source_dir = config_file.parent / "site"
    if not source_dir.is_dir():
        raise UsageError(f"no site/ folder beside {config_file}: its hand-written pages")
    config = load_config(
        config_file=str(config_file), docs_dir=str(source_dir), site_dir=str(out_dir.resolve()), strict=True
    )
    _plugin(config).catalog_dir = catalog_dir
    build(config)
    (out_dir / SITE_MARKER).write_text("Made by `gen site build`; replaced on every build.\n")
    return len(list(out_dir.rglob("index.html")))


def _plugin(config: MkDocsConfig) -> CatalogSite:
    """The configuration's gen-catalog plugin, added when its mkdocs.yml does not list it."""
    found = config.plugins.get(PLUGIN)
    if isinstance(found, CatalogSite):
        return found
    plugin = CatalogSite()
    plugin.load_config({})
    config.plugins[PLUGIN] = plugin
    return plugin


def serve_site(catalog_dir: Path, config_file: Path, port: int, announce: Callable[[str], None]) -> None:
    """`gen site serve`: mkdocs' live server on 127.0.0.1 until stopped; a change to a page of
    site/ or to a catalog file rebuilds the site and reloads the browser's page."""
    from mkdocs.commands.serve import serve

    if not config_file.is_file():
        raise UsageError(f"no mkdocs configuration at {config_file}")
    load_catalog(catalog_dir)  # a catalog that cannot be built stops here, as in every command
    _show_mkdocs_warnings()
    os.environ["GEN_CATALOG"] = str(catalog_dir)  # the plugin reads it on every rebuild
    announce(f"serving http://127.0.0.1:{port}/ (Ctrl-C stops); edits to site/ and {catalog_dir}/ reload it")
    serve(config_file=str(config_file), dev_addr=f"127.0.0.1:{port}", strict=True)
