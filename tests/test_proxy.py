"""The reverse proxy's generated Caddyfile: checked by the real `caddy validate`, and routed as the
catalog says (login only where the application has none)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.components import missing
from tests.conftest import ROOT

CADDYFILE = ROOT / "dist" / "stacks" / "edge" / "cpu" / "Caddyfile"


def _caddy() -> str:
    caddy = shutil.which("caddy")
    if caddy is None:
        missing("caddy (Debian package caddy) is not installed")
    assert caddy is not None
    return caddy


def _environment(tmp_path: Path) -> dict[str, str]:
    """What the proxy's entrypoint sets: a real bcrypt hash of a password; Caddy's data in tmp."""
    hashed = subprocess.run(
        [_caddy(), "hash-password", "--plaintext", "correct horse"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return {
        **os.environ,
        "PROXY_PASSWORD_HASH": hashed,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }


@pytest.mark.caddy
def test_caddy_validates_the_generated_caddyfile(tmp_path: Path) -> None:
    caddy = _caddy()
    environment = _environment(tmp_path)
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
    assert '"admin" {$PROXY_PASSWORD_HASH}' in CADDYFILE.read_text()  # a placeholder, never a hash


@pytest.mark.caddy
def test_acme_replaces_the_local_ca_when_the_catalog_asks(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    from generator.catalog import load_catalog
    from generator.render.proxy import caddyfile

    catalog_dir = catalog_copy(ROOT / "catalog")
    caddy = catalog_dir / "services" / "caddy.yaml"
    caddy.write_text(
        caddy.read_text().replace("  tls: internal\n", "  tls: acme\n  acme_email: ops@example.org\n")
    )
    text = caddyfile(load_catalog(catalog_dir), "cpu")
    assert '\temail "ops@example.org"\n' in text and "local_certs" not in text
    config = tmp_path / "Caddyfile.acme"
    config.write_text(text)
    environment = _environment(tmp_path)
    result = subprocess.run(
        [_caddy(), "validate", "--config", str(config), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
