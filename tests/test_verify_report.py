"""`gen verify` where nothing can be measured: every baseline skipped, with its reason, exit 0."""

from __future__ import annotations

import json

import pytest

from generator.catalog.schema import schema_validator
from tests.conftest import run_gen


def test_without_an_engine_everything_is_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("PATH", "/nonexistent")  # no zfs, no nvidia-smi, no docker CLI
    result = run_gen("verify", "--stack", "ai", "--format", "json", "--env-file", "catalog/publish.yaml")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert not list(schema_validator("verify-report.schema.json").iter_errors(report))
    reasons = {b["id"]: (b["status"], b["reason"]) for b in report["baselines"]}
    assert reasons["container_start"][0] == "skipped"
    assert reasons["container_start"][1].startswith("no Docker Engine reachable")
    assert reasons["network_attach"][1].startswith("no Docker Engine reachable")
    assert reasons["zfs_dataset"] == ("skipped", "no ZFS on this host (the zfs command is not installed)")
    assert reasons["gpu_init"] == ("skipped", "no NVIDIA driver on this host (nvidia-smi not found)")
    assert reasons["model_load"][0] == "skipped"
    assert report["summary"] == {"passed": 0, "failed": 0, "skipped": 5}
    assert report["host"]["docker"] == "not reachable"


def test_unknown_baselines_and_variants_are_refused() -> None:
    result = run_gen("verify", "--stack", "monitoring", "--variant", "amd")
    assert result.exit_code == 2
    assert "stack 'monitoring' has no amd variant; it has cpu" in result.stderr
    result = run_gen("verify", "--target", "boot=3")
    assert result.exit_code == 2
    assert "unknown baseline boot; baselines: container_start, network_attach" in result.stderr
    result = run_gen("verify", "--target", "container_start=fast")
    assert result.exit_code == 2
    assert "--target container_start=fast: expected BASELINE=SECONDS" in result.stderr
