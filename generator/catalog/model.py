"""The typed catalog that renderers consume: frozen dataclasses, defaults applied, no YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Literal

Accelerator = Literal["cpu", "nvidia", "amd"]
ACCELERATORS: tuple[Accelerator, ...] = ("cpu", "nvidia", "amd")
SWARM_ACCELERATORS: tuple[Accelerator, ...] = ("cpu", "nvidia")  # Swarm services get no devices: no amd


@dataclass(frozen=True)
class Network:
    id: str
    title: str
    description: str
    type: Literal["bridge", "lan"]
    name: str
    subnet: IPv4Network
    gateway: IPv4Address | None
    internal: bool
    isolate_from: tuple[str, ...] = ()
    encrypted: bool = False  # the Swarm overlay network


@dataclass(frozen=True)
class Pool:
    id: str
    title: str
    description: str
    media: str | None
    capacity: str | None


@dataclass(frozen=True)
class StorageClass:
    id: str
    title: str
    description: str
    properties: Mapping[str, str]


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    description: str
    pool: str
    name: str
    storage_class: str
    mountpoint: str
    owner: Owner
    mode: str | None
    space: Mapping[str, str]  # quota, refquota, reservation, refreservation as given
    capacity_note: str | None

    @property
    def full_name(self) -> str:
        return f"{self.pool}/{self.name}"


@dataclass(frozen=True)
class GpuGeneration:
    id: str
    title: str
    description: str
    vendor: str
    compute_capabilities: tuple[str, ...]
    examples: tuple[str, ...]
    min_driver: str
    kernel_modules: str
    source: str | None
    last_driver_branch: str | None = None  # NVIDIA's last branch for it, e.g. "580"


@dataclass(frozen=True)
class PortainerRole:
    user_role: Literal["administrator", "standard"]
    team: str | None
    environment_access: bool
    stacks: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    description: str
    portainer: PortainerRole
    gap: str | None


@dataclass(frozen=True)
class Publish:
    site_url: str
    repository_url: str
    branch: str
    artifacts_path: str


@dataclass(frozen=True)
class NvidiaGpu:
    image: str | None
    count: int | Literal["all"] | None
    device_ids: tuple[str, ...]
    capabilities: tuple[str, ...]
    min_driver: str | None
    memory: str | None = None  # GPU memory it can count on, in Docker's units
    shared: bool = False  # watches the GPUs (an exporter): Swarm reserves none for it


@dataclass(frozen=True)
class AmdGpu:
    image: str | None
    devices: tuple[str, ...]
    group_add: tuple[int, ...]


@dataclass(frozen=True)
class Gpu:
    nvidia: NvidiaGpu | None
    amd: AmdGpu | None
    cpu_fallback: bool
    fallback_note: str | None


@dataclass(frozen=True)
class Port:
    name: str
    container: int
    host: int | None
    host_ip: str | None
    protocol: Literal["tcp", "udp"]
    description: str | None
    reason: str | None = None  # why it is published on the LAN beside the proxy

    @property
    def on_every_interface(self) -> bool:
        return self.host is not None and self.host_ip in (None, "0.0.0.0")


@dataclass(frozen=True)
class Expose:
    """Published through the reverse proxy at https://<host>.<domain>."""

    port: str
    host: str
    auth: Literal["proxy", "app", "none"]
    reason: str | None


@dataclass(frozen=True)
class Proxy:
    """This service is the reverse proxy, the catalog's one entry point."""

    domain: str
    tls: Literal["internal", "acme"]
    acme_email: str | None
    user: str
    password_env: str


@dataclass(frozen=True)
class NetworkAttachment:
    network: str
    ipv4_address: IPv4Address
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Volume:
    source_kind: Literal["dataset", "host_path", "generated", "volume"]
    source: str  # dataset id, host path, generated file name or Docker volume name
    subpath: str | None
    target: str
    read_only: bool
    reason: str | None
    env_override: str | None = None
    create_host_path: bool = False
    if_missing: str | None = None  # what the service loses on a host without the path (then optional)
    propagation: str | None = None  # a host path's mount propagation, e.g. rslave


@dataclass(frozen=True)
class Device:
    path: str
    env_override: str | None = None
    if_missing: str | None = None  # what the service loses on a host without the device (then optional)


@dataclass(frozen=True)
class EnvVar:
    name: str
    value: str | None
    secret: str | None  # how to generate it: hex, base64url, password
    secret_length: int
    required: bool
    preset: bool
    options: tuple[str, ...]
    label: str | None
    description: str | None
    # made by the build from the model servers the service reaches: (model_api, urls|first|present)
    model_servers: tuple[str, str] | None = None
    file: str | None = None  # a secret given to the container as this file, not as a variable
    file_flag: str | None = None  # the program's option that names the file

    @property
    def is_secret(self) -> bool:
        return self.secret is not None


@dataclass(frozen=True)
class Limits:
    cpus: float
    memory: str


@dataclass(frozen=True)
class Healthcheck:
    test: tuple[str, ...]
    interval: str
    timeout: str
    retries: int
    start_period: str
    start_interval: str | None


@dataclass(frozen=True)
class Dependency:
    service: str
    condition: Literal["service_healthy", "service_started", "service_completed_successfully"]


@dataclass(frozen=True)
class Security:
    privileged: str | None  # the reason, when privileged
    no_new_privileges: bool
    read_only_rootfs: bool
    cap_add: tuple[str, ...]
    cap_drop: tuple[str, ...]
    pid_host: str | None  # the reason, when sharing the host PID namespace


@dataclass(frozen=True)
class Metrics:
    port: str
    path: str
    interval: str | None


@dataclass(frozen=True)
class LlmModel:
    model: str
    title: str
    roles: tuple[str, ...]
    size: str | None


@dataclass(frozen=True)
class Service:
    id: str
    title: str
    description: str
    categories: tuple[str, ...]
    logo: str | None
    links: Mapping[str, str]
    image: str
    image_unpinned: str | None
    interactive: bool
    image_note: str | None
    command: tuple[str, ...]
    entrypoint: tuple[str, ...]
    user: Owner | None
    restart: str
    gpu: Gpu | None
    ports: tuple[Port, ...]
    networks: tuple[NetworkAttachment, ...]
    volumes: tuple[Volume, ...]
    devices: tuple[Device, ...]
    env: tuple[EnvVar, ...]
    limits: Limits
    reservations: Mapping[str, float | str]
    healthcheck: Healthcheck | None
    healthcheck_none_reason: str | None
    depends_on: tuple[Dependency, ...]
    security: Security
    metrics: Metrics | None
    probe: Probe | None
    models: tuple[LlmModel, ...]
    standalone_template: bool
    template_id: int | None
    serves_templates: bool
    portainer_note: str | None
    internal: bool = False  # reached only through the proxy and the Docker networks
    expose: Expose | None = None
    proxy: Proxy | None = None
    swarm_replicas: int = 1
    swarm_mode: Literal["replicated", "global"] = "replicated"  # global: a task on every node
    swarm_constraints: tuple[str, ...] = ()
    first_start: str | None = None  # what the operator does once after the first deploy
    model_api: Literal["ollama", "openai"] | None = None  # the API its models are served on

    def accelerators(self) -> tuple[Accelerator, ...]:
        """The variants this service appears in."""
        found: list[Accelerator] = []
        if self.gpu is None or self.gpu.cpu_fallback:
            found.append("cpu")
        if self.gpu and self.gpu.nvidia:
            found.append("nvidia")
        if self.gpu and self.gpu.amd:
            found.append("amd")
        return tuple(found)

    @property
    def pulls_models(self) -> bool:
        """Whether it pulls its model servers' models at every deploy (its env takes the models
        list): healthy only once the downloads, gigabytes, are done."""
        return any(e.model_servers is not None and e.model_servers[1] == "models" for e in self.env)

    def in_variant(self, variant: Accelerator) -> bool:
        """Whether the service is part of a stack's compose file for this variant."""
        if self.gpu is None:
            return True  # CPU-only services run beside the GPU ones in every variant
        if variant == "cpu":
            return self.gpu.cpu_fallback
        return (self.gpu.nvidia if variant == "nvidia" else self.gpu.amd) is not None

    def image_for(self, accelerator: Accelerator) -> str:
        if accelerator == "nvidia" and self.gpu and self.gpu.nvidia and self.gpu.nvidia.image:
            return self.gpu.nvidia.image
        if accelerator == "amd" and self.gpu and self.gpu.amd and self.gpu.amd.image:
            return self.gpu.amd.image
        return self.image

    def port(self, name: str) -> Port | None:
        return next((port for port in self.ports if port.name == name), None)


@dataclass(frozen=True)
class Stack:
    id: str
    title: str
    description: str
    services: tuple[str, ...]
    categories: tuple[str, ...]
    logo: str | None
    note: str | None
    template_ids: Mapping[str, int]
    swarm_template_ids: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Capacity:
    warning_percent: int = 80
    critical_percent: int = 90
    duration: str = "5m"


@dataclass(frozen=True)
class Receiver:
    """Where Alertmanager sends notifications: exactly one of webhook, ntfy and email is set."""

    id: str
    send_resolved: bool = True
    kind: Literal["webhook", "ntfy", "email"] = "webhook"
    url: str | None = None  # webhook, ntfy
    token_variable: str | None = None  # webhook, ntfy: a bearer token
    to: str | None = None  # email
    sender: str | None = None  # email: its `from`
    smarthost: str | None = None
    username: str | None = None
    password_variable: str | None = None
    require_tls: bool = True

    def secret_variables(self) -> tuple[str, ...]:
        return tuple(v for v in (self.token_variable, self.password_variable) if v)


@dataclass(frozen=True)
class Route:
    receiver: str
    severity: tuple[str, ...] = ()
    stacks: tuple[str, ...] = ()
    carry_on: bool = False  # Alertmanager's `continue`


@dataclass(frozen=True)
class Notify:
    """Who is told when an alert fires (catalog/alerts.yaml `notify`)."""

    receivers: tuple[Receiver, ...]
    default_receiver: str
    routes: tuple[Route, ...] = ()
    group_by: tuple[str, ...] = ("alertname", "stack", "service")
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"


@dataclass(frozen=True)
class Alerts:
    """Thresholds of the generated alert rules (catalog/alerts.yaml; these are the defaults)."""

    scrape_interval: str = "30s"
    evaluation_interval: str = "30s"
    container_cpu_percent: int = 90
    container_memory_percent: int = 90
    container_for: str = "5m"
    host_disk: Capacity = field(default_factory=Capacity)
    zfs_pool: Capacity = field(default_factory=Capacity)
    gpu_temperature_celsius: int = 85
    gpu_memory_info_percent: int = 95
    gpu_for: str = "5m"
    target_down_for: str = "2m"
    probe_down_for: str = "2m"
    probe_slow_seconds: float = 2.0
    notify: Notify | None = None


PROBES_PORT = "probes"  # the reverse proxy's port that forwards the probes made through it


@dataclass(frozen=True)
class Probe:
    """A service checked from outside by a blackbox exporter (it has no /metrics of its own)."""

    via: str  # the blackbox exporter service
    port: str
    path: str
    module: str
    through_proxy: bool = False  # through the reverse proxy's probe port, not straight to it


@dataclass(frozen=True)
class Catalog:
    networks: Mapping[str, Network]
    pools: Mapping[str, Pool]
    storage_classes: Mapping[str, StorageClass]
    datasets: Mapping[str, Dataset]
    gpu_generations: Mapping[str, GpuGeneration]
    roles: Mapping[str, Role]
    services: Mapping[str, Service]
    stacks: Mapping[str, Stack]
    publish: Publish | None = None
    alerts: Alerts = field(default_factory=Alerts)
    # id -> file, per kind, for messages and docs ("generated from catalog/services/ollama.yaml")
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict, compare=False)
    _stack_ids: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _network_members: Mapping[str, tuple[Service, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owners: dict[str, str] = {}
        for stack_id in sorted(self.stacks):  # a service in two stacks (refused) counts in the first
            for service_id in self.stacks[stack_id].services:
                owners.setdefault(service_id, stack_id)
        object.__setattr__(self, "_stack_ids", owners)
        members: dict[str, list[Service]] = {}
        for service in self.services.values():
            for network in dict.fromkeys(a.network for a in service.networks):
                members.setdefault(network, []).append(service)
        object.__setattr__(self, "_network_members", {n: tuple(m) for n, m in members.items()})

    def summary(self) -> str:
        """How much the catalog holds, e.g. '11 services, 4 stacks, 6 networks, 7 datasets'."""
        counts = {"service": len(self.services), "stack": len(self.stacks)}
        counts |= {"network": len(self.networks), "dataset": len(self.datasets)}
        return ", ".join(f"{n} {noun}{'' if n == 1 else 's'}" for noun, n in counts.items())

    def network_members(self, network_id: str) -> tuple[Service, ...]:
        """The services attached to a network, in the catalog's order."""
        return self._network_members.get(network_id, ())

    def stack_of(self, service_id: str) -> Stack | None:
        """The stack a service belongs to; None for a standalone service."""
        stack_id = self._stack_ids.get(service_id)
        return self.stacks[stack_id] if stack_id else None

    def stack_services(self, stack: Stack) -> list[Service]:
        return [self.services[service_id] for service_id in stack.services]

    def stack_accelerators(self, stack: Stack) -> tuple[Accelerator, ...]:
        """The variants a stack is rendered in: cpu, plus each GPU vendor one of its services uses."""
        used = {acc for service in self.stack_services(stack) for acc in service.accelerators()}
        return tuple(acc for acc in ACCELERATORS if acc in used or acc == "cpu")

    def swarm_accelerators(self, stack: Stack) -> tuple[Accelerator, ...]:
        """The stack's variants that have a Swarm file (swarm.yaml)."""
        return tuple(v for v in self.stack_accelerators(stack) if v in SWARM_ACCELERATORS)
