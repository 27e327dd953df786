"""Deploying the Swarm variants on the test swarms (the single-node one and the three-node cluster)
and waiting for them."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import docker

from tests.conftest import ROOT

STACK_LABEL = "com.docker.stack.namespace"


def docker_cli(host: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {}), "DOCKER_HOST": host}
    return subprocess.run(["docker", *args], capture_output=True, text=True, env=environment, timeout=300)


def variables(env_file: Path) -> dict[str, str]:
    """An env file's assignments: `docker stack deploy` reads variables from its environment."""
    return dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)


def deploy(host: str, stack: str, variant: str, env_file: Path) -> None:
    file = ROOT / f"dist/stacks/{stack}/{variant}/swarm.yaml"
    result = docker_cli(
        host, "stack", "deploy", "--resolve-image", "never", "-c", str(file), stack, env=variables(env_file)
    )
    assert result.returncode == 0, result.stderr


def networks_script(host: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ROOT / "dist/scripts/swarm-networks.sh"), *args],
        capture_output=True, text=True, env={**os.environ, "DOCKER_HOST": host}, check=False,
    )  # fmt: skip


def stack_services(client: docker.DockerClient, stack: str) -> list[Any]:
    return list(client.services.list(filters={"label": f"{STACK_LABEL}={stack}"}))


def running_tasks(service: Any) -> list[dict[str, Any]]:
    return [
        t for t in service.tasks(filters={"desired-state": "running"}) if t["Status"]["State"] == "running"
    ]


def converged(manager: docker.DockerClient, stack: str, engines: Mapping[str, docker.DockerClient]) -> bool:
    """Every service has its replicas running, and healthy where it has a healthcheck (asked of
    the engine of the node each task runs on: `engines` maps node ids to clients)."""
    services = stack_services(manager, stack)
    if not services:
        return False
    for service in services:
        mode = service.attrs["Spec"]["Mode"]
        # a global service: a task on each node its placement allows, so at least one
        wanted = mode["Replicated"]["Replicas"] if "Replicated" in mode else None
        if service.attrs["Spec"]["TaskTemplate"].get("RestartPolicy", {}).get("Condition") == "none":
            # a one-shot job: converged once its task has run to completion
            if not any(t["Status"]["State"] == "complete" for t in service.tasks()):
                return False
            continue
        running = running_tasks(service)
        scheduled = service.tasks(filters={"desired-state": "running"})
        if len(running) != (wanted if wanted is not None else max(len(scheduled), 1)):
            return False
        for task in running:
            container_id = task["Status"]["ContainerStatus"]["ContainerID"]
            try:
                health = engines[task["NodeID"]].containers.get(container_id).attrs["State"].get("Health")
            except docker.errors.NotFound:  # the task is being replaced (an update under way)
                return False
            if health and health["Status"] != "healthy":
                return False
    return True


def wait_until_converged(
    manager: docker.DockerClient, stacks: list[str], engines: Mapping[str, docker.DockerClient], seconds: int
) -> None:
    deadline = time.monotonic() + seconds
    while not all(converged(manager, stack, engines) for stack in stacks):
        if time.monotonic() > deadline:
            waiting = [s for s in stacks if not converged(manager, s, engines)]
            raise AssertionError(f"not converged: {waiting}; tasks: {task_states(manager, waiting)}")
        time.sleep(3)


def task_states(manager: docker.DockerClient, stacks: list[str]) -> dict[str, list[str]]:
    """Each service's latest tasks: state and error, what to look at when a deploy hangs."""
    return {
        service.name: [f"{t['Status']['State']}: {t['Status'].get('Err', '')}" for t in service.tasks()][-3:]
        for stack in stacks
        for service in stack_services(manager, stack)
    }
