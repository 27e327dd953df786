"""Every stack's cpu Swarm variant on a real single-node swarm (the firewalled engine, in its own
network namespace, put in swarm mode for this module): `docker stack deploy` converges, placement
and limits are what the catalog says, `docker stack rm` cleans up."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from generator.catalog import load_catalog
from generator.units import memory_bytes
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import effective_cpus, firewalled_engine, prepared_host

pytestmark = pytest.mark.integration
CATALOG = load_catalog(DEFAULT_CATALOG)
STACKS = sorted(CATALOG.stacks)
POOLS = sorted(CATALOG.pools)


def _docker(host: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {}), "DOCKER_HOST": host}
    return subprocess.run(["docker", *args], capture_output=True, text=True, env=environment, timeout=300)


def _variables(env_file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)


def _stack_services(client: docker.DockerClient, stack: str) -> list[Any]:
    return list(client.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}))


def _converged(client: docker.DockerClient, stack: str) -> bool:
    """Every service has its replicas running, and healthy where it has a healthcheck."""
    services = _stack_services(client, stack)
    if not services:
        return False
    for service in services:
        wanted = service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"]
        if service.attrs["Spec"]["TaskTemplate"].get("RestartPolicy", {}).get("Condition") == "none":
            # a one-shot job: converged once its task has run to completion
            if not any(t["Status"]["State"] == "complete" for t in service.tasks()):
                return False
            continue
        running = [
            t
            for t in service.tasks(filters={"desired-state": "running"})
            if t["Status"]["State"] == "running"
        ]
        if len(running) != wanted:
            return False
        for task in running:
            container = client.containers.get(task["Status"]["ContainerStatus"]["ContainerID"])
            health = container.attrs["State"].get("Health")
            if health and health["Status"] != "healthy":
                return False
    return True


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client = firewalled_engine()
    host = os.environ.get("GEN_TEST_FW_DOCKER_HOST", "unix:///tmp/gen-docker-fw/docker.sock")
    joined_here = client.info()["Swarm"]["LocalNodeState"] != "active"
    if joined_here:
        client.swarm.init(advertise_addr="127.0.0.1")
    node = client.nodes.list()[0]
    spec = node.attrs["Spec"]
    spec["Labels"] = {**spec.get("Labels", {}), **{f"ai-stack.pool.{pool}": "true" for pool in POOLS}}
    node.update(spec)
    env_files = prepared_host(client, CATALOG, tmp_path_factory.mktemp("swarm"))
    networks = _docker(host, "network", "ls", "-q", "--filter", "driver=overlay").stdout.split()
    try:
        result = subprocess.run(
            ["sh", str(ROOT / "dist/scripts/swarm-networks.sh")], capture_output=True, text=True,
            env={**os.environ, "DOCKER_HOST": host}, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        yield {"client": client, "host": host, "env": env_files}
    finally:
        for stack in STACKS:
            _docker(host, "stack", "rm", stack)
        time.sleep(10)
        for network in _docker(host, "network", "ls", "-q", "--filter", "driver=overlay").stdout.split():
            if network not in networks:
                _docker(host, "network", "rm", network)
        if joined_here:
            client.swarm.leave(force=True)


def test_every_stack_converges_with_its_placement_and_limits_and_is_removed(swarm: dict[str, Any]) -> None:
    client, host = swarm["client"], swarm["host"]
    for stack in STACKS:
        file = ROOT / f"dist/stacks/{stack}/cpu/swarm.yaml"
        result = _docker(
            host, "stack", "deploy", "--resolve-image", "never", "-c", str(file), stack,
            env=_variables(swarm["env"][stack]),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 240
    while not all(_converged(client, stack) for stack in STACKS):
        assert time.monotonic() < deadline, {s: _converged(client, s) for s in STACKS}
        time.sleep(3)

    ollama = client.services.get("ai_ollama").attrs["Spec"]["TaskTemplate"]
    assert ollama["Placement"]["Constraints"] == [
        "node.labels.ai-stack.pool.service-pool == true",
        "node.labels.ai-stack.pool.staging-pool == true",
    ]
    limits = ollama["Resources"]["Limits"]
    assert limits["NanoCPUs"] == int(effective_cpus(CATALOG, "ollama") * 1e9)
    assert limits["MemoryBytes"] == memory_bytes(CATALOG.services["ollama"].limits.memory)
    portainer = client.services.get("management_portainer").attrs["Spec"]["TaskTemplate"]
    assert "node.role == manager" in portainer["Placement"]["Constraints"]
    assert client.services.get("ai_ollama").attrs["Spec"]["UpdateConfig"]["FailureAction"] == "rollback"

    for stack in STACKS:
        assert _docker(host, "stack", "rm", stack).returncode == 0
    deadline = time.monotonic() + 120
    while client.containers.list(all=True, filters={"label": "com.docker.stack.namespace"}):
        assert time.monotonic() < deadline, "stack rm left containers behind"
        time.sleep(2)
    assert not [s for stack in STACKS for s in _stack_services(client, stack)]
