"""The built site in real headless Chromium (Debian's), driven by Playwright for Python."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.components import missing
from tests.conftest import ROOT, build_default_site

pytestmark = [pytest.mark.browser]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = build_default_site(tmp_path_factory.mktemp("site") / "site")
    handler = functools.partial(QuietHandler, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        missing("chromium (Debian package chromium) is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (PyPI) is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.errors = []
    opened.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))
    opened.on("pageerror", lambda e: opened.errors.append(str(e)))
    yield opened
    context.close()


def test_home_page_renders(page: Any, server: str) -> None:
    page.goto(server, wait_until="networkidle")
    assert "AI stack catalog" in page.title()
    assert page.locator("h1").first.inner_text().startswith("AI stack catalog")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-home.png"), full_page=True)
    assert page.errors == []


def test_service_page_shows_ports_and_diagram(page: Any, server: str) -> None:
    page.goto(f"{server}catalog/services/ollama/", wait_until="networkidle")
    ports = page.locator("h2#ports + div table, h2#ports ~ .md-typeset__scrollwrap table").first
    assert "11434" in ports.inner_text()
    # mkdocs-material draws the diagram into a closed shadow root: it is there once it has a size
    page.wait_for_function(
        "() => [...document.querySelectorAll('div.mermaid')]"
        ".some(d => d.getBoundingClientRect().height > 100)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-ollama.png"), full_page=True)
    assert page.errors == []


def test_search_finds_ollama(page: Any, server: str) -> None:
    page.goto(server, wait_until="networkidle")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("ollama", delay=30)
    result = page.locator(".md-search-result__item").first
    result.wait_for(timeout=15000)
    assert "Ollama" in page.locator(".md-search-result").inner_text()
    assert page.errors == []


def test_catalog_filter(page: Any, server: str) -> None:
    page.goto(f"{server}catalog/", wait_until="networkidle")
    rows = page.locator("article table tbody tr")
    total = rows.count()
    page.locator("#catalog-filter").fill("exporter")
    visible = [r for r in rows.all() if r.is_visible()]
    assert 0 < len(visible) < total
    assert all("xporter" in r.inner_text() for r in visible)
    assert page.errors == []


def test_templates_json_is_served_as_json(server: str) -> None:
    with urllib.request.urlopen(f"{server}templates.json", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        document = json.load(response)
    assert document["version"] == "3"
