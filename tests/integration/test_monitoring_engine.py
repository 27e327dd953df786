"""The real Prometheus scrapes the monitoring stack (stand-in exporters) at the catalog's addresses."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import compose, engine, missing, prepare_host, write_env_files
from tests.standins import build_standins, standin_images

pytestmark = pytest.mark.integration
FOLDER = ROOT / "dist" / "stacks" / "monitoring" / "cpu"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _targets(port: int) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5) as response:
        return list(json.load(response)["data"]["activeTargets"])


def test_prometheus_scrapes_every_target_up(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None:
        missing("prometheus (Debian package prometheus) is not installed")
    catalog = load_catalog(DEFAULT_CATALOG)
    client = engine()
    build_standins(client, standin_images(catalog))
    altroot = tmp_path / "altroot"
    prepare_host(catalog, altroot)
    env_files = write_env_files(catalog, tmp_path / "secrets", altroot)
    config = tmp_path / "prometheus.yml"  # the generated file, on this host: its rules path, a quick interval
    config.write_text(
        (FOLDER / "prometheus.yml")
        .read_text()
        .replace("/etc/prometheus/alert-rules.yml", str(FOLDER / "alert-rules.yml"))
        .replace("scrape_interval: 30s", "scrape_interval: 1s")
    )
    port = _free_port()
    stacks = ["management", "monitoring"]  # the probe checks Portainer, in the management stack
    prometheus = None
    try:
        for stack in stacks:
            stack_file = str(ROOT / "dist" / "stacks" / stack / "cpu" / "compose.yaml")
            compose(
                "-f", stack_file, "up", "-d", "--wait", "--wait-timeout", "120", env_file=env_files[stack]
            )
        prometheus = subprocess.Popen(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline, targets = time.monotonic() + 120, []  # 60 s was once too short on a busy host
        while time.monotonic() < deadline:
            try:
                targets = _targets(port)
                if targets and all(t["health"] == "up" for t in targets):
                    break
            except OSError:
                pass
            time.sleep(1)
        health = {t["labels"]["job"]: (t["health"], t.get("lastError", "")) for t in targets}
        expected = {"cadvisor", "node-exporter", "portainer-probe", "prometheus", "portainer"}
        assert set(health) == expected
        not_up = {job: state_error for job, state_error in health.items() if state_error[0] != "up"}
        assert not not_up, f"targets not up after 120 s: {not_up}"
    finally:
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(timeout=30)
        for stack in reversed(stacks):
            compose(
                "-f",
                str(ROOT / "dist" / "stacks" / stack / "cpu" / "compose.yaml"),
                "down",
                "--timeout",
                "5",
                env_file=env_files[stack],
                check=False,
            )
