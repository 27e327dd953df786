"""`gen doctor --swarm`: is this swarm ready for the catalog's Swarm stacks? Asked of a manager.

One check per line: the engine is a manager; each node's state; each pool label on some node;
the GPU resource on the GPU nodes (nvidia variant); each service has a node that satisfies its
placement (constraints and GPU reservation, evaluated as the Swarm scheduler does); the overlay
networks exist as the catalog says (subnet, internal, encrypted) or can be made; an encrypted
network's IPsec in this node's kernel; no port the stacks publish in host mode is held on every
node a service could run on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Service, Stack
from generator.hosts.doctor import existing_networks, network_differences
from generator.hosts.engine import is_local
from generator.hosts.host_paths import host_paths, path_checks
from generator.hosts.kernel import missing, read_config
from generator.hosts.report import UNEXPECTED_ANSWER, Check, run_groups
from generator.plan import Plan
from generator.plan.rules import (
    ENCRYPTED_OVERLAY,
    GPU_LABEL,
    GPU_RESOURCE,
    POOL_LABEL,
    pools_of,
    swarm_constraints,
    swarm_gpus,
)

STACK_LABEL = "com.docker.stack.namespace"  # set by `docker stack deploy` on its services


@dataclass(frozen=True)
class Node:
    id: str
    name: str  # hostname (address): hostnames need not differ
    role: str
    ready: bool
    active: bool
    attributes: dict[str, str]  # what constraints match: node.id, node.labels.<k>, ...
    gpus: int  # NVIDIA-GPU generic resources it advertises
    engine: str  # the Docker Engine's version


@dataclass(frozen=True)
class Planned:
    """A service of a chosen stack as Swarm would place it."""

    stack: str
    service: Service
    constraints: list[str]
    gpus: int

    @property
    def label(self) -> str:
        return f"{self.stack}/{self.service.id}"


def _node(attrs: dict[str, Any]) -> Node:
    spec, description = attrs.get("Spec") or {}, attrs.get("Description") or {}
    status = attrs.get("Status") or {}
    hostname = description.get("Hostname", "")
    platform = description.get("Platform") or {}
    attributes = {
        "node.id": attrs["ID"],
        "node.hostname": hostname,
        "node.role": spec.get("Role", ""),
        "node.platform.os": platform.get("OS", ""),
        "node.platform.arch": platform.get("Architecture", ""),
    }
    attributes |= {f"node.labels.{k}": v for k, v in (spec.get("Labels") or {}).items()}
    engine_labels = (description.get("Engine") or {}).get("Labels") or {}
    attributes |= {f"engine.labels.{k}": v for k, v in engine_labels.items()}
    gpus = 0
    for resource in (description.get("Resources") or {}).get("GenericResources") or []:
        if (resource.get("NamedResourceSpec") or {}).get("Kind") == GPU_RESOURCE:
            gpus += 1
        discrete = resource.get("DiscreteResourceSpec") or {}
        if discrete.get("Kind") == GPU_RESOURCE:
            gpus += int(discrete.get("Value", 0))
    return Node(
        id=attrs["ID"],
        name=f"{hostname} ({status.get('Addr', attrs['ID'][:12])})",
        role=spec.get("Role", ""),
        ready=status.get("State") == "ready",
        active=spec.get("Availability") == "active",
        attributes=attributes,
        gpus=gpus,
        engine=str((description.get("Engine") or {}).get("EngineVersion", "")),
    )


def satisfies(node: Node, constraint: str) -> bool | None:
    """Whether the node meets one placement constraint (`key == value` or `key != value`); None
    for a key Swarm knows but this check does not. Like Swarm's scheduler, values compare
    without regard to case, and a label the node lacks is an empty value."""
    for operator in ("==", "!="):
        if operator in constraint:
            key, value = (part.strip() for part in constraint.split(operator, 1))
            break
    else:
        return None
    known = key in ("node.id", "node.hostname", "node.role", "node.platform.os", "node.platform.arch")
    if not (known or key.startswith(("node.labels.", "engine.labels."))):
        return None
    equal = node.attributes.get(key, "").casefold() == value.casefold()
    return equal if operator == "==" else not equal


def _misses(node: Node, planned: Planned) -> list[str]:
    missed = [c for c in planned.constraints if satisfies(node, c) is False]
    if planned.gpus > node.gpus:
        missed.append(f"{planned.gpus} {GPU_RESOURCE} (it advertises {node.gpus})")
    if not (node.ready and node.active):
        missed.append("ready and active")
    return missed


def candidates(nodes: list[Node], planned: Planned) -> list[Node]:
    return [n for n in nodes if not _misses(n, planned)]


def placements(plan: Plan, stacks: list[Stack], variant: Accelerator) -> list[Planned]:
    """Each chosen stack's services in its Swarm variant (its cpu one when it has no such variant)."""
    catalog = plan.catalog
    found = []
    for stack in stacks:
        used = variant if variant in catalog.swarm_accelerators(stack) else "cpu"
        for service in plan.variant(stack, used).services:
            constraints = swarm_constraints(catalog, service, used)
            found.append(Planned(stack.id, service, constraints, swarm_gpus(service, used)))
    return found


def run_swarm_doctor(
    client: Any,
    plan: Plan,
    stacks: list[Stack],
    variant: Accelerator,
    settings: dict[str, str] | None = None,
) -> list[Check]:
    """`settings`: the env file's variables (per-host paths such as DEV_DISK)."""
    catalog = plan.catalog
    info = client.info().get("Swarm") or {}
    if info.get("LocalNodeState") != "active" or not info.get("ControlAvailable"):
        state = info.get("LocalNodeState") or "unknown"
        where = "a worker" if info.get("LocalNodeState") == "active" else f"not in a swarm ({state})"
        hint = (
            "point DOCKER_HOST at a manager"
            if where == "a worker"
            else "docker swarm init, or a manager's DOCKER_HOST"
        )
        return [Check("swarm", "fail", f"this engine is {where}: a deploy needs a manager", hint)]
    try:
        nodes = sorted((_node(n.attrs) for n in client.nodes.list()), key=lambda n: n.name)
    except UNEXPECTED_ANSWER as error:
        return [Check("swarm", "warn", f"could not read the nodes: an unexpected answer ({error!r})")]
    managers = sum(n.role == "manager" for n in nodes)
    planned = placements(plan, stacks, variant)
    env = settings or {}
    groups: list[tuple[str, Callable[[], Iterable[Check]]]] = [
        (
            "swarm",
            lambda: [
                Check("swarm", "ok", f"a manager of a swarm of {len(nodes)} nodes ({managers} managers)")
            ],
        ),
        ("nodes", lambda: _nodes(nodes)),
        ("pool labels", lambda: _pool_labels(catalog, nodes, planned)),
        ("gpu resources", lambda: _gpu_resources(nodes, planned)),
        ("placement", lambda: _placements(nodes, planned)),
        ("networks", lambda: _networks(client, catalog, planned)),
        ("kernel encryption", lambda: _encryption(catalog, planned, is_local(), read_config)),
        ("ports", lambda: _ports(client, nodes, planned, {s.id for s in stacks})),
        ("host paths", lambda: path_checks(host_paths(p.service for p in planned), env, is_local(), True)),
    ]
    return run_groups(groups)


def _nodes(nodes: list[Node]) -> Iterator[Check]:
    for node in nodes:
        labels = sorted(
            f"{k.removeprefix('node.labels.')}={v}"
            for k, v in node.attributes.items()
            if k.startswith("node.labels.")
        )
        what = f"{node.role}, labels: {', '.join(labels) or 'none'}" + (
            f", {node.gpus} {GPU_RESOURCE}" if node.gpus else ""
        )
        if node.ready and node.active:
            yield Check(f"node {node.name}", "ok", f"ready, {what}")
        else:
            yield Check(
                f"node {node.name}",
                "warn",
                f"{'ready' if node.ready else 'not ready'}, {'active' if node.active else 'not active'}: "
                f"nothing is placed on it ({what})",
                "docker node update --availability active, or bring its engine back",
            )


def _pool_labels(catalog: Catalog, nodes: list[Node], planned: list[Planned]) -> Iterator[Check]:
    users: dict[str, list[str]] = {}
    for item in planned:
        for pool in pools_of(catalog, item.service):
            users.setdefault(pool, []).append(item.service.id)
    for pool, services in sorted(users.items()):
        key = f"node.labels.{POOL_LABEL}.{pool}"
        holders = [n.name for n in nodes if satisfies(n, f"{key} == true")]
        label = f"label {POOL_LABEL}.{pool}"
        if holders:
            yield Check(label, "ok", f"on {', '.join(holders)}")
        else:
            yield Check(
                label,
                "fail",
                f"no node has it: {', '.join(sorted(set(services)))} cannot be placed",
                f"docker node update --label-add {POOL_LABEL}.{pool}=true <the node whose pool {pool} "
                "holds the datasets>",
            )


def _gpu_resources(nodes: list[Node], planned: list[Planned]) -> Iterator[Check]:
    needed = max((p.gpus for p in planned), default=0)
    if not needed:
        return
    gpu_nodes = [n for n in nodes if satisfies(n, f"node.labels.{GPU_LABEL} == nvidia")]
    reserved = sum(p.gpus * p.service.swarm_replicas for p in planned)
    advertised = sum(n.gpus for n in gpu_nodes)
    if gpu_nodes and reserved > advertised:
        takers = ", ".join(f"{p.label} ({p.gpus * p.service.swarm_replicas})" for p in planned if p.gpus)
        yield Check(
            "gpu capacity",
            "fail",
            f"the GPU services reserve {reserved} {GPU_RESOURCE}, the GPU nodes advertise {advertised}: "
            f"a task would wait for a GPU forever ({takers})",
            "advertise every GPU of each node, or add a GPU node",
        )
    if not gpu_nodes:
        yield Check(
            "gpu nodes",
            "fail",
            f"no node is labelled {GPU_LABEL}=nvidia: the GPU services cannot be placed",
            f"docker node update --label-add {GPU_LABEL}=nvidia <GPU node>",
        )
    for node in gpu_nodes:
        label = f"gpu resource {node.name}"
        if node.role == "worker" and _older_than_23(node.engine):
            yield Check(
                label,
                "fail",
                f"Docker {node.engine}: before 23.0 Swarm stops every task that reserves a GPU and joins an "
                "overlay network on a worker (moby/moby#44378)",
                "upgrade Docker on this node to 23.0 or later",
            )
        elif node.gpus >= needed:
            yield Check(label, "ok", f"advertises {node.gpus} {GPU_RESOURCE}")
        else:
            yield Check(
                label,
                "fail",
                f"labelled {GPU_LABEL}=nvidia but advertises {node.gpus} {GPU_RESOURCE} "
                f"(a service reserves {needed})",
                f'add "node-generic-resources": ["{GPU_RESOURCE}=GPU-<uuid>"] to its /etc/docker/daemon.json '
                "and restart Docker (docs: Swarm)",
            )
    for node in nodes:
        if node.gpus and node not in gpu_nodes:
            yield Check(
                f"gpu resource {node.name}",
                "warn",
                f"advertises {node.gpus} {GPU_RESOURCE} but is not labelled {GPU_LABEL}=nvidia: "
                "no GPU service goes there",
                f"docker node update --label-add {GPU_LABEL}=nvidia <node>",
            )


def _older_than_23(version: str) -> bool:
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) < 23


def _placements(nodes: list[Node], planned: list[Planned]) -> Iterator[Check]:
    for item in planned:
        label = f"placement {item.label}"
        unknown = [c for c in item.constraints if all(satisfies(n, c) is None for n in nodes)]
        fitting = candidates(nodes, item)
        if fitting:
            yield Check(label, "ok", f"can run on {', '.join(n.name for n in fitting)}")
        elif nodes:
            closest = min(nodes, key=lambda n: len(_misses(n, item)))
            yield Check(
                label,
                "fail",
                f"no node meets every constraint; closest: {closest.name}, which lacks "
                + "; ".join(_misses(closest, item)),
                "label the nodes as the docs' Swarm page says",
            )
        if unknown:
            yield Check(label, "warn", f"not checked here, Swarm decides: {'; '.join(unknown)}")


def _networks(client: Any, catalog: Catalog, planned: list[Planned]) -> Iterator[Check]:
    wanted = sorted({a.network for p in planned for a in p.service.networks})
    existing = existing_networks(client)
    for network_id in wanted:
        network = catalog.networks[network_id]
        label = f"network {network.name}"
        same = next((e for e in existing if e.name == network.name), None)
        foreign = [
            e.name
            for e in existing
            if e.name != network.name and any(network.subnet.overlaps(s) for s in e.subnets)
        ]
        if same is not None and (same.driver, same.scope) != ("overlay", "swarm"):
            yield Check(
                label,
                "fail",
                f"exists as a {same.driver} network ({same.scope} scope), not a Swarm overlay: "
                "the stacks cannot attach",
                f"docker network rm {network.name} on the manager, then run swarm-networks.sh",
            )
        elif same is not None and (differences := network_differences(network, same, overlay=True)):
            yield Check(
                label,
                "fail",
                f"exists with {', '.join(differences)}",
                "docker stack rm every stack, sh swarm-networks.sh remove, then sh swarm-networks.sh",
            )
        elif same is not None:
            yield Check(label, "ok", f"a Swarm overlay with the catalog's subnet {network.subnet}")
        elif foreign:
            yield Check(
                label,
                "fail",
                f"missing, and its subnet {network.subnet} is used by {', '.join(foreign)}",
                f"remove {foreign[0]} or change catalog/networks/{network.id}.yaml",
            )
        else:
            yield Check(label, "ok", f"missing; {network.subnet} is free (sh swarm-networks.sh creates it)")


def _encryption(
    catalog: Catalog,
    planned: list[Planned],
    local: bool,
    read: Callable[[], tuple[Path, dict[str, str]] | None],
) -> Iterator[Check]:
    """The encrypted overlays' IPsec, in the kernel of this machine when the engine runs here."""
    networks = sorted(
        {a.network for p in planned for a in p.service.networks if catalog.networks[a.network].encrypted}
    )
    if not networks:
        return
    names = ", ".join(catalog.networks[n].name for n in networks)
    label, other_nodes = "kernel encryption", "Docker's contrib/check-config.sh checks each node"
    found = read() if local else None
    if found is None:
        where = (
            "this machine's kernel configuration is not readable"
            if local
            else "the nodes' kernels cannot be read from here"
        )
        yield Check(
            label,
            "warn",
            f"{names} encrypted: every node needs IPsec ESP in its kernel ({where})",
            other_nodes,
        )
        return
    path, options = found
    lacking = missing(options, ENCRYPTED_OVERLAY)
    if lacking:
        yield Check(
            label,
            "fail",
            f"{names} encrypted, but this node's kernel ({path}) lacks {', '.join(lacking)}: Docker "
            "makes the network and starts the tasks, but nothing gets through between nodes",
            f"a kernel with them on every node, or encrypted: false in catalog/networks/{networks[0]}.yaml",
        )
    else:
        yield Check(label, "ok", f"this node's kernel ({path}) has IPsec ESP for {names}; {other_nodes}")


def _ports(client: Any, nodes: list[Node], planned: list[Planned], stack_ids: set[str]) -> Iterator[Check]:
    """Swarm services of other stacks that hold a port: in ingress mode on every node, in host mode
    on the nodes their tasks run on. (Standalone containers on workers are not visible here.)"""
    on_every_node: dict[tuple[str, int], str] = {}
    on_nodes: dict[tuple[str, int], dict[str, str]] = {}
    for service in client.services.list():
        attrs = service.attrs
        if (attrs["Spec"].get("Labels") or {}).get(STACK_LABEL) in stack_ids:
            continue  # a stack being redeployed holds its own ports
        name = attrs["Spec"]["Name"]
        ports = ((attrs.get("Endpoint") or {}).get("Spec") or {}).get("Ports") or []
        ports = ports or ((attrs["Spec"].get("EndpointSpec") or {}).get("Ports") or [])
        running = {t.get("NodeID") for t in service.tasks(filters={"desired-state": "running"})}
        for port in ports:
            if "PublishedPort" not in port:
                continue
            key = (port.get("Protocol", "tcp"), int(port["PublishedPort"]))
            if port.get("PublishMode", "ingress") == "ingress":
                on_every_node[key] = name
            else:
                on_nodes.setdefault(key, {}).update(dict.fromkeys(running - {None}, name))
    for item in planned:
        fitting = candidates(nodes, item)
        for port in item.service.ports:
            if port.host is None or not port.on_every_interface:
                continue  # the Swarm file publishes only these (see render/swarm.py)
            key = (port.protocol, port.host)
            label = f"port {port.host}/{port.protocol}"
            held = on_nodes.get(key, {})
            blocked = [n for n in fitting if n.id in held]
            if key in on_every_node:
                yield Check(
                    label,
                    "fail",
                    f"published in ingress mode by service {on_every_node[key]}, which holds it on "
                    f"every node (needed by {item.label})",
                    f"docker service rm {on_every_node[key]}, or change the port in "
                    f"catalog/services/{item.service.id}.yaml",
                )
            elif blocked and (len(blocked) == len(fitting) or item.service.swarm_mode == "global"):
                owners = sorted({held[n.id] for n in blocked})
                where = (
                    f"on every node {item.label} can run on"
                    if len(blocked) == len(fitting)
                    else f"on {', '.join(n.name for n in blocked)}, where {item.label} (global) runs a task"
                )
                yield Check(
                    label,
                    "fail",
                    f"held in host mode by {', '.join(owners)} {where}",
                    f"move {owners[0]}, or change the port in catalog/services/{item.service.id}.yaml",
                )
            elif blocked:
                yield Check(
                    label,
                    "warn",
                    f"held by {', '.join(sorted({held[n.id] for n in blocked}))} on "
                    f"{', '.join(n.name for n in blocked)}: {item.label} goes to another node",
                )
            else:
                yield Check(label, "ok", f"free for {item.label} on the nodes it can run on")
