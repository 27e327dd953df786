"""CPU and memory limits, each service's (the env file's per-host value first), against the cores
and memory the engine reports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.catalog.model import Service
from generator.catalog.variables import limit_variables
from generator.envfile import setting
from generator.hosts.report import Check
from generator.units import docker_bytes, human_bytes

DOCKER_MIN_MEMORY = 6 * 2**20  # moby: "Minimum memory limit allowed is 6MB"


def cpu_limits(client: Any, services: list[Service], settings: dict[str, str]) -> Iterator[Check]:
    """Docker refuses a CPU limit above the host's cores, and then the whole `up` fails."""
    cores = client.info().get("NCPU")
    if not isinstance(cores, int) or cores < 1:
        yield Check("cpu limits", "warn", "the engine did not say how many CPUs it has")
        return
    all_fit = True
    for service in services:
        variable = limit_variables(service)[0]
        try:
            cpus = float(setting(settings, variable, str(service.limits.cpus)))
        except ValueError:
            cpus = service.limits.cpus
        if cpus > cores:
            all_fit = False
            yield Check(
                f"cpu limit {service.id}",
                "fail",
                f"{cpus:g} CPUs, the host has {cores}: Docker refuses the container",
                f"set {variable}={cores} in the stack's env file (and pass it with --env-file)",
            )
    if all_fit:
        yield Check("cpu limits", "ok", f"every limit fits the host's {cores} CPUs")


def memory_limits(client: Any, services: list[Service], settings: dict[str, str]) -> Iterator[Check]:
    """A memory limit above the host's memory limits nothing (Docker takes it as it is), and a
    program that sizes itself by its limit, as Ollama does, plans with memory that is not there."""
    total = client.info().get("MemTotal")
    if not isinstance(total, int) or total < 1:
        yield Check("memory limits", "warn", "the engine did not say how much memory it has")
        return
    host = human_bytes(total)
    limits = 0
    all_fit = True
    for service in services:
        variable = limit_variables(service)[1]
        text = setting(settings, variable, service.limits.memory)
        size = docker_bytes(text)
        if size is None or 0 < size < DOCKER_MIN_MEMORY:
            all_fit = False
            yield Check(
                f"memory limit {service.id}",
                "fail",
                f"{variable}={text}: Docker refuses it",
                "a size such as 512m or 4g, at least 6m (0 is no limit)",
            )
            continue
        if size == 0:
            yield Check(f"memory limit {service.id}", "warn", f"{variable}=0: no limit at all")
            continue
        limits += size
        if size > total:
            all_fit = False
            message = f"{text}, the host has {host}: the limit protects nothing"
            yield Check(
                f"memory limit {service.id}",
                "fail",
                f"{message}, and {service.id} may plan with memory that is not there",
                f"set {variable}={total * 3 // 4 // 2**20}m (or less) in the stack's env file",
            )
    together = human_bytes(limits)
    if all_fit and limits > total:
        message = (
            f"each fits the host's {host}; together they reach {together}: busy at once, they can exhaust it"
        )
        yield Check("memory limits", "warn", message)
    elif all_fit:
        yield Check("memory limits", "ok", f"every limit fits the host's {host} (together {together})")
