"""The reverse proxy and the network boundaries on real Docker Engines.

The proxy is the real Caddy binary (Debian's package) in the catalog's image name; behind it run
the real Open WebUI and Ollama's API stand-in (tests/real_images.py), the rest are stand-ins.
The egress test runs on the firewalled engine (scripts/start-dockerd-firewalled): Docker
enforces internal networks with iptables, which the main test engine runs without.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import docker
import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import (
    compose_binary,
    docker_host,
    engine,
    firewalled_engine,
    prepared_host,
)

pytestmark = [pytest.mark.docker, pytest.mark.caddy, pytest.mark.node, pytest.mark.promtool]
CATALOG = load_catalog(DEFAULT_CATALOG)
DOMAIN = "ai.home.arpa"


def _compose(host: str, stack: str, env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        compose_binary(),
        "--env-file",
        str(env_file),
        "-f",
        str(ROOT / f"dist/stacks/{stack}/cpu/compose.yaml"),
    ]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_HOST": host},
        timeout=600,
    )


def _up(host: str, stacks: list[str], env_files: dict[str, Path]) -> None:
    for stack in stacks:
        result = _compose(host, stack, env_files[stack], "up", "-d", "--wait")
        assert result.returncode == 0, result.stderr


def _down(host: str, stacks: list[str], env_files: dict[str, Path]) -> None:
    for stack in reversed(stacks):
        _compose(host, stack, env_files[stack], "down", "--volumes", "--timeout", "5")


def _secret(env_file: Path, name: str) -> str:
    for line in env_file.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} not in {env_file}")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client = engine()
    root = tmp_path_factory.mktemp("proxy")
    env_files = prepared_host(client, CATALOG, root)
    stacks = ["ai", "edge", "monitoring"]  # monitoring: its probe checks the AI services through the proxy
    try:
        _up(docker_host(), stacks, env_files)
        caddy = client.containers.list(filters={"label": "ai-stack.service=caddy"})[0]
        code, root_ca = caddy.exec_run(["cat", "/data/caddy/pki/authorities/local/root.crt"])
        assert code == 0, root_ca
        (root / "root.crt").write_bytes(root_ca)
        yield {
            "client": client,
            "password": _secret(env_files["edge"], "PROXY_PASSWORD"),
            "ide_password": _secret(env_files["ai"], "PASSWORD"),
            "ca": root / "root.crt",
        }
    finally:
        _down(docker_host(), stacks, env_files)


class _ToLocalhost(http.client.HTTPSConnection):
    """HTTPS to this host's port 443, with the site's name for SNI and certificate checks."""

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", 443), timeout=15)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def _request(
    site: str, ca: Path | None, path: str = "/", form: dict[str, str] | None = None, **headers: str
) -> http.client.HTTPResponse:
    """GET `path`, or POST `form` to it, through the proxy; the response is read."""
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    connection = _ToLocalhost(f"{site}.{DOMAIN}", context=context)
    if form is None:
        connection.request("GET", path, headers=headers)
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request("POST", path, body=urlencode(form), headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def _get(site: str, ca: Path | None, user: str | None = None, password: str = "") -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(ca) if ca else None)
    connection = _ToLocalhost(f"{site}.{DOMAIN}", context=context)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + b64encode(f"{user}:{password}".encode()).decode()
    connection.request("GET", "/", headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode(errors="replace")


def test_the_ide_asks_for_its_generated_password_behind_the_proxy(proxied: dict[str, Any]) -> None:
    """The real code-server, reached through Caddy: the proxy forwards without asking (auth: app)
    and code-server asks for the PASSWORD that `gen secrets` generated."""
    ca = proxied["ca"]
    first = _request("code", ca)
    assert first.status == 302
    assert first.getheader("Location", "").endswith("login")
    assert _request("code", ca, "/healthz").status == 200
    wrong = _request("code", ca, "/login", {"password": "not-the-password"})
    assert wrong.status == 200  # the login page again
    assert "code-server-session" not in (wrong.getheader("Set-Cookie") or "")
    right = _request("code", ca, "/login", {"password": proxied["ide_password"]})
    assert right.status == 302
    cookie = (right.getheader("Set-Cookie") or "").split(";")[0]
    assert cookie.startswith("code-server-session=")
    workspace = _request("code", ca, "/", Cookie=cookie)  # to the workspace folder, not the login
    assert workspace.status == 302
    location = workspace.getheader("Location", "")
    assert "login" not in location
    assert "folder=" in location, location
    assert _request("code", ca, "/" + location.removeprefix("./"), Cookie=cookie).status == 200  # the IDE


def test_the_proxy_asks_for_the_generated_password_over_tls(proxied: dict[str, Any]) -> None:
    ca = proxied["ca"]
    assert _get("ollama", ca)[0] == 401
    assert _get("ollama", ca, "admin", "wrong")[0] == 401
    status, body = _get("ollama", ca, "admin", proxied["password"])
    assert (status, body) == (200, "Ollama is running")  # reached Ollama's API through the proxy
    # Open WebUI has its own login: the proxy forwards without asking, and its page comes back
    status, body = _get("chat", ca)
    assert status == 200
    assert "<title>Open WebUI</title>" in body
    # the certificate comes from Caddy's local CA, which the system does not trust
    with pytest.raises(ssl.SSLCertVerificationError):
        _get("chat", None)


def test_backends_are_not_published_on_the_host(proxied: dict[str, Any]) -> None:
    for port in (
        3000,
        8080,
        8443,
        2019,
    ):  # Open WebUI's old port and its own, code-server's, Caddy's admin API
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_the_monitoring_probe_checks_the_ai_services_through_the_proxy(proxied: dict[str, Any]) -> None:
    """The real blackbox exporter, asked by the real Prometheus, checks Ollama's API, Open WebUI's
    and code-server's health pages through the real Caddy's probe port: up, then down when the
    service stops. The probe never joins the AI network, and the probe port forwards the checked
    paths only."""
    client = proxied["client"]
    probe = client.containers.list(filters={"label": "ai-stack.service=portainer-probe"})[0]
    assert "ai-net" not in probe.attrs["NetworkSettings"]["Networks"]
    prometheus = next(str(a.ipv4_address) for a in CATALOG.services["prometheus"].networks)
    probed = ["continue-dev", "ollama", "open-webui"]

    def results() -> dict[str, str]:
        url = f"http://{prometheus}:9090/api/v1/query?" + urlencode({"query": "probe_success"})
        with urllib.request.urlopen(url, timeout=5) as response:
            found = json.load(response)["data"]["result"]
        return {r["metric"]["job"]: r["value"][1] for r in found if r["metric"]["job"] in probed}

    def wait_for(wanted: dict[str, str]) -> None:
        deadline, seen = time.monotonic() + 120, {}
        while time.monotonic() < deadline:
            seen = results()
            if seen == wanted:
                return
            time.sleep(3)
        raise AssertionError(f"probe results {seen}, wanted {wanted}")

    wait_for(dict.fromkeys(probed, "1"))  # the scrape interval is 30 s
    # what the probe port forwards: the checked path of each service, and nothing more (asked of
    # the blackbox exporter itself, at its address on the monitoring network)
    shared = {a.network for a in CATALOG.services["portainer-probe"].networks}
    caddy = next(str(a.ipv4_address) for a in CATALOG.services["caddy"].networks if a.network in shared)
    exporter = next(str(a.ipv4_address) for a in CATALOG.services["portainer-probe"].networks)

    def succeeds(path: str) -> bool:
        query = urlencode({"module": "http_2xx", "target": f"http://{caddy}:9180{path}"})
        with urllib.request.urlopen(f"http://{exporter}:9115/probe?{query}", timeout=10) as response:
            return "probe_success 1" in response.read().decode()

    assert [succeeds(f"/{service}") for service in probed] == [True] * len(probed)
    for path in ("/ollama/api/tags", "/open-webui/api/config", "/", "/api/version", "/ollama/"):
        assert not succeeds(path), path
    webui = client.containers.list(filters={"label": "ai-stack.service=open-webui"})[0]
    webui.stop(timeout=5)
    try:
        wait_for({"continue-dev": "1", "ollama": "1", "open-webui": "0"})
    finally:
        webui.start()


@pytest.fixture(scope="module")
def firewalled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client = firewalled_engine()
    host = os.environ.get("GEN_TEST_FW_DOCKER_HOST", "unix:///tmp/gen-docker-fw/docker.sock")
    root = tmp_path_factory.mktemp("egress")
    env_files = prepared_host(client, CATALOG, root, {"gen-test/server:1": [8080]})
    made: list[Any] = []
    try:
        _up(host, ["ai"], env_files)
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="172.27.0.0/24")])
        outside = client.networks.create("gen-test-outside", driver="bridge", ipam=ipam)
        made.append(outside)
        for name, network, address in (
            ("outside", "gen-test-outside", "172.27.0.10"),
            ("egress", "ai-egress", "172.23.0.200"),
        ):
            server = client.containers.create("gen-test/server:1", name=f"gen-test-{name}-server")
            made.insert(0, server)
            client.networks.get("bridge").disconnect(server)
            client.networks.get(network).connect(server, ipv4_address=address)
            server.start()
        yield {"client": client}
    finally:
        for thing in made:  # the servers first, then their network
            if isinstance(thing, docker.models.containers.Container):
                thing.remove(force=True)
            else:
                thing.remove()
        _down(host, ["ai"], env_files)


def _reaches(client: docker.DockerClient, service: str, address: str) -> bool:
    container = client.containers.list(filters={"label": f"ai-stack.service={service}"})[0]
    code, _ = container.exec_run(["sh", "-c", f"echo | nc -w 3 {address} 8080"])
    return bool(code == 0)


def test_the_ai_network_has_no_way_out_but_ollama_reaches_its_egress_network(
    firewalled: dict[str, Any],
) -> None:
    client = firewalled["client"]
    assert client.networks.get("ai-net").attrs["Internal"] is True
    # inside the AI network, services talk to each other
    container = client.containers.list(filters={"label": "ai-stack.service=open-webui"})[0]
    assert container.exec_run(["sh", "-c", "echo | nc -w 3 172.20.0.10 11434"])[0] == 0
    # nothing on the AI network alone can open a connection outside it
    assert not _reaches(client, "open-webui", "172.27.0.10")
    assert not _reaches(client, "open-webui", "172.23.0.200")
    assert not _reaches(client, "continue-dev", "172.27.0.10")
    # Ollama, on the egress network too, reaches the server there
    assert _reaches(client, "ollama", "172.23.0.200")
