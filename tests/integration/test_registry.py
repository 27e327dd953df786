"""`gen images outdated` against the REAL registry: Debian's docker-registry (the distribution
project's registry 2.8), started here on a free port, anonymous and with htpasswd basic auth,
filled through its own HTTP API with images under several tags (variant suffixes, a
pre-release, a multi-platform index). No public registry is reachable from the tests: the
catalog's other images answer "unreachable", which shows the command going on past them."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, run_gen

pytestmark = [pytest.mark.docker, pytest.mark.registry]
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def _address() -> str:
    """This machine's own non-loopback address: the catalog refuses loopback registries."""
    listing = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True
    )
    for line in listing.stdout.splitlines():
        return line.split()[3].split("/")[0]
    missing("no non-loopback IPv4 address to serve the test registry on")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


@contextmanager
def real_registry(folder: Path, htpasswd: Path | None = None) -> Iterator[str]:
    binary = shutil.which("docker-registry")
    if binary is None:
        missing("docker-registry (Debian package docker-registry) is not installed")
    port = _free_port()
    config: dict[str, Any] = {
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}},
        "http": {"addr": f"0.0.0.0:{port}"},
        "log": {"level": "error"},
    }
    if htpasswd is not None:
        config["auth"] = {"htpasswd": {"realm": "gen-test", "path": str(htpasswd)}}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    process = subprocess.Popen([str(binary), "serve", str(folder / "config.yml")], stderr=subprocess.PIPE)
    host = f"{_address()}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://{host}/v2/", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # 401: up, and asking for a login
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None, "the registry did not start"
                time.sleep(0.2)
        yield host
    finally:
        process.terminate()
        process.wait(timeout=10)


class Pusher:
    """Pushes through the distribution API: blobs (monolithic upload), manifests, indexes."""

    def __init__(self, host: str, login: tuple[str, str] | None = None) -> None:
        self.host = host
        self.headers = {}
        if login:
            self.headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()

    def _send(self, method: str, url: str, body: bytes = b"", content_type: str = "") -> Any:
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(
            url, data=body if method != "GET" else None, headers=headers, method=method
        )
        return urllib.request.urlopen(request, timeout=20)

    def blob(self, repository: str, data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        started = self._send("POST", f"http://{self.host}/v2/{repository}/blobs/uploads/")
        location = urllib.parse.urljoin(f"http://{self.host}/", started.headers["Location"])
        joiner = "&" if "?" in location else "?"
        self._send("PUT", f"{location}{joiner}digest={digest}", data, "application/octet-stream")
        return {"digest": digest, "size": len(data)}

    def manifest(self, repository: str, reference: str, platform: str = "linux/amd64") -> dict[str, Any]:
        os_name, architecture = platform.split("/")
        config = json.dumps(
            {"architecture": architecture, "os": os_name, "rootfs": {"type": "layers"}}
        ).encode()
        layer = hashlib.sha256(f"{repository}:{reference}:{platform}".encode()).digest()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                **self.blob(repository, config),
            },
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", **self.blob(repository, layer)}
            ],
        }
        body = json.dumps(manifest).encode()
        self._send("PUT", f"http://{self.host}/v2/{repository}/manifests/{reference}", body, OCI_MANIFEST)
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return {
            "mediaType": OCI_MANIFEST,
            "digest": digest,
            "size": len(body),
            "platform": {"os": os_name, "architecture": architecture},
        }

    def index(self, repository: str, tag: str) -> None:
        """A multi-platform tag: an index of an amd64 and an arm64 manifest."""
        manifests = [
            self.manifest(repository, f"{tag}-{p.replace('/', '-')}-part", p)
            for p in ("linux/amd64", "linux/arm64")
        ]
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
        self._send("PUT", f"http://{self.host}/v2/{repository}/manifests/{tag}", body, OCI_INDEX)


PINNED = load_catalog(DEFAULT_CATALOG).services
OPEN_WEBUI_TAG = PINNED["open-webui"].image.rsplit(":", 1)[1]
OLLAMA = PINNED["ollama"].image.rsplit(":", 1)[1]  # the pin, e.g. 0.32.15
_major, _minor, _patch = (int(n) for n in OLLAMA.split("."))
OLDER = f"{_major}.{_minor}.{_patch - 1}" if _patch else f"{_major}.{_minor - 1}.0"
NEWER_PATCH = f"{_major}.{_minor}.{_patch + 1}"
NEWER_MINOR = f"{_major}.{_minor + 1}.0"  # a multi-platform index, with a -rocm sibling


def _fill(pusher: Pusher) -> None:
    pre_release = f"{_major}.{_minor + 2}.0-rc1"
    for tag in (OLDER, OLLAMA, NEWER_PATCH, f"{OLLAMA}-rocm", f"{NEWER_MINOR}-rocm", pre_release):
        pusher.manifest("ollama/ollama", tag)
    pusher.index("ollama/ollama", NEWER_MINOR)
    pusher.manifest("open-webui/open-webui", OPEN_WEBUI_TAG)


IMAGE_LINE = re.compile(r"^(\s*image: )([^\s:]+):", re.MULTILINE)
SERVED = {"ollama/ollama", "ghcr.io/open-webui/open-webui"}  # the images the test registry holds


def _moved(line: re.Match[str], registry: str, closed: str) -> str:
    """An image line pointed at the test registry or the closed port, without its own host."""
    repository = line.group(2)
    first, _, rest = repository.partition("/")
    path = rest if "." in first else repository
    return f"{line.group(1)}{registry if repository in SERVED else closed}/{path}:"


def _catalog_on(registry: str, target: Path) -> Path:
    """The default catalog with Ollama's and Open WebUI's images served by `registry`, and the
    others on a port of this host where nothing listens (refused at once: no public registry
    is reachable from the tests, and a firewall that drops would make each wait its timeout)."""
    shutil.copytree(DEFAULT_CATALOG, target)
    closed = f"{registry.rsplit(':', 1)[0]}:{_free_port()}"
    for path in (target / "services").glob("*.yaml"):
        path.write_text(IMAGE_LINE.sub(lambda line: _moved(line, registry, closed), path.read_text()))
    return target


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _outdated(catalog: Path, registry: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = run_gen(
        "images", "outdated", "--catalog", str(catalog), "--plain-http", registry, "--format", "json", env=env
    )
    return result.exit_code, {entry["image"]: entry for entry in json.loads(result.stdout)}


def test_outdated_against_the_real_registry(tmp_path: Path) -> None:
    with real_registry(tmp_path / "anonymous") as registry:
        _fill(Pusher(registry))
        catalog = _catalog_on(registry, tmp_path / "catalog")
        before = _snapshot(catalog)
        code, found = _outdated(catalog, registry, env={"DOCKER_CONFIG": str(tmp_path / "no-docker-config")})
    assert code == 1
    assert found[f"{registry}/ollama/ollama:{OLLAMA}"]["status"] == "outdated"
    # not the older one, not the pre-release, not the -rocm ones
    assert found[f"{registry}/ollama/ollama:{OLLAMA}"]["newer"] == [NEWER_PATCH, NEWER_MINOR]
    assert found[f"{registry}/ollama/ollama:{OLLAMA}-rocm"]["newer"] == [f"{NEWER_MINOR}-rocm"]
    assert found[f"{registry}/open-webui/open-webui:{OPEN_WEBUI_TAG}"]["status"] == "current"
    others = [e for image, e in found.items() if not image.startswith(registry)]
    assert others and all(e["status"] == "error" and e["message"].startswith("unreachable") for e in others)
    assert _snapshot(catalog) == before  # asking changes nothing


def test_outdated_with_a_login_from_the_docker_config(tmp_path: Path) -> None:
    htpasswd_tool = shutil.which("htpasswd")
    if htpasswd_tool is None:
        missing("htpasswd (Debian package apache2-utils) is not installed")
    entry = subprocess.run(
        [htpasswd_tool, "-Bbn", "gen", "s3cret"], capture_output=True, text=True, check=True
    )
    (tmp_path / "htpasswd").write_text(entry.stdout)
    with real_registry(tmp_path / "basic", tmp_path / "htpasswd") as registry:
        _fill(Pusher(registry, ("gen", "s3cret")))
        catalog = _catalog_on(registry, tmp_path / "catalog")
        image = f"{registry}/ollama/ollama:{OLLAMA}"
        _, anonymous = _outdated(catalog, registry, env={"DOCKER_CONFIG": str(tmp_path / "none")})
        assert anonymous[image]["status"] == "error"
        assert anonymous[image]["message"] == f"the registry needs a login: docker login {registry}"
        config = tmp_path / "docker-config"
        config.mkdir()
        for password, expected in (("wrong", "error"), ("s3cret", "outdated")):
            auth = base64.b64encode(f"gen:{password}".encode()).decode()
            (config / "config.json").write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
            _, found = _outdated(catalog, registry, env={"DOCKER_CONFIG": str(config)})
            assert found[image]["status"] == expected, found[image]
        assert found[image]["newer"] == [NEWER_PATCH, NEWER_MINOR]


def test_pin_rewrites_to_the_newest_release_and_digest_or_nothing(tmp_path: Path) -> None:
    from generator.catalog import load_catalog
    from generator.images.catalog_images import image_uses

    with real_registry(tmp_path / "anonymous") as registry:
        pusher = Pusher(registry)
        _fill(pusher)
        catalog = _catalog_on(registry, tmp_path / "catalog")
        unreached = _snapshot(catalog)
        # another registry does not answer: nothing is pinned, not even what could be
        refused = run_gen("images", "pin", "--catalog", str(catalog), "--plain-http", registry)
        assert refused.exit_code == 1
        assert "nothing pinned" in refused.stderr and "unreachable" in refused.stderr
        assert _snapshot(catalog) == unreached
        # every image on the test registry, at the catalog's own tags
        for path in (catalog / "services").glob("*.yaml"):
            path.write_text(path.read_text().replace(_closed_host(path.read_text(), registry), registry))
        for use in image_uses(load_catalog(catalog)):
            if use.image.repository not in ("ollama/ollama", "open-webui/open-webui"):
                pusher.manifest(use.image.repository, str(use.image.tag))
        ollama = catalog / "services" / "ollama.yaml"
        before = ollama.read_text()
        dry = run_gen("images", "pin", "--catalog", str(catalog), "--plain-http", registry, "--dry-run")
        assert dry.exit_code == 0, dry.stderr
        assert f"+image: {registry}/ollama/ollama:{NEWER_MINOR}\n" in dry.stdout
        assert ollama.read_text() == before
        pinned = run_gen("images", "pin", "--catalog", str(catalog), "--plain-http", registry, "--digest")
        assert pinned.exit_code == 0, pinned.stderr
        index_digest = _digest_of(registry, "ollama/ollama", NEWER_MINOR)
        after = ollama.read_text()
        assert f"image: {registry}/ollama/ollama:{NEWER_MINOR}@{index_digest}\n" in after  # the index's
        assert f"image: {registry}/ollama/ollama:{NEWER_MINOR}-rocm@sha256:" in after
        changed = [a for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
        assert len(changed) == 2 and all("image:" in line for line in changed)  # nothing else moved
        assert run_gen("validate", "--catalog", str(catalog)).exit_code == 0
        code, found = _outdated(catalog, registry)
        assert code == 0, found  # every image current now


def _closed_host(text: str, registry: str) -> str:
    """The closed host:port _catalog_on pointed the other images at, as found in a file."""
    found = re.search(r"image: (\S+?:\d+)/", text)
    return found.group(1) if found and found.group(1) != registry else registry


def _digest_of(registry: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}", headers={"Accept": OCI_INDEX}, method="HEAD"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.headers["Docker-Content-Digest"])
