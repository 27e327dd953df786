"""Docker Swarm variants: stacks/<stack>/<variant>/swarm.yaml for `docker stack deploy`.

The same services as compose.yaml, in the form Swarm takes: overlay networks (attachable,
encrypted where the catalog says), placement constraints (GPU nodes, the nodes that hold a
service's dataset pools, managers for the Docker socket), replicas, update and rollback policy,
limits and reservations, NVIDIA GPUs as node generic resources. What Swarm cannot express is
left out and listed in the file's header (and on the docs site's Swarm page).

Services find each other by DNS round robin (`endpoint_mode: dnsrr`), not through a virtual IP:
a virtual IP needs IPVS in every node's kernel, which some kernels lack (LXC guests, some NAS
and VM kernels: there the service name resolves and nothing answers), and buys nothing here,
where every port is published in host mode and most services run one task. A port Compose binds
to one address is not published: Swarm would open it on every address of the node.
"""

from __future__ import annotations

import hashlib
from typing import Any

from generator.artifact import Artifact
from generator.catalog.deploy import GPU_RESOURCE, swarm_constraints, swarm_gpus, variant_services
from generator.catalog.model import Accelerator, Catalog, Service, Stack
from generator.render.compose.service import build_service, healthcheck_entry, labels
from generator.render.configs import config_key, generated_file, generated_names, swarm_file_name
from generator.render.text import render_text
from generator.render.yaml_text import to_yaml

NETWORKS_SCRIPT = "scripts/swarm-networks.sh"
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
        document["configs"] = {
            config_key(name): {
                "name": config_name(
                    stack, name, generated_file(catalog, name, variant, services, swarm=True)
                ),
                "file": f"./{swarm_file_name(name)}",
            }
            for name in configs
        }
    return document, dropped


def config_name(stack: Stack, file_name: str, content: str) -> str:
    """A Swarm config cannot change once made: a name that follows the content makes a changed
    file (a catalog edit, the other variant) a new config that `docker stack deploy` rolls the
    service over to, instead of refusing the update. `docker stack rm` removes them all."""
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()[:12]
    return f"{stack.id}_{config_key(file_name)}_{digest}"


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
    nvidia = service.gpu.nvidia if service.gpu and variant == "nvidia" else None
    if nvidia and nvidia.shared:
        # no reservation: the NVIDIA runtime (the GPU nodes' default) shows it every GPU
        entry.setdefault("environment", {}).setdefault("NVIDIA_VISIBLE_DEVICES", "all")
    elif nvidia and not nvidia.device_ids and nvidia.count == "all":
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
    reservations.pop("devices", None)
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


def networks_script(catalog: Catalog) -> str:
    """scripts/swarm-networks.sh: create the catalog's overlay networks once (idempotent), or
    remove them once no service uses them."""
    overlays = sorted((n for n in catalog.networks.values() if n.type == "bridge"), key=lambda n: n.id)
    return render_text("swarm-networks.sh.j2", networks=overlays)


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
