"""Where the site is published: `gen build` says while publish.yaml names the example address, and
`gen doctor` asks the address Portainer starts with whether it answers with App Templates."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from generator.hosts.doctor import templates_check
from generator.plan.publish import EXAMPLE_SITE_URL
from tests.conftest import DEFAULT_CATALOG, run_gen


def test_build_warns_while_the_site_is_the_example_address(tmp_path: Path) -> None:
    result = run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(tmp_path / "dist"))
    assert result.exit_code == 0, result.stderr
    assert f"warning: publish.yaml: site_url: {EXAMPLE_SITE_URL} is the example address" in result.stderr
    assert "templates.json" in result.stderr
    assert "warning" not in result.stdout  # the listing stays what scripts read


def test_build_of_a_published_catalog_says_nothing_more(catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    publish = catalog / "publish.yaml"
    publish.write_text(publish.read_text().replace(EXAMPLE_SITE_URL, "https://ai.example.net/stack/"))
    result = run_gen("build", "--catalog", str(catalog), "--out", "dist")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    compose = (Path("dist") / "stacks" / "management" / "cpu" / "compose.yaml").read_text()
    assert "https://ai.example.net/stack/templates.json" in compose


class _Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[int, bytes]]] = {}

    def do_GET(self) -> None:
        status, body = self.pages.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_doctor_reads_the_published_templates(site: str) -> None:
    templates = (DEFAULT_CATALOG.parent / "dist" / "templates.json").read_bytes()
    _Site.pages = {"/stack/templates.json": (200, templates), "/html/templates.json": (200, b"<html>")}
    check = templates_check(f"{site}/stack/templates.json")
    assert check.status == "ok", check
    assert f"{len(json.loads(templates)['templates'])} templates" in check.message

    for path, says in (("/missing/templates.json", "Not Found"), ("/html/templates.json", "")):
        check = templates_check(f"{site}{path}")
        assert check.status == "warn", check
        assert says in check.message and "site_url" in check.hint


def test_doctor_says_when_nothing_answers() -> None:
    check = templates_check("http://127.0.0.1:9/templates.json", timeout=5)
    assert check.status == "warn"
    assert "Connection refused" in check.message and "App Templates stay empty" in check.message
