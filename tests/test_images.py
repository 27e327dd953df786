"""`gen images`: image references, which tags are newer, credentials, and the token handshake.

The registry side is tested end to end against the real registry in
tests/integration/test_registry.py; here the Bearer token handshake runs against a stand-in
that answers as Docker Hub's documented flow does (a 401 naming its token realm, then a token),
since no public registry is reachable from the tests.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.images.catalog_images import ImageUse, check_images
from generator.images.reference import parse_reference
from generator.images.registry import RegistryError, docker_credentials, list_tags
from generator.images.versions import newer_tags
from tests.conftest import DEFAULT_CATALOG, run_gen


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("ollama/ollama:0.12.6", "docker.io", "ollama/ollama", "0.12.6", None),
        ("caddy:2.10.2-alpine", "docker.io", "library/caddy", "2.10.2-alpine", None),
        ("ghcr.io/open-webui/open-webui:v0.6.34", "ghcr.io", "open-webui/open-webui", "v0.6.34", None),
        ("quay.io/prometheus/node-exporter:v1.9.1", "quay.io", "prometheus/node-exporter", "v1.9.1", None),
        ("10.0.0.5:5000/team/app:1.0@sha256:ab", "10.0.0.5:5000", "team/app", "1.0", "sha256:ab"),
        ("busybox", "docker.io", "library/busybox", None, None),
    ],
)
def test_references_read_as_docker_reads_them(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    reference = parse_reference(text)
    assert (reference.registry, reference.repository, reference.tag, reference.digest) == (
        registry,
        repository,
        tag,
        digest,
    )


def test_newer_tags_keep_the_variant_and_the_shape() -> None:
    tags = ["0.12.5", "0.12.6", "0.12.7", "0.13.0", "0.13", "latest", "0.13.0-rocm", "0.14.0-rc1", "v0.15.0"]
    assert newer_tags("0.12.6", tags) == ["0.12.7", "0.13.0"]
    assert newer_tags("0.12.6-rocm", [*tags, "0.12.6-rocm"]) == ["0.13.0-rocm"]
    assert newer_tags("0.12.6", tags, pre_releases=True) == ["0.12.7", "0.13.0", "0.14.0-rc1"]
    assert newer_tags("v0.6.34", ["v0.6.35", "0.7.0", "v0.10.1", "v0.7.0-rc.1"]) == ["v0.6.35", "v0.10.1"]
    assert newer_tags("2.10.2-alpine", ["2.10.2", "2.11.0-alpine", "2.11.0-builder-alpine"]) == [
        "2.11.0-alpine"
    ]
    assert newer_tags("latest", tags) == []


def test_credentials_come_from_the_docker_clients_config(tmp_path: Path) -> None:
    def auth(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    config = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": auth("hub-user:hub-pw")},
            "registry.example.org:5000": {"auth": auth("me:secret:with:colons")},
            "broken.example.org": {"auth": "%%%"},
        },
        "credsStore": "desktop",
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert docker_credentials(tmp_path) == {
        "docker.io": ("hub-user", "hub-pw"),
        "registry.example.org:5000": ("me", "secret:with:colons"),
    }
    assert docker_credentials(tmp_path / "missing") == {}


def test_a_registry_that_fails_is_one_line_and_the_others_go_on() -> None:
    uses = [
        ImageUse("a", "cpu", parse_reference("example.org/a:1.0")),
        ImageUse("b", "cpu", parse_reference("example.org/b:1.0")),
        ImageUse("b", "amd", parse_reference("example.org/b:1.0-rocm")),
        ImageUse("c", "cpu", parse_reference("example.org/c:latest")),
    ]
    asked = []

    def tags_of(reference: object, credentials: object, plain_http: bool) -> list[str]:
        asked.append(reference)
        if "/a" in getattr(reference, "text", ""):
            raise RegistryError("rate limited (429): try again later")
        return ["1.0", "1.1", "1.1-rocm"]

    results = {r.image: r for r in check_images(uses, tags_of=tags_of)}
    assert results["example.org/a:1.0"].status == "error"
    assert results["example.org/a:1.0"].message.startswith("rate limited (429)")
    assert results["example.org/b:1.0"].newer == ["1.1"]
    assert results["example.org/b:1.0-rocm"].newer == ["1.1-rocm"]
    assert results["example.org/c:latest"].status == "unversioned"
    assert len(asked) == 2  # b's repository once for both of its tags; c not at all


class _HubLike(BaseHTTPRequestHandler):
    """Answers as Docker Hub's registry and token service do (Docker's token authentication
    specification): the registry refuses without a token and names its realm, the realm hands
    out a token for the scope, the registry accepts it."""

    token = "stand-in-token"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        host = f"http://{self.headers['Host']}"
        if self.path.startswith("/v2/broken/"):
            self._json(200, "<html>not a tag list</html>")
        elif self.path.startswith("/v2/missing/"):
            self._json(404, {"errors": [{"code": "NAME_UNKNOWN"}]})
        elif self.path.startswith("/token?"):
            assert "scope=repository%3Alibrary%2Fcaddy%3Apull" in self.path, self.path
            assert "service=registry.docker.io" in self.path
            self._json(200, {"token": self.token, "access_token": self.token, "expires_in": 300})
        elif self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            challenge = f'Bearer realm="{host}/token",service="registry.docker.io",'
            challenge += 'scope="repository:library/caddy:pull"'
            self.send_header("WWW-Authenticate", challenge)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif "last=" not in self.path:
            self.send_response(200)
            self.send_header("Link", '</v2/library/caddy/tags/list?n=2&last=2.10.2>; rel="next"')
            body = json.dumps({"name": "library/caddy", "tags": ["2.10.1", "2.10.2"]}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._json(200, {"name": "library/caddy", "tags": ["2.11.0", "2.11.0-alpine"]})

    def _json(self, status: int, value: object) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hub_like() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HubLike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_bearer_token_handshake_and_pages(hub_like: str) -> None:
    reference = parse_reference(f"{hub_like}/library/caddy:2.10.2-alpine")
    assert list_tags(reference, plain_http=True) == ["2.10.1", "2.10.2", "2.11.0", "2.11.0-alpine"]


def test_unreachable_missing_and_malformed_answers_are_one_clear_line(hub_like: str) -> None:
    with pytest.raises(RegistryError, match=r"^unreachable: "):
        list_tags(parse_reference("127.0.0.1:9/x/y:1.0"), plain_http=True)
    with pytest.raises(RegistryError, match=r"^not found \(404\)"):
        list_tags(parse_reference(f"{hub_like}/missing/app:1.0"), plain_http=True)
    with pytest.raises(RegistryError, match="malformed JSON"):
        list_tags(parse_reference(f"{hub_like}/broken/app:1.0"), plain_http=True)


def test_gen_images_lists_every_image_per_variant() -> None:
    result = run_gen("images", "--catalog", str(DEFAULT_CATALOG), "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    ollama = {r["variant"]: r["image"] for r in rows if r["service"] == "ollama"}
    assert ollama == {
        "cpu": "ollama/ollama:0.32.15",
        "nvidia": "ollama/ollama:0.32.15",
        "amd": "ollama/ollama:0.32.15-rocm",
    }
    text = run_gen("images", "--catalog", str(DEFAULT_CATALOG)).stdout
    assert any(line.split() == ["ollama", "amd", "ollama/ollama:0.32.15-rocm"] for line in text.splitlines())


def test_repinning_keeps_how_the_reference_is_written() -> None:
    from generator.images.pin import repinned

    assert repinned(parse_reference("ollama/ollama:0.12.6"), "0.13.0", None) == "ollama/ollama:0.13.0"
    assert repinned(parse_reference("caddy:2.10.2-alpine"), "2.11.0-alpine", "sha256:" + "a" * 64) == (
        "caddy:2.11.0-alpine@sha256:" + "a" * 64
    )
    assert (
        repinned(parse_reference("10.0.0.5:5000/x/y:1.0@sha256:old"), "1.1", None) == "10.0.0.5:5000/x/y:1.1"
    )


def test_a_pin_plan_changes_only_the_image_values(catalog_copy: Callable[..., Path]) -> None:
    from generator.images import pin
    from generator.images.catalog_images import ImageStatus

    catalog = catalog_copy(DEFAULT_CATALOG)
    ollama = catalog / "services" / "ollama.yaml"
    job = catalog / "services" / "ollama-models.yaml"  # the model puller runs the same image
    original, job_original = ollama.read_text(), job.read_text()
    pinned = load_catalog(catalog).services["ollama"]
    cpu, rocm = pinned.image, pinned.image_for("amd")  # e.g. ollama/ollama:0.32.15 and its -rocm
    statuses = [
        ImageStatus(cpu, ["ollama"], "outdated", ["99.0.1", "99.1.0"]),
        ImageStatus(rocm, ["ollama"], "outdated", ["99.1.0-rocm"]),
        ImageStatus("caddy:2.10.2-alpine", ["caddy"], "current"),
        ImageStatus("example.org/x:1.0", ["x"], "error", message="unreachable"),
    ]
    asked: list[tuple[str, str]] = []

    def digest_of(reference: Any, tag: str) -> str:
        asked.append((reference.text, tag))
        return "sha256:" + "b" * 64

    assert pin.wanted_references(statuses, False, digest_of) == {
        cpu: "ollama/ollama:99.1.0",
        rocm: "ollama/ollama:99.1.0-rocm",
    }
    assert asked == []
    with_digests = pin.wanted_references(statuses, True, digest_of)
    assert with_digests["caddy:2.10.2-alpine"] == "caddy:2.10.2-alpine@sha256:" + "b" * 64
    editor, changes = pin.plan(
        load_catalog(catalog), catalog, pin.wanted_references(statuses, False, digest_of)
    )
    assert [(c.file.name, c.old, c.new) for c in changes] == [
        ("ollama-models.yaml", cpu, "ollama/ollama:99.1.0"),
        ("ollama.yaml", cpu, "ollama/ollama:99.1.0"),
        ("ollama.yaml", rocm, "ollama/ollama:99.1.0-rocm"),
    ]
    expected = original.replace(f"image: {rocm}", "image: ollama/ollama:99.1.0-rocm")
    expected = expected.replace(f"image: {cpu}\n", "image: ollama/ollama:99.1.0\n")
    job_expected = job_original.replace(f"image: {cpu}\n", "image: ollama/ollama:99.1.0\n")
    # comments, order and layout untouched
    assert editor.overlay == {"services/ollama.yaml": expected, "services/ollama-models.yaml": job_expected}
    assert editor.problems() == []
    assert f"-image: {cpu}\n+image: ollama/ollama:99.1.0\n" in editor.diff()
    assert (ollama.read_text(), job.read_text()) == (original, job_original)  # planning writes nothing
    assert editor.write() == ["services/ollama-models.yaml", "services/ollama.yaml"]
    assert ollama.read_text() == expected
