"""`gen verify` on the real Docker Engine (stand-in images) and zfs-fuse: numbers, not claims."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.catalog.schema import schema_validator
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen
from tests.docker_env import compose_binary, docker_host, engine, prepared_host
from tests.zfs_env import pools, unique_name, zfs_available

pytestmark = [pytest.mark.docker, pytest.mark.zfs]
CATALOG = load_catalog(DEFAULT_CATALOG)
PROBE = "gen-test/probe:1"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client = engine()
    root = tmp_path_factory.mktemp("verify")
    env_files = prepared_host(client, CATALOG, root, {PROBE: []})  # no ports: the probe sleeps
    yield {"client": client, "env": env_files, "root": root}


@pytest.fixture(autouse=True)
def engine_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host())


# The measured stack is the edge stack (the real Caddy, healthy after its first healthcheck at
# 10 s): what is under test is how gen verify measures, and the AI stack, with the real Open WebUI,
# takes a minute per start in this test engine (its storage driver copies the whole image).
STACK = "edge"


def _verify(host: dict[str, Any], *args: str) -> tuple[int, dict[str, Any]]:
    result = run_gen(
        "verify", "--stack", STACK, "--format", "json", "--compose", compose_binary(),
        "--env-file", str(host["env"][STACK]), "--probe-image", PROBE, *args,
    )  # fmt: skip
    report = json.loads(result.stdout)
    errors = list(schema_validator("verify-report.schema.json").iter_errors(report))
    assert not errors, errors
    return result.exit_code, {b["id"]: b for b in report["baselines"]} | {"_report": report}


def test_start_network_and_zfs_baselines_are_measured_gpu_and_model_are_skipped(
    host: dict[str, Any], tmp_path: Path
) -> None:
    zfs_available()
    pool = unique_name("verify")
    markdown = tmp_path / "measured.md"
    with pools(tmp_path, [pool]):
        code, baselines = _verify(
            host, "--runs", "2", "--dataset", "ai-temp", "--zfs-pool", pool,
            "--target", "container_start=300", "--markdown", str(markdown),
        )  # fmt: skip
        left = [name for name in os.popen(f"zfs list -H -o name -r {pool}").read().split() if name != pool]
    assert code == 0, baselines
    for baseline in ("container_start", "network_attach", "zfs_dataset"):
        measured = baselines[baseline]
        assert measured["status"] == "passed", measured
        assert len(measured["runs_s"]) == 2 and all(run > 0 for run in measured["runs_s"])
        assert min(measured["runs_s"]) <= measured["median_s"] <= max(measured["runs_s"])
    assert baselines["container_start"]["target_s"] == 300
    assert baselines["network_attach"]["target_s"] == 1
    assert baselines["gpu_init"]["status"] == "skipped"
    assert baselines["gpu_init"]["reason"] == "no NVIDIA driver on this host (nvidia-smi not found)"
    assert baselines["model_load"]["status"] == "skipped"
    assert "pass --model" in baselines["model_load"]["reason"]
    assert left == []  # the scratch datasets are destroyed
    host_facts = baselines["_report"]["host"]
    assert "zfs-fuse" in host_facts["zfs"] and "pool version" in host_facts["zfs"]
    assert host_facts["docker"].startswith("20.") or host_facts["docker"][0].isdigit()
    page = markdown.read_text()
    assert "# Measured on this host" in page
    assert "| Stack start to all healthy | < 300 s |" in page
    assert "skipped: no NVIDIA driver on this host" in page
    # nothing of the scratch deployment is left behind
    client = host["client"]
    assert (
        client.containers.list(all=True, filters={"label": f"com.docker.compose.project=gen-verify-{STACK}"})
        == []
    )
    assert client.containers.list(all=True, filters={"label": "ai-stack.verify=probe"}) == []


def test_a_missed_target_is_reported_as_failed_and_exits_1(host: dict[str, Any]) -> None:
    # Caddy turns healthy after its first healthcheck (10 s interval): a 1 s target cannot be met.
    code, baselines = _verify(
        host, "--runs", "1", "--only", "container_start", "--target", "container_start=1"
    )
    assert code == 1
    start = baselines["container_start"]
    assert start["status"] == "failed" and start["median_s"] > 1, start
    assert baselines["_report"]["ok"] is False and baselines["_report"]["summary"]["failed"] == 1
    assert baselines["zfs_dataset"] == {
        **baselines["zfs_dataset"],
        "status": "skipped",
        "reason": "not asked for (--only)",
    }


def test_the_generated_script_measures_the_same_without_python(host: dict[str, Any], tmp_path: Path) -> None:
    """dist/scripts/verify-baselines.sh: the same baselines and JSON report, for hosts without Python."""
    zfs_available()
    pool = unique_name("verify-sh")
    script = ROOT / "dist" / "scripts" / "verify-baselines.sh"
    with pools(tmp_path, [pool]):
        result = subprocess.run(
            [
                "sh", str(script), "--json", "--stack", STACK, "--runs", "2", "--compose", compose_binary(),
                "--env-file", str(host["env"][STACK]), "--probe-image", PROBE, "--dataset", "ai-temp",
                "--zfs-pool", pool, "--target", "container_start=300",
            ],
            capture_output=True, text=True, env={**os.environ, "DOCKER_HOST": docker_host()}, timeout=600,
        )  # fmt: skip
        left = [name for name in os.popen(f"zfs list -H -o name -r {pool}").read().split() if name != pool]
    assert result.returncode == 0, result.stderr + result.stdout
    report = json.loads(result.stdout)
    assert not list(schema_validator("verify-report.schema.json").iter_errors(report))
    baselines = {b["id"]: b for b in report["baselines"]}
    for baseline in ("container_start", "network_attach", "zfs_dataset"):
        assert baselines[baseline]["status"] == "passed", baselines[baseline]
        assert len(baselines[baseline]["runs_s"]) == 2
    assert baselines["gpu_init"]["reason"] == "no NVIDIA driver on this host (nvidia-smi not found)"
    assert baselines["model_load"]["status"] == "skipped"
    assert left == []
    assert host["client"].containers.list(all=True, filters={"label": "ai-stack.verify=probe"}) == []

    # a lowered target is missed: reported as failed, exit code 1
    missed = subprocess.run(
        ["sh", str(script), "--only", "network_attach", "--probe-image", PROBE,
         "--target", "network_attach=0.000001"],
        capture_output=True, text=True, env={**os.environ, "DOCKER_HOST": docker_host()}, timeout=300,
    )  # fmt: skip
    assert missed.returncode == 1, missed.stdout + missed.stderr
    assert "network_attach   < 0.000001 s" in missed.stdout and " failed " in missed.stdout
