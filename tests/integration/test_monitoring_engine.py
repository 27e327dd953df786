"""The monitoring stack as generated, with the REAL Prometheus, node_exporter and blackbox
exporter inside it (Debian bookworm's builds: Prometheus 2.42, node_exporter 1.5, blackbox 0.23,
in images with the upstream images' paths and entrypoints, tests/real_images.py), scraping at
the catalog's addresses with the generated prometheus.yml, blackbox.yml and alert rules,
unmodified. cAdvisor and Portainer cannot be installed here: they are stand-ins that serve
/metrics and Portainer's /api/system/status (tests/standins.py)."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import compose, engine, prepared_host

pytestmark = [pytest.mark.docker, pytest.mark.promtool, pytest.mark.root]


def _api(address: str, path: str, **query: str) -> Any:
    url = f"http://{address}:9090/api/v1/{path}?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)["data"]


def _wait(check: Any, seconds: float, what: str) -> Any:
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last[0]:
                return last[1]
        except OSError as error:
            last = (False, repr(error))
        time.sleep(2)
    raise AssertionError(f"{what} after {seconds:.0f} s: {last}")


def _container(client: Any, service: str) -> Any:
    return client.containers.list(filters={"label": f"ai-stack.service={service}"})[0]


def test_real_prometheus_scrapes_every_target_and_probes_portainer(tmp_path: Path) -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    client = engine()
    env_files = prepared_host(client, catalog, tmp_path)
    stacks = ["management", "monitoring"]  # the probe checks Portainer, in the management stack
    files = {stack: str(ROOT / "dist" / "stacks" / stack / "cpu" / "compose.yaml") for stack in stacks}
    # a folder node_exporter's user (nobody) may reach, as a dataset's mountpoint is: not below
    # pytest's folders, which only root may enter
    late_mount = Path(tempfile.mkdtemp(prefix="gen-late-dataset-"))
    late_mount.chmod(0o755)
    try:
        _deploy_and_watch(client, catalog, files, env_files, stacks, late_mount)
    finally:
        late_mount.rmdir()


def _a_dataset_mounted_later_is_seen(node_exporter: Any, mountpoint: Path) -> None:
    """node-exporter binds the host root with rslave propagation (as node_exporter's README runs
    it): a file system the host mounts after it started (a ZFS dataset, here a 7 MiB tmpfs) is
    measured at its own size. A private bind would not see it at all."""
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=7m", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    assert mounted.returncode == 0, mounted.stderr  # the engine tests run as root
    try:

        def measured() -> tuple[bool, list[str]]:
            metrics = node_exporter.exec_run(
                ["wget", "-qO-", "http://localhost:9100/metrics"]
            ).output.decode()
            sizes = [
                line.rsplit(" ", 1)[1]
                for line in metrics.splitlines()
                if line.startswith("node_filesystem_size_bytes{") and f'mountpoint="{mountpoint}"' in line
            ]
            return [float(size) for size in sizes] == [7 * 2**20], sizes

        mounts = node_exporter.exec_run(["cat", "/proc/self/mounts"]).output.decode()
        inside = [line for line in mounts.splitlines() if str(mountpoint) in line]
        _wait(measured, 30, f"node-exporter does not measure {mountpoint}, mounted later: {inside}")
    finally:
        subprocess.run(["umount", str(mountpoint)], check=False)


def _deploy_and_watch(
    client: Any,
    catalog: Any,
    files: dict[str, str],
    env_files: dict[str, Path],
    stacks: list[str],
    late_mount: Path,
) -> None:
    prometheus = str(next(a.ipv4_address for a in catalog.services["prometheus"].networks))
    try:
        for stack in stacks:
            compose(
                "-f", files[stack], "up", "-d", "--wait", "--wait-timeout", "120", env_file=env_files[stack]
            )
        version = _container(client, "prometheus").exec_run(["/bin/prometheus", "--version"]).output
        assert b"prometheus, version" in version  # the real program, not a stand-in

        def targets() -> tuple[bool, dict[str, tuple[str, str]]]:
            active = _api(prometheus, "targets")["activeTargets"]
            health = {t["labels"]["job"]: (t["health"], t.get("lastError", "")) for t in active}
            return bool(health) and all(state == "up" for state, _ in health.values()), health

        # the generated scrape interval is 30 s: the first scrape of each target comes within it
        health = _wait(targets, 150, "targets not all up")
        assert set(health) == {
            "cadvisor", "node-exporter", "portainer-probe", "prometheus", "portainer", "alertmanager",
            "ollama", "open-webui", "continue-dev",  # probed through the proxy (its stack is not up here)
        }  # fmt: skip
        # the real Alertmanager, with the generated alertmanager.yml, is where Prometheus sends alerts
        version = _container(client, "alertmanager").exec_run(["/bin/alertmanager", "--version"]).output
        assert b"alertmanager, version" in version
        senders = _api(prometheus, "alertmanagers")["activeAlertmanagers"]
        address = next(a.ipv4_address for a in catalog.services["alertmanager"].networks)
        assert [s["url"] for s in senders] == [f"http://{address}:9093/api/v2/alerts"]

        def probe(expected: str) -> Any:
            def check() -> tuple[bool, Any]:
                result = _api(prometheus, "query", query='probe_success{job="portainer"}')["result"]
                return bool(result) and result[0]["value"][1] == expected, result

            return check

        _wait(probe("1"), 90, "the probe of Portainer did not succeed")
        status = _api(prometheus, "query", query='probe_http_status_code{job="portainer"}')["result"]
        assert status[0]["value"][1] == "200"  # the real blackbox exporter's HTTP probe
        # the series the host disk alerts read come from the real node_exporter
        assert _api(prometheus, "query", query="node_exporter_build_info")["result"]
        assert _api(prometheus, "query", query='node_filesystem_size_bytes{mountpoint="/"}')["result"]
        _a_dataset_mounted_later_is_seen(_container(client, "node-exporter"), late_mount)
        rules = _api(prometheus, "rules")["groups"]
        assert any(r["name"] == "PortainerDown" for g in rules for r in g["rules"])
        # Portainer stops: the real blackbox exporter reports the failed probe at the next scrape
        _container(client, "portainer").stop(timeout=5)
        _wait(probe("0"), 90, "the probe did not report Portainer down")
    finally:
        for stack in reversed(stacks):
            compose("-f", files[stack], "down", "--timeout", "5", env_file=env_files[stack], check=False)
