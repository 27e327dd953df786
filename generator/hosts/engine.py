"""Connecting to the engine named by DOCKER_HOST (unix, tcp and ssh, as the docker SDK supports)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import urllib.parse
from typing import Any

from generator.errors import GenError


def connect() -> Any:
    import docker

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as error:
        where = engine_host()
        if not os.environ.get("DOCKER_HOST"):
            where += " (the Docker context's)" if where != LOCAL_SOCKET else " (DOCKER_HOST is not set)"
        reason = unreachable_reason(str(error))
        raise GenError(f"cannot reach the Docker Engine at {where}: {reason}") from error
    return client


LOCAL_SOCKET = "unix:///var/run/docker.sock"

# What the docker SDK's long error text means, for the person who has to fix it.
_REASONS = (
    ("FileNotFoundError", "no socket there: is the Docker Engine installed and running?"),
    ("PermissionError", "permission denied on the socket: run as root or as a member of the docker group"),
    ("Connection refused", "connection refused: is the Docker Engine running, and listening there?"),
    ("timed out", "no answer in time"),
    ("Name or service not known", "the host name is not known"),
)


def unreachable_reason(error: str) -> str:
    for fragment, reason in _REASONS:
        if fragment in error:
            return reason
    return error


def is_local() -> bool:
    """Whether the engine runs on this machine (its files and sockets can be checked here)."""
    return remote_host() is None


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(address: str) -> bool:
    return address in LOOPBACK_NAMES or address.startswith("127.")


def engine_host() -> str:
    """The engine's address as the docker SDK and Compose pick it: DOCKER_HOST, else the Docker
    context (DOCKER_CONTEXT, else the one `docker context use` chose), else the local socket."""
    host = os.environ.get("DOCKER_HOST")
    if host:
        return host
    import docker
    from docker.context import ContextAPI

    name = os.environ.get("DOCKER_CONTEXT")
    try:
        if name and ContextAPI.get_context(name) is None:
            # Compose refuses it too
            raise GenError(
                f"the Docker context '{name}' (DOCKER_CONTEXT) does not exist: `docker context ls`"
            )
        return str(ContextAPI.kwargs_from_context().get("base_url") or LOCAL_SOCKET)
    except (docker.errors.DockerException, OSError, ValueError):  # a broken context: as the SDK says
        return LOCAL_SOCKET


def remote_host() -> str | None:
    """The host name of a remote engine (tcp://nas:2376, ssh://admin@nas, tcp://[fd00::5]:2376),
    None for one on this machine (a socket, a pipe, a loopback address)."""
    url = urllib.parse.urlsplit(engine_host())
    if url.scheme not in ("tcp", "ssh", "http", "https"):
        return None  # unset, unix://, npipe://, fd://
    host = url.hostname or ""
    return None if not host or is_loopback(host) else host


def url_host(host: str) -> str:
    """A host name or address as it is written in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


@functools.cache
def compose_cli() -> tuple[tuple[str, ...], str] | None:
    """The Compose command that works here, `docker compose` (the plugin) before a docker-compose
    binary, with its version; None when neither does."""
    for command in (("docker", "compose"), ("docker-compose",)):
        if shutil.which(command[0]) is None:
            continue
        result = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30)
        if result.returncode == 0:
            return command, result.stdout.strip()
    return None


# Docker Engine 25 (API 1.44) checks a starting container's health every start_interval during its
# start_period; Compose refuses the key on older engines.
START_INTERVAL_API = (1, 44)


def supports_start_interval(api_version: str) -> bool:
    try:
        return tuple(int(part) for part in api_version.split(".")[:2]) >= START_INTERVAL_API
    except ValueError:
        return False
