"""Docker Swarm variants: stacks/<stack>/<variant>/swarm.yaml for `docker stack deploy`.

The same services as compose.yaml, in the form Swarm takes: overlay networks (attachable,
encrypted where the catalog says), placement constraints (GPU nodes, the nodes that hold a
service's dataset pools, managers for the Docker socket), replicas, update and rollback policy,
limits and reservations, NVIDIA GPUs as node generic resources. What Swarm cannot express is
left out and listed in the file's header (and on the docs site's Swarm page).
"""

from __future__ import annotations

from typing import Any

from generator.artifact import Artifact
from generator.catalog.deploy import variant_services
from generator.catalog.model import Accelerator, Catalog, Service, Stack
from generator.render.compose.service import build_service, healthcheck_entry, labels
from generator.render.configs import config_key, generated_names
from generator.render.yaml_text import to_yaml

NETWORKS_SCRIPT = "scripts/swarm-networks.sh"
GPU_LABEL = "ai-stack.gpu"  # node label: nvidia on the nodes with NVIDIA GPUs
POOL_LABEL = "ai-stack.pool"  # node label: ai-stack.pool.<pool>=true where the pool is
GPU_RESOURCE = "NVIDIA-GPU"  # the generic resource the nodes advertise (daemon.json)
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


def swarm_path(stack: Stack, variant: Accelerator) -> str:
    return f"stacks/{stack.id}/{variant}/swarm.yaml"


def build_swarm(catalog: Catalog, stack: Stack, variant: Accelerator) -> tuple[dict[str, Any], list[str]]:
    """The stack file and, per service, what Swarm cannot carry over from compose.yaml."""
    services = variant_services(catalog, stack, variant)
    document: dict[str, Any] = {"version": "3.9", "services": {}}
    dropped: list[str] = []
    for service in services:
        entry, lost = _service(catalog, stack, service, variant)
        document["services"][service.id] = entry
        if lost:
            dropped.append(f"{service.id}: {', '.join(lost)}")
    networks = sorted({a.network for s in services for a in s.networks})
    if networks:
        document["networks"] = {n: _network(catalog, n) for n in networks}
    volumes = sorted({v.source for s in services for v in s.volumes if v.source_kind == "volume"})
    if volumes:
        document["volumes"] = {name: {"name": name} for name in volumes}
    configs = generated_names(services)
    if configs:  # the generated files beside this one (Swarm stack files take no inline content)
        document["configs"] = {config_key(name): {"file": f"./{name}"} for name in configs}
    return document, dropped


def _service(
    catalog: Catalog, stack: Stack, service: Service, variant: Accelerator
) -> tuple[dict[str, Any], list[str]]:
    entry = build_service(catalog, stack, service, variant)
    lost = [UNSUPPORTED[key] for key in UNSUPPORTED if key in entry and key != "restart"]
    for key in UNSUPPORTED:
        entry.pop(key, None)
    entry.pop("expose", None)  # Swarm ignores it: services reach each other on any port
    if service.networks:
        entry["networks"] = [a.network for a in service.networks]  # no static addresses on overlays
        lost.append("static IPs")
    if "ports" in entry:
        entry["ports"] = [
            {"target": p.container, "published": p.host, "protocol": p.protocol, "mode": "host"}
            for p in service.ports
            if p.host is not None
        ]
        if any(p.host_ip for p in service.ports if p.host is not None):
            lost.append("host_ip (a Swarm port opens on every address of its node)")
    nvidia = service.gpu.nvidia if service.gpu else None
    if variant == "nvidia" and nvidia and not nvidia.device_ids and nvidia.count == "all":
        lost.append("all GPUs (Swarm reserves a number of them: 1)")
    for mount in entry.get("volumes", []):
        mount.pop("bind", None)  # create_host_path: Swarm never creates a missing bind source
    if service.healthcheck:
        health = healthcheck_entry(service)
        health.pop("start_interval", None)
        entry["healthcheck"] = health
    entry["deploy"] = _deploy(catalog, stack, service, variant, entry["deploy"]["resources"])
    return entry, lost


def _deploy(
    catalog: Catalog, stack: Stack, service: Service, variant: Accelerator, resources: dict[str, Any]
) -> dict[str, Any]:
    reservations = dict(resources.get("reservations", {}))
    devices = reservations.pop("devices", [])
    if devices:
        device = devices[0]
        count = len(device["device_ids"]) if "device_ids" in device else device["count"]
        value = 1 if count == "all" else int(count)
        reservations["generic_resources"] = [
            {"discrete_resource_spec": {"kind": GPU_RESOURCE, "value": value}}
        ]
    deploy_resources: dict[str, Any] = {"limits": resources["limits"]}
    if reservations:
        deploy_resources["reservations"] = reservations
    return {
        "mode": "replicated",
        "replicas": service.swarm_replicas,
        "placement": {"constraints": constraints(catalog, service, variant)},
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


def constraints(catalog: Catalog, service: Service, variant: Accelerator) -> list[str]:
    """Where a task may run: GPU nodes, the nodes holding its pools, managers for the socket."""
    found = []
    if variant == "nvidia" and service.gpu and service.gpu.nvidia:
        found.append(f"node.labels.{GPU_LABEL} == nvidia")
    found += [f"node.labels.{POOL_LABEL}.{pool} == true" for pool in pools_of(catalog, service)]
    if any(v.source == "/var/run/docker.sock" for v in service.volumes):
        found.append("node.role == manager")
    found += [c for c in service.swarm_constraints if c not in found]
    return found


def pools_of(catalog: Catalog, service: Service) -> list[str]:
    """The pools whose datasets the service mounts, sorted."""
    return sorted({catalog.datasets[v.source].pool for v in service.volumes if v.source_kind == "dataset"})


def _network(catalog: Catalog, network_id: str) -> dict[str, Any]:
    # External: `docker stack deploy` refuses to create a network that exists, so networks two
    # stacks share are made once by scripts/swarm-networks.sh, before any stack.
    return {"name": catalog.networks[network_id].name, "external": True}


def networks_script(catalog: Catalog) -> str:
    """scripts/swarm-networks.sh: create the catalog's overlay networks once (idempotent)."""
    lines = [
        "#!/bin/sh",
        "# Create the catalog's networks as Swarm overlay networks, once, on a manager node, before",
        "# `docker stack deploy` of any stack (they are external in every swarm.yaml, since stacks",
        "# share them). Generated by `gen build` from catalog/networks/: do not edit.",
        "# Networks that exist are left as they are; run it again after adding a network.",
        "set -eu",
        "create() {  # create NAME SUBNET [OPTIONS...]",
        "  name=$1; subnet=$2; shift 2",
        '  if docker network inspect "$name" >/dev/null 2>&1; then',
        '    echo "swarm-networks.sh: $name exists"',
        "  else",
        '    docker network create --driver overlay --attachable --subnet "$subnet" "$@" "$name" >/dev/null',
        '    echo "swarm-networks.sh: created $name ($subnet)"',
        "  fi",
        "}",
    ]
    for network in sorted(catalog.networks.values(), key=lambda n: n.id):
        if network.type != "bridge":
            continue
        options = (["--internal"] if network.internal else []) + (
            ["--opt", "encrypted"] if network.encrypted else []
        )
        lines.append(" ".join(["create", f"'{network.name}'", f"'{network.subnet}'", *options]))
    return "\n".join(lines) + "\n"


def _header(catalog: Catalog, stack: Stack, variant: Accelerator, dropped: list[str]) -> str:
    source = catalog.sources.get("stack", {}).get(stack.id, f"stacks/{stack.id}.yaml")
    lines = [
        f"# {stack.title}: the {variant} Swarm variant, for `docker stack deploy`.",
        f"# Generated by `gen build` from {source}: do not edit, edit the catalog.",
        "# Deploy, after dist/scripts/swarm-networks.sh (variables come from the shell, not an .env file):",
        f"#   set -a && . secrets/{stack.id}.env && set +a",
        f"#   docker stack deploy --resolve-image never -c dist/{swarm_path(stack, variant)} {stack.id}",
        "# Label the nodes first (docs: Swarm): ai-stack.pool.<pool>=true where a pool's datasets are,",
        "# ai-stack.gpu=nvidia on GPU nodes. Not carried over from compose.yaml (Swarm has no such setting):",
    ]
    lines += [f"#   {entry}" for entry in dropped] or ["#   nothing"]
    return "\n".join(lines) + "\n"


def render(catalog: Catalog) -> list[Artifact]:
    artifacts = []
    for stack_id in sorted(catalog.stacks):
        stack = catalog.stacks[stack_id]
        for variant in catalog.swarm_accelerators(stack):
            document, dropped = build_swarm(catalog, stack, variant)
            header = _header(catalog, stack, variant, dropped)
            artifacts.append(Artifact(swarm_path(stack, variant), to_yaml(document, header)))
    if artifacts:
        artifacts.append(Artifact(NETWORKS_SCRIPT, networks_script(catalog).encode("utf-8"), 0o755))
    return artifacts
