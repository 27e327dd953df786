"""Every stack's cpu Swarm variant on a real single-node swarm (the firewalled engine, in its own
network namespace, put in swarm mode for this module): `docker stack deploy` converges, placement
and limits are what the catalog says, `docker stack rm` cleans up."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG
from tests.docker_env import effective_cpus, effective_memory, firewalled_engine, prepared_host
from tests.swarm_env import deploy, docker_cli, networks_script, stack_services, wait_until_converged

pytestmark = [pytest.mark.docker]
CATALOG = load_catalog(DEFAULT_CATALOG)
STACKS = sorted(CATALOG.stacks)
POOLS = sorted(CATALOG.pools)


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
    networks = docker_cli(host, "network", "ls", "-q", "--filter", "driver=overlay").stdout.split()
    try:
        result = networks_script(host)
        assert result.returncode == 0, result.stderr
        yield {"client": client, "host": host, "env": env_files}
    finally:
        for stack in STACKS:
            docker_cli(host, "stack", "rm", stack)
        time.sleep(10)
        for network in docker_cli(host, "network", "ls", "-q", "--filter", "driver=overlay").stdout.split():
            if network not in networks:
                docker_cli(host, "network", "rm", network)
        if joined_here:
            client.swarm.leave(force=True)


def test_every_stack_converges_with_its_placement_and_limits_and_is_removed(swarm: dict[str, Any]) -> None:
    client, host = swarm["client"], swarm["host"]
    for stack in STACKS:
        deploy(host, stack, "cpu", swarm["env"][stack])
    wait_until_converged(client, STACKS, {client.info()["Swarm"]["NodeID"]: client}, 240)

    ollama = client.services.get("ai_ollama").attrs["Spec"]["TaskTemplate"]
    assert ollama["Placement"]["Constraints"] == [
        "node.labels.ai-stack.pool.service-pool == true",
        "node.labels.ai-stack.pool.staging-pool == true",
    ]
    limits = ollama["Resources"]["Limits"]
    assert limits["NanoCPUs"] == int(effective_cpus(CATALOG, "ollama") * 1e9)
    assert limits["MemoryBytes"] == effective_memory(CATALOG, "ollama")
    portainer = client.services.get("management_portainer").attrs["Spec"]["TaskTemplate"]
    assert "node.role == manager" in portainer["Placement"]["Constraints"]
    assert client.services.get("ai_ollama").attrs["Spec"]["UpdateConfig"]["FailureAction"] == "rollback"

    for stack in STACKS:
        assert docker_cli(host, "stack", "rm", stack).returncode == 0
    deadline = time.monotonic() + 120
    while client.containers.list(all=True, filters={"label": "com.docker.stack.namespace"}, sparse=True):
        assert time.monotonic() < deadline, "stack rm left containers behind"
        time.sleep(2)
    assert not [s for stack in STACKS for s in stack_services(client, stack)]
