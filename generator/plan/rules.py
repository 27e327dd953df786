"""Deployment rules: which services run in which variant of a stack, where each stack
variant's files go, the variables a stack reads from its env file (limits per host, secrets, the
ZFS altroot), where a dataset volume lives on the host and where a Swarm task may run. The plan
(`generator/plan/__init__.py`) applies them once; the host checks ask here for the names they
share with the files (labels, limit variables).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from generator.catalog.model import Accelerator, Catalog, Service, Stack, Volume
from generator.catalog.variables import ZFS_ALTROOT, limit_variables

LABEL_PREFIX = "ai-stack"
# beside each compose.yaml: the healthchecks' start_interval, for engines that have it (gen up)
START_INTERVAL_FILE = "compose.start-interval.yaml"
START_INTERVAL = "1s"

ZFS_ALTROOT_HELP = (
    "Prefix of every ZFS dataset mountpoint: empty on a normal host, the altroot when the pools "
    "are imported with `zpool import -R`."
)


@dataclass(frozen=True)
class Variable:
    """One variable of a stack's .env: its default, or that it is a secret to generate."""

    name: str
    default: str | None  # None for secrets and required variables
    secret: str | None  # how `gen secrets` generates it: hex, base64url, password
    secret_length: int
    description: str
    used_by: tuple[str, ...]
    label: str | None = None
    options: tuple[str, ...] = ()
    preset: bool = False


def compose_path(stack: Stack, variant: Accelerator) -> str:
    return f"stacks/{stack.id}/{variant}/compose.yaml"


def format_cpus(cpus: float) -> str:
    return str(int(cpus)) if cpus.is_integer() else str(cpus)


def env_variables(service: Service) -> list[Variable]:
    """The service's own environment variables."""
    return [
        Variable(
            name=env.name,
            default=env.value,
            secret=env.secret,
            secret_length=env.secret_length,
            description=env.description or "",
            used_by=(service.id,),
            label=env.label,
            options=env.options,
            preset=env.preset,
        )
        for env in service.env
    ]


def stack_variables(catalog: Catalog, services: Iterable[Service]) -> list[Variable]:
    """Every variable the services of one compose file read, in order, each once."""
    found: dict[str, Variable] = {}
    users: dict[str, list[str]] = {}  # variable -> every service that reads it

    def add(variable: Variable) -> None:
        known = users.get(variable.name)
        if known is None:
            found[variable.name] = variable
            users[variable.name] = [*variable.used_by]
        elif variable.used_by[0] not in known:
            known.append(variable.used_by[0])

    for service in services:
        cpus_name, memory_name = limit_variables(service)
        cpus, memory = format_cpus(service.limits.cpus), service.limits.memory
        used_by = (service.id,)
        cpu_help = f"CPU limit of {service.id} in cores (at most the host's)."
        add(Variable(cpus_name, cpus, None, 0, cpu_help, used_by, f"{service.title}: CPU limit"))
        memory_help = f"Memory limit of {service.id}."
        add(Variable(memory_name, memory, None, 0, memory_help, used_by, f"{service.title}: memory limit"))
        for variable in env_variables(service):
            add(variable)
        for volume in service.volumes:
            if volume.env_override:
                description = f"Host path mounted at {volume.target}. {volume.reason or ''}".strip()
                description += _without(volume.env_override, volume.if_missing)
                label = f"{service.title}: host path of {volume.target}"
                add(Variable(volume.env_override, volume.source, None, 0, description, used_by, label))
            elif volume.source_kind == "dataset":
                add(Variable(ZFS_ALTROOT, "", None, 0, ZFS_ALTROOT_HELP, used_by))
        for device in service.devices:
            if device.env_override:
                description = (
                    f"Host device passed as {device.path}.{_without(device.env_override, device.if_missing)}"
                )
                label = f"{service.title}: device {device.path}"
                add(Variable(device.env_override, device.path, None, 0, description, used_by, label))
    return [
        variable if len(users[name]) == 1 else replace(variable, used_by=tuple(users[name]))
        for name, variable in found.items()
    ]


def _without(variable: str, loss: str | None) -> str:
    return f" On a host without it, set {variable}={NOT_HERE}: {loss}" if loss else ""


NOT_HERE = "/dev/null"  # what an optional host path or device is set to on a host that lacks it


def dataset_path(catalog: Catalog, volume: Volume) -> str:
    """Where a dataset volume lives on the host: the mountpoint, or the subpath inside it."""
    mountpoint = catalog.datasets[volume.source].mountpoint.rstrip("/")
    return f"{mountpoint}/{volume.subpath}" if volume.subpath else mountpoint


# Swarm placement. Nodes carry labels the docs tell the operator to set; GPU nodes advertise their
# GPUs as generic resources in their daemon.json.
GPU_LABEL = f"{LABEL_PREFIX}.gpu"  # node label: nvidia on the nodes with NVIDIA GPUs
POOL_LABEL = f"{LABEL_PREFIX}.pool"  # node label: {POOL_LABEL}.<pool>=true where the pool is
GPU_RESOURCE = "NVIDIA-GPU"  # the generic resource GPU nodes advertise
DOCKER_SOCKET = "/var/run/docker.sock"

# The kernel options Docker's contrib/check-config.sh lists as "Optional (for encrypted networks)"
# (read in moby at commit 00148c88).
# Docker encrypts an overlay with IPsec ESP in transport mode, AEAD rfc4106(gcm(aes)); without
# these it still makes the network and starts the tasks, but nothing gets through between nodes
# (seen on a kernel without ESP: names resolve, connections time out).
ENCRYPTED_OVERLAY = (
    "CRYPTO",
    "CRYPTO_AEAD",
    "CRYPTO_GCM",
    "CRYPTO_SEQIV",
    "CRYPTO_GHASH",
    "XFRM",
    "XFRM_USER",
    "XFRM_ALGO",
    "INET_ESP",
    "NETFILTER_XT_MATCH_BPF",
)


def pools_of(catalog: Catalog, service: Service) -> list[str]:
    """The pools whose datasets the service mounts, sorted."""
    return sorted({catalog.datasets[v.source].pool for v in service.volumes if v.source_kind == "dataset"})


def swarm_gpus(service: Service, variant: Accelerator) -> int:
    """How many NVIDIA-GPU resources a Swarm task of the service reserves (Swarm counts GPUs: a
    service that asks Compose for all of them reserves one)."""
    nvidia = service.gpu.nvidia if service.gpu and variant == "nvidia" else None
    if nvidia is None or nvidia.shared:
        return 0
    if nvidia.device_ids:
        return len(nvidia.device_ids)
    return 1 if nvidia.count in ("all", None) else int(nvidia.count)


def swarm_constraints(catalog: Catalog, service: Service, variant: Accelerator) -> list[str]:
    """Where a Swarm task may run: GPU nodes, the nodes holding its pools, managers for the
    Docker socket, then the service's own constraints."""
    found = []
    if variant == "nvidia" and service.gpu and service.gpu.nvidia:
        found.append(f"node.labels.{GPU_LABEL} == nvidia")
    found += [f"node.labels.{POOL_LABEL}.{pool} == true" for pool in pools_of(catalog, service)]
    if any(v.source == DOCKER_SOCKET for v in service.volumes):
        found.append("node.role == manager")
    found += [c for c in service.swarm_constraints if c not in found]
    return found
