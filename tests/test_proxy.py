"""The reverse proxy's generated Caddyfile: checked by the real `caddy validate`, and routed as the
catalog says (login only where the application has none)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT
from tests.docker_env import missing

CADDYFILE = ROOT / "dist" / "stacks" / "edge" / "cpu" / "Caddyfile"


def _caddy() -> str:
    caddy = shutil.which("caddy")
    if caddy is None:
        missing("caddy (Debian package caddy) is not installed")
    assert caddy is not None
    return caddy


def test_caddy_validates_the_generated_caddyfile(tmp_path: Path) -> None:
    caddy = _caddy()
    hashed = subprocess.run(
        [caddy, "hash-password", "--plaintext", "correct horse"], capture_output=True, text=True, check=True
    ).stdout.strip()
    environment = {
        **os.environ,
        "PROXY_PASSWORD_HASH": hashed,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [caddy, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stderr + result.stdout

    broken = tmp_path / "Caddyfile"
    broken.write_text(CADDYFILE.read_text().replace("reverse_proxy", "reverse_prxy", 1))
    result = subprocess.run(
        [caddy, "validate", "--config", str(broken), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode != 0  # the check can fail


def test_login_only_where_the_application_has_none() -> None:
    sites: dict[str, list[str]] = {}
    current = None
    for line in CADDYFILE.read_text().splitlines():
        if line.endswith(" {") and not line.startswith(("(", "\t")):
            current = line.removesuffix(" {")
            sites[current] = []
        elif current and line.startswith("\t"):
            sites[current].append(line.strip())
        elif line == "}":
            current = None
    assert sites["ollama.ai.home.arpa"] == ["import login", "reverse_proxy ollama:11434"]
    assert sites["metrics.ai.home.arpa"] == ["import login", "reverse_proxy prometheus:9090"]
    assert sites["chat.ai.home.arpa"] == ["reverse_proxy open-webui:8080"]
    assert sites["code.ai.home.arpa"] == ["reverse_proxy continue-dev:8080"]
    assert sites["portainer.ai.home.arpa"] == ["reverse_proxy portainer:9000"]
    assert "admin {$PROXY_PASSWORD_HASH}" in CADDYFILE.read_text()  # a placeholder, never a hash
