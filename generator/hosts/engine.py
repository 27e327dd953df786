"""Connecting to the engine named by DOCKER_HOST (unix, tcp and ssh, as the docker SDK supports)."""

from __future__ import annotations

import os
from typing import Any

from generator.errors import GenError


def connect() -> Any:
    import docker

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as error:
        where = os.environ.get("DOCKER_HOST", "the local socket")
        raise GenError(f"cannot reach the Docker Engine at {where}: {error}") from error
    return client


def is_local() -> bool:
    """Whether the engine runs on this machine (its files and sockets can be checked here)."""
    host = os.environ.get("DOCKER_HOST", "")
    return host == "" or host.startswith("unix://")
