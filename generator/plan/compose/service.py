"""One service of a compose file: image per variant, limits, GPU, health, security, labels."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.catalog.model import Accelerator, Catalog, EnvVar, Service, Stack
from generator.catalog.variables import limit_variables
from generator.plan.compose.generated import service_configs
from generator.plan.compose.networks import service_networks
from generator.plan.compose.references import path_reference, reference
from generator.plan.compose.volumes import service_volumes
from generator.plan.publish import templates_url
from generator.plan.rules import LABEL_PREFIX, format_cpus


def labels(stack: Stack, service: Service, variant: Accelerator) -> dict[str, str]:
    """The labels that tie a container to the catalog (used by `gen drift`)."""
    return {
        f"{LABEL_PREFIX}.stack": stack.id,
        f"{LABEL_PREFIX}.service": service.id,
        f"{LABEL_PREFIX}.variant": variant,
    }


def secret_key(env: EnvVar) -> str:
    """The name of the Compose secret that carries a variable as a file (one per variable: the
    stack's env file has one value for each)."""
    return env.name.lower().replace("_", "-")


def file_secrets(services: Iterable[Service]) -> dict[str, Any]:
    """The top-level `secrets:` of a compose file: each made from its variable (Compose 2.6.1 and
    later read it from the env file and copy it into the container before it starts)."""
    return {secret_key(env): {"environment": env.name} for s in services for env in s.env if env.file}


def compose_entry(catalog: Catalog, stack: Stack, service: Service, variant: Accelerator) -> dict[str, Any]:
    entry: dict[str, Any] = {"image": service.image_for(variant)}
    if service.entrypoint:
        entry["entrypoint"] = [literal(arg) for arg in service.entrypoint]
    command = list(service.command)
    if service.serves_templates and catalog.publish:
        command += ["--templates", templates_url(catalog.publish)]
    for env in service.env:
        if env.file and env.file_flag:
            command += [env.file_flag, env.file]
    if command:
        entry["command"] = [literal(arg) for arg in command]
    if service.user:
        entry["user"] = f"{service.user.uid}:{service.user.gid}"
    entry["restart"] = service.restart
    if service.interactive:
        entry["stdin_open"] = True
        entry["tty"] = True
    environment = {env.name: reference(env) for env in service.env if not env.file}
    if environment:
        entry["environment"] = environment
    files = [{"source": secret_key(env), "target": env.file} for env in service.env if env.file]
    if files:
        entry["secrets"] = files
    published = [p for p in service.ports if p.host is not None]
    if published:
        entry["ports"] = [
            f"{p.host_ip + ':' if p.host_ip else ''}{p.host}:{p.container}/{p.protocol}" for p in published
        ]
    private = [p for p in service.ports if p.host is None]
    if private:
        entry["expose"] = [f"{p.container}/{p.protocol}" for p in private]
    if service.networks:
        entry["networks"] = service_networks(service)
    volumes = service_volumes(catalog, service)
    if volumes:
        entry["volumes"] = volumes
    configs = service_configs(service)
    if configs:
        entry["configs"] = configs
    entry.update(_devices(service, variant))
    entry["deploy"] = {"resources": _resources(service, variant)}
    if service.healthcheck:
        entry["healthcheck"] = healthcheck_entry(service)
    if service.depends_on:
        entry["depends_on"] = {d.service: {"condition": d.condition} for d in service.depends_on}
    entry["labels"] = labels(stack, service, variant)
    entry.update(_security(service))
    return entry


def _devices(service: Service, variant: Accelerator) -> dict[str, Any]:
    devices = [
        f"{path_reference(d.env_override, d.path) if d.env_override else d.path}:{d.path}"
        for d in service.devices
    ]
    extra: dict[str, Any] = {}
    amd = service.gpu.amd if service.gpu else None
    if variant == "amd" and amd:
        devices += [f"{d}:{d}" for d in amd.devices]
        if amd.group_add:
            extra["group_add"] = [str(gid) for gid in amd.group_add]
    return ({"devices": devices} if devices else {}) | extra


def _resources(service: Service, variant: Accelerator) -> dict[str, Any]:
    cpus_name, memory_name = limit_variables(service)
    limits = {
        "cpus": path_reference(cpus_name, format_cpus(service.limits.cpus)),
        "memory": path_reference(memory_name, service.limits.memory),
    }
    resources: dict[str, Any] = {"limits": limits}
    reservations: dict[str, Any] = {
        key: _number(value) if key == "cpus" else value for key, value in service.reservations.items()
    }
    nvidia = service.gpu.nvidia if service.gpu else None
    if variant == "nvidia" and nvidia:
        # Explicit count or device_ids: Docker 27.3+ gives no GPU to a request with neither,
        # and Portainer's bundled Compose (2.29) lacks the `gpus:` key.
        device: dict[str, Any] = {"driver": "nvidia"}
        if nvidia.device_ids:
            device["device_ids"] = list(nvidia.device_ids)
        else:
            device["count"] = nvidia.count
        device["capabilities"] = list(nvidia.capabilities)
        reservations["devices"] = [device]
    if reservations:
        resources["reservations"] = reservations
    return resources


def literal(text: str) -> str:
    """Catalog text is literal: double `$` so Compose does not interpolate it."""
    return text.replace("$", "$$")


def _number(value: float | str) -> float | int | str:
    """8.0 -> 8, so the file reads as written in the catalog."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def healthcheck_entry(service: Service) -> dict[str, Any]:
    check = service.healthcheck
    assert check is not None
    health: dict[str, Any] = {
        "test": [literal(word) for word in check.test],
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "start_period": check.start_period,
    }
    if check.start_interval:
        health["start_interval"] = check.start_interval
    return health


def _security(service: Service) -> dict[str, Any]:
    security = service.security
    entry: dict[str, Any] = {}
    if security.no_new_privileges:
        entry["security_opt"] = ["no-new-privileges:true"]
    if security.privileged:
        entry["privileged"] = True
    if security.pid_host:
        entry["pid"] = "host"
    if security.read_only_rootfs:
        entry["read_only"] = True
    if security.cap_add:
        entry["cap_add"] = list(security.cap_add)
    if security.cap_drop:
        entry["cap_drop"] = list(security.cap_drop)
    return entry
