"""Which of Open WebUI's settings the catalog really controls after the first start, proven with
the REAL Open WebUI (the release the catalog pins, installed by scripts/install-open-webui) run
on this host with the generated environment, started again with a changed environment.

Open WebUI keeps its settings in its database: the environment seeds them at the first start and
the database wins afterwards, unless ENABLE_PERSISTENT_CONFIG is false (open_webui/config.py,
models/config.py at 0.12.4). The catalog turns persistent settings off, so what the catalog says
(sign-up, the model servers it derives) is what Open WebUI does at every start; an operator who
would rather keep the admin panel's changes sets it true, and then the admin panel (or its API)
is the one place to change them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.hosts.expected import interpolated
from tests.components import missing
from tests.conftest import ROOT
from tests.real_images import open_webui_venv

pytestmark = [pytest.mark.open_webui]

COMPOSE = ROOT / "dist" / "stacks" / "ai" / "cpu" / "compose.yaml"
SECRET = {"WEBUI_SECRET_KEY": "a-session-secret-of-the-test", "WEBUI_ADMIN_PASSWORD": "the-owner's-pw"}
A_SERVER = "http://llama-cpp:8080/v1"  # an OpenAI-compatible server the catalog gained later


def _generated_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """Open WebUI's environment as the generated Compose file gives it, read with `settings` as
    the stack's env file."""
    entry = YAML(typ="safe").load(COMPOSE.read_text())["services"]["open-webui"]
    return {name: interpolated(str(value), settings) for name, value in entry["environment"].items()}


def _version() -> str:
    image = YAML(typ="safe").load(COMPOSE.read_text())["services"]["open-webui"]["image"]
    return str(image).rsplit(":v", 1)[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OpenWebUI:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    def call(self, path: str, payload: Any = None, token: str | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(self.base + path, method="POST" if payload is not None else "GET")
        if payload is not None:
            request.data = json.dumps(payload).encode()
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def sign_up(self, name: str) -> tuple[int, Any]:
        user = {"name": name, "email": f"{name.lower()}@example.org", "password": "pw-of-a-user"}
        return self.call("/api/v1/auths/signup", user)

    def sign_in(self) -> str:
        """The administrator the generated environment makes at the first start."""
        login = {
            "email": _generated_environment(SECRET)["WEBUI_ADMIN_EMAIL"],
            "password": SECRET["WEBUI_ADMIN_PASSWORD"],
        }
        status, body = self.call("/api/v1/auths/signin", login)
        assert status == 200, body
        assert body["role"] == "admin", body
        return str(body["token"])


@contextmanager
def _running(data: Path, settings: Mapping[str, str]) -> Iterator[OpenWebUI]:
    """The real Open WebUI on `data`, with the generated environment read with `settings`."""
    venv = open_webui_venv(_version())
    if not (venv / ".complete").exists():
        missing(
            f"open-webui {_version()} is not installed in {venv} (scripts/install-open-webui installs it)"
        )
    port = _free_port()
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(data),
        **_generated_environment(settings),
        "DATA_DIR": str(data),
        "STATIC_DIR": str(data / "static"),
        "FRONTEND_BUILD_DIR": str(next((venv / "lib").glob("python3*/site-packages/open_webui/frontend"))),
    }
    log = (data / "server.log").open("ab")
    server = subprocess.Popen(
        [
            str(venv / "bin" / "python"),
            "-m",
            "uvicorn",
            "open_webui.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=environment,
        cwd=data,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    webui = OpenWebUI(port)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert server.poll() is None, (data / "server.log").read_text()[-3000:]
            try:
                if webui.call("/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (data / "server.log").read_text()[-3000:]
            time.sleep(0.5)
        yield webui
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _connections(webui: OpenWebUI, token: str) -> tuple[list[str], bool]:
    status, body = webui.call("/openai/config", token=token)
    assert status == 200, body
    return body["OPENAI_API_BASE_URLS"], body["ENABLE_OPENAI_API"]


def test_the_catalog_settings_hold_at_every_start(tmp_path: Path) -> None:
    """As generated: sign-up and the model servers follow the environment at every start."""
    assert _generated_environment({})["ENABLE_PERSISTENT_CONFIG"] == "false"
    with _running(tmp_path, SECRET) as webui:
        # the owner's administrator exists from the first start: the first visitor claims nothing
        assert webui.sign_up("Mallory")[0] == 403
        first = _connections(webui, webui.sign_in())
        assert first[1] is False and A_SERVER not in first[0]

    # the operator opens sign-up for a while and the catalog gains an OpenAI-compatible server
    later = {**SECRET, "ENABLE_SIGNUP": "true", "OPENAI_API_BASE_URLS": A_SERVER, "ENABLE_OPENAI_API": "true"}
    with _running(tmp_path, later) as webui:
        status, body = webui.sign_up("Bob")
        assert (status, body["role"]) == (200, "pending"), body
        assert _connections(webui, webui.sign_in()) == ([A_SERVER], True)

    # and closes it again: the environment says so, the database does not overrule it
    with _running(tmp_path, SECRET) as webui:
        assert webui.sign_up("Carol")[0] == 403
        assert _connections(webui, webui.sign_in()) == first


def test_with_persistent_settings_the_admin_panel_decides(tmp_path: Path) -> None:
    """The operator's other choice (ENABLE_PERSISTENT_CONFIG=true, Open WebUI's own default): the
    environment seeds the first start only; the admin panel's API changes what lasts."""
    persistent = {**SECRET, "ENABLE_PERSISTENT_CONFIG": "true"}
    with _running(tmp_path, persistent) as webui:
        assert webui.sign_up("Eve")[0] == 403
        first = _connections(webui, webui.sign_in())

    with _running(
        tmp_path, {**persistent, "ENABLE_SIGNUP": "true", "OPENAI_API_BASE_URLS": A_SERVER}
    ) as webui:
        assert webui.sign_up("Eve")[0] == 403  # the environment is not read any more
        token = webui.sign_in()
        assert _connections(webui, token) == first
        # what Admin Panel > Settings > General > "Enable New Sign Ups" sends
        status, config = webui.call("/api/v1/auths/admin/config", token=token)
        assert status == 200, config
        status, body = webui.call(
            "/api/v1/auths/admin/config", {**config, "ENABLE_SIGNUP": True}, token=token
        )
        assert status == 200, body
        assert webui.sign_up("Bob")[0] == 200

    with _running(tmp_path, persistent) as webui:
        assert webui.sign_up("Carol")[0] == 200  # the admin panel's choice outlives the restart
