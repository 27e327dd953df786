"""The Swarm entries of the plan: each service as swarm.yaml has it, made from its Compose entry.

The same service in the form `docker stack deploy` takes: overlay networks by name (no static
addresses), placement constraints (GPU nodes, the nodes that hold a service's dataset pools,
managers for the Docker socket), replicas, update and rollback policy, limits and reservations,
NVIDIA GPUs as node generic resources. What Swarm cannot express is left out and recorded, per
service, for the file's header and the docs site's Swarm page.

Services find each other by DNS round robin (`endpoint_mode: dnsrr`), not through a virtual IP:
a virtual IP needs IPVS in every node's kernel, which some kernels lack (LXC guests, some NAS
and VM kernels: there the service name resolves and nothing answers), and buys nothing here,
where every port is published in host mode and most services run one task. A port Compose binds
to one address is not published: Swarm would open it on every address of the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Service, Stack
from generator.plan.compose.service import healthcheck_entry, labels
from generator.plan.rules import GPU_RESOURCE, swarm_constraints, swarm_gpus

# compose restart policy -> Swarm restart_policy.condition (a one-shot task is never restarted)
SWARM_RESTART = {"no": "none", "on-failure": "on-failure"}
# Keys of a standalone service that `docker stack deploy` ignores or refuses.
UNSUPPORTED = {
    "devices": "devices",
    "privileged": "privileged mode",
    "pid": "the host PID namespace",
    "security_opt": "no-new-privileges (security_opt)",
    "group_add": "extra groups",
    "depends_on": "start order (depends_on)",
    "restart": "restart (deploy.restart_policy instead)",
}


@dataclass(frozen=True)
class SwarmServices:
    entries: Mapping[str, Mapping[str, Any]]  # service id -> its entry in swarm.yaml
    dropped: tuple[str, ...]  # "<service>: what Swarm cannot carry", for each service that loses any
    networks: Mapping[str, Any]
    volumes: Mapping[str, Any]


def swarm_path(stack: Stack, variant: Accelerator) -> str:
    return f"stacks/{stack.id}/{variant}/swarm.yaml"


def swarm_services(
    catalog: Catalog,
    stack: Stack,
    variant: Accelerator,
    services: Sequence[Service],
    compose_entries: Mapping[str, Mapping[str, Any]],
) -> SwarmServices:
    entries = {}
    dropped = []
    for service in services:
        entry, lost = _service(catalog, stack, service, variant, compose_entries[service.id])
        entries[service.id] = entry
        if lost:
            dropped.append(f"{service.id}: {', '.join(lost)}")
    networks = sorted({a.network for s in services for a in s.networks})
    volumes = sorted({v.source for s in services for v in s.volumes if v.source_kind == "volume"})
    return SwarmServices(
        entries,
        tuple(dropped),
        {n: _network(catalog, n) for n in networks},
        {name: {"name": name} for name in volumes},
    )


def _service(
    catalog: Catalog, stack: Stack, service: Service, variant: Accelerator, compose: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    lost = [UNSUPPORTED[key] for key in UNSUPPORTED if key in compose and key != "restart"]
    # Swarm ignores `expose`: services reach each other on any port
    entry = {key: value for key, value in compose.items() if key not in UNSUPPORTED and key != "expose"}
    if service.networks:
        entry["networks"] = [a.network for a in service.networks]  # no static addresses on overlays
        lost.append("static IPs")
    ports = [p for p in service.ports if p.on_every_interface]
    if not ports:
        entry.pop("ports", None)
    else:  # in the place Compose's ports have
        entry["ports"] = [
            {"target": p.container, "published": p.host, "protocol": p.protocol, "mode": "host"}
            for p in ports
        ]
    bound = [
        f"{p.host_ip}:{p.host}" for p in service.ports if p.host is not None and not p.on_every_interface
    ]
    if bound:
        # Swarm cannot bind a port to one address: published, it would open on every address of
        # the node, wider than the Compose file. Services reach it over the overlay by name.
        lost.append(f"the port{'s' * (len(bound) > 1)} bound to {', '.join(bound)} (not published)")
    for env in service.env:
        if env.file:  # `docker stack deploy` makes secrets from files only, never from a variable
            entry.pop("secrets", None)
            if env.file_flag:
                command = list(entry["command"])
                at = command.index(env.file_flag)
                entry["command"] = command[:at] + command[at + 2 :]
            lost.append(f"{env.name} as the file {env.file} (a stack file takes no secret from a variable)")
    nvidia = service.gpu.nvidia if service.gpu and variant == "nvidia" else None
    if nvidia and nvidia.shared:
        # no reservation: the NVIDIA runtime (the GPU nodes' default) shows it every GPU
        environment = entry.get("environment", {})
        entry["environment"] = {
            **environment,
            "NVIDIA_VISIBLE_DEVICES": environment.get("NVIDIA_VISIBLE_DEVICES", "all"),
        }
    elif nvidia and not nvidia.device_ids and nvidia.count == "all":
        lost.append("all GPUs (Swarm reserves a number of them: 1)")
    if "volumes" in entry:  # without create_host_path: Swarm never creates a missing bind source
        entry["volumes"] = [_swarm_mount(mount) for mount in entry["volumes"]]
    if service.healthcheck:
        entry["healthcheck"] = {k: v for k, v in healthcheck_entry(service).items() if k != "start_interval"}
    entry["deploy"] = _deploy(catalog, stack, service, variant, compose["deploy"]["resources"])
    return entry, lost


def _swarm_mount(mount: Mapping[str, Any]) -> dict[str, Any]:
    swarm_mount = {k: v for k, v in mount.items() if k != "bind"}
    propagation = mount.get("bind", {}).get("propagation")
    if propagation:
        swarm_mount["bind"] = {"propagation": propagation}
    return swarm_mount


def _deploy(
    catalog: Catalog, stack: Stack, service: Service, variant: Accelerator, resources: Mapping[str, Any]
) -> dict[str, Any]:
    reservations = {k: v for k, v in resources.get("reservations", {}).items() if k != "devices"}
    gpus = swarm_gpus(service, variant)
    if gpus:
        reservations["generic_resources"] = [
            {"discrete_resource_spec": {"kind": GPU_RESOURCE, "value": gpus}}
        ]
    deploy_resources: dict[str, Any] = {"limits": resources["limits"]}
    if reservations:
        deploy_resources["reservations"] = reservations
    replicas = {"replicas": service.swarm_replicas} if service.swarm_mode == "replicated" else {}
    return {
        "mode": service.swarm_mode,
        **replicas,
        "endpoint_mode": "dnsrr",
        "placement": {"constraints": swarm_constraints(catalog, service, variant)},
        "resources": deploy_resources,
        "restart_policy": {
            "condition": SWARM_RESTART.get(service.restart, "any"),
            "delay": "5s",
        },
        "update_config": {
            "parallelism": 1,
            "delay": "10s",
            "order": "stop-first",  # datasets and static state: never two copies at once
            "failure_action": "rollback",
            "monitor": "30s",
        },
        "rollback_config": {"parallelism": 1, "order": "stop-first"},
        "labels": labels(stack, service, variant),
    }


def _network(catalog: Catalog, network_id: str) -> dict[str, Any]:
    # External: `docker stack deploy` refuses to create a network that exists, so networks two
    # stacks share are made once by scripts/swarm-networks.sh, before any stack.
    return {"name": catalog.networks[network_id].name, "external": True}
