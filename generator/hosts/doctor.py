"""`gen doctor`: is this host ready for the catalog's stacks? One check per line."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, NamedTuple

from generator.catalog.model import Accelerator, Catalog, Network, Service, Stack
from generator.catalog.variables import ZFS_POOLS, pool_map
from generator.hosts.engine import compose_cli, is_local, supports_start_interval
from generator.hosts.host_paths import host_paths, path_checks
from generator.hosts.limits import cpu_limits, memory_limits
from generator.hosts.report import Check, run_groups
from generator.plan import Plan
from generator.plan.publish import templates_url
from generator.plan.rules import LABEL_PREFIX, START_INTERVAL_FILE


def scope(plan: Plan, stacks: list[Stack], variant: Accelerator) -> list[tuple[Stack, tuple[Service, ...]]]:
    """The services each stack deploys in `variant` (its cpu variant when it has no such variant)."""
    chosen = []
    for stack in stacks:
        used = variant if variant in plan.catalog.stack_accelerators(stack) else "cpu"
        chosen.append((stack, plan.variant(stack, used).services))
    return chosen


def run_doctor(
    client: Any,
    plan: Plan,
    stacks: list[Stack],
    variant: Accelerator,
    settings: dict[str, str] | None = None,
) -> list[Check]:
    """`settings`: the env file's variables (per-host limits such as OLLAMA_CPUS)."""
    catalog = plan.catalog
    services = [s for _, group in scope(plan, stacks, variant) for s in group]
    stack_ids = {stack.id for stack in stacks}
    groups: list[tuple[str, Callable[[], Iterable[Check]]]] = [
        ("engine", lambda: _engine(client)),
        ("compose", lambda: [_compose()]),
        ("nvidia runtime", lambda: [_nvidia_runtime(client)] if variant == "nvidia" else []),
        ("networks", lambda: _networks(client, catalog, services, stack_ids)),
        ("ports", lambda: _ports(client, services, stack_ids)),
        ("mountpoints", lambda: _mountpoints(catalog, services, (settings or {}).get("ZFS_ALTROOT", ""))),
        ("host paths", lambda: path_checks(host_paths(services, variant), settings or {}, is_local())),
        ("cpu limits", lambda: cpu_limits(client, services, settings or {})),
        ("memory limits", lambda: memory_limits(client, services, settings or {})),
        ("images", lambda: _images(client, services, variant)),
        ("zfs pools", lambda: pool_checks(catalog, pool_map((settings or {}).get(ZFS_POOLS, "")))),
        ("templates url", lambda: _templates_url(catalog, services)),
    ]
    return run_groups(groups)


def _engine(client: Any) -> Iterator[Check]:
    version = client.version()
    api = str(version.get("ApiVersion"))
    yield Check("engine", "ok", f"Docker {version.get('Version')} (API {api})")
    if supports_start_interval(api):
        message = f"API {api}: gen up adds {START_INTERVAL_FILE}, health checked every second while starting"
    else:
        message = f"API {api} (before 1.44): healthchecks keep their interval while starting (slower)"
    yield Check("start interval", "ok", message)
    driver = str(client.info().get("Driver") or "")
    if driver == "vfs":  # no copy-on-write: creating a container copies every layer of its image
        yield Check(
            "storage driver",
            "warn",
            "vfs copies the whole image each time a container is created, which slows every start",
            "overlay2 is Docker's default where the data root's filesystem takes it (ext4, xfs): "
            '"storage-driver": "overlay2" in /etc/docker/daemon.json; the images and containers made '
            "with vfs are then not seen, so pull the images again",
        )
    elif driver:
        yield Check("storage driver", "ok", driver)


def _compose() -> Check:
    found = compose_cli()
    if found is not None:
        return Check("compose", "ok", f"{' '.join(found[0])} {found[1]}")
    return Check(
        "compose",
        "fail",
        "neither `docker compose` nor `docker-compose` works here",
        "install the Docker Compose v2 plugin",
    )


def _nvidia_runtime(client: Any) -> Check:
    info = client.info()
    if "nvidia" in (info.get("Runtimes") or {}):
        return Check("nvidia runtime", "ok", "Docker has the nvidia runtime")
    if info.get("CDISpecDirs"):
        return Check("nvidia runtime", "ok", f"CDI is enabled ({', '.join(info['CDISpecDirs'])})")
    return Check(
        "nvidia runtime",
        "fail",
        "Docker has no nvidia runtime and CDI is off",
        "run scripts/gpu-bootstrap.sh --install, or deploy the cpu variant",
    )


COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_CONFIG_HASH = "com.docker.compose.config-hash"


class ExistingNetwork(NamedTuple):
    name: str
    driver: str
    scope: str  # local, or swarm for an overlay
    subnets: list[IPv4Network]
    internal: bool
    encrypted: bool  # an overlay's IPsec (the `encrypted` option)
    compose_project: str  # the Compose project (stack) that made it, if any
    compose_hash: bool  # Compose recorded the configuration it made it with


def existing_networks(client: Any) -> list[ExistingNetwork]:
    """The engine's networks with their IPv4 subnets."""
    found = []
    for network in client.networks.list():
        attrs = network.attrs
        configs = (attrs.get("IPAM") or {}).get("Config") or []
        subnets = [IPv4Network(c["Subnet"]) for c in configs if "." in c.get("Subnet", "")]
        labels = attrs.get("Labels") or {}
        found.append(
            ExistingNetwork(
                network.name,
                attrs.get("Driver", ""),
                attrs.get("Scope", ""),
                subnets,
                bool(attrs.get("Internal")),
                "encrypted" in (attrs.get("Options") or {}),
                str(labels.get(COMPOSE_PROJECT, "")),
                bool(labels.get(COMPOSE_CONFIG_HASH)),
            )
        )
    return found


def _networks(client: Any, catalog: Catalog, services: list[Service], stack_ids: set[str]) -> Iterator[Check]:
    wanted = {a.network for s in services for a in s.networks}
    existing = existing_networks(client)
    for network_id in sorted(wanted):
        network = catalog.networks[network_id]
        same = next((e for e in existing if e.name == network.name), None)
        foreign = [
            e.name
            for e in existing
            if e.name != network.name and any(network.subnet.overlaps(s) for s in e.subnets)
        ]
        label = f"network {network.name}"
        if foreign:
            yield Check(
                label,
                "fail",
                f"{network.subnet} is already used by the foreign network {', '.join(foreign)}",
                f"remove it (docker network rm {foreign[0]}) or change catalog/networks/{network.id}.yaml",
            )
        elif same is not None and (differences := network_differences(network, same)):
            yield _differs(network, same, differences, stack_ids)
        elif same is not None:
            yield Check(label, "ok", f"exists with the catalog's subnet {network.subnet}")
        else:
            yield Check(label, "ok", f"{network.subnet} is free")


def network_differences(network: Network, existing: ExistingNetwork, overlay: bool = False) -> list[str]:
    """How a network that exists is not the catalog's: subnet, internal and, for a Swarm
    `overlay`, encrypted."""
    found = []
    if network.subnet not in existing.subnets:
        found.append(f"subnet {', '.join(map(str, existing.subnets))}, the catalog says {network.subnet}")
    compared = [("internal", existing.internal, network.internal)]
    if overlay:
        compared.append(("encrypted", existing.encrypted, network.encrypted))
    for name, there, wanted in compared:
        if there != wanted:
            found.append(f"{name} {str(there).lower()}, the catalog says {str(wanted).lower()}")
    return found


def _differs(network: Network, same: ExistingNetwork, differences: list[str], stack_ids: set[str]) -> Check:
    """Compose (2.31 and later) recreates a network it made for the stack when its configuration
    changed; one it did not make, 2.x refuses (no network label) and 5.4 and later use as it is
    (read in docker/compose's create.go and hash.go at v2.40.3, observed_state.go at v5.4.0)."""
    label, shown = f"network {network.name}", ", ".join(differences)
    if same.compose_hash and same.compose_project in stack_ids:
        return Check(
            label,
            "ok",
            f"exists with {shown}: Compose recreates it as the catalog says on the next up (2.31 and "
            "later), stopping the containers on it meanwhile",
        )
    return Check(
        label,
        "fail",
        f"exists with {shown}, and Compose did not make it for this stack: Compose 2.x refuses it, "
        "5.4 and later use it as it is",
        f"docker network rm {network.name} once no container uses it",
    )


def _listening_ports() -> set[tuple[str, int]]:
    """(protocol, port) of every listening socket on this machine, from /proc/net."""
    found: set[tuple[str, int]] = set()
    for protocol, files in (("tcp", ("tcp", "tcp6")), ("udp", ("udp", "udp6"))):
        for name in files:
            path = Path("/proc/net") / name
            if not path.exists():
                continue
            for line in path.read_text().splitlines()[1:]:
                fields = line.split()
                listening = fields[3] == "0A" if protocol == "tcp" else fields[3] == "07"
                if listening:
                    found.add((protocol, int(fields[1].rsplit(":", 1)[1], 16)))
    return found


def _ports(client: Any, services: list[Service], stack_ids: set[str]) -> Iterator[Check]:
    held: dict[tuple[str, int], str] = {}
    for container in client.containers.list():
        if container.labels.get(f"{LABEL_PREFIX}.stack") in stack_ids:
            continue  # our own deployment holds its ports
        for key, bindings in (container.attrs["NetworkSettings"].get("Ports") or {}).items():
            port, protocol = key.split("/")
            for binding in bindings or []:
                held[(protocol, int(binding["HostPort"]))] = container.name
    listening = _listening_ports() if is_local() else set()
    ours = {
        int(b["HostPort"])
        for c in client.containers.list()
        if c.labels.get(f"{LABEL_PREFIX}.stack") in stack_ids
        for bindings in (c.attrs["NetworkSettings"].get("Ports") or {}).values()
        for b in bindings or []
    }
    for service in services:
        for port in service.ports:
            if port.host is None:
                continue
            key = (port.protocol, port.host)
            label = f"port {port.host}/{port.protocol}"
            if key in held:
                yield Check(
                    label,
                    "fail",
                    f"published by container {held[key]} (needed by {service.id})",
                    f"stop {held[key]} or change the host port in catalog/services/{service.id}.yaml",
                )
            elif key in listening and port.host not in ours:
                yield Check(
                    label,
                    "fail",
                    f"a process on this host listens on it (needed by {service.id})",
                    f"find it with: ss -lntp 'sport = :{port.host}'",
                )
            else:
                yield Check(label, "ok", f"free for {service.id}")


def _mountpoints(catalog: Catalog, services: list[Service], altroot: str) -> Iterator[Check]:
    """Each dataset's folder where the compose files bind it (below ZFS_ALTROOT when set)."""
    datasets = sorted({v.source for s in services for v in s.volumes if v.source_kind == "dataset"})
    for dataset_id in datasets:
        dataset = catalog.datasets[dataset_id]
        label = f"dataset {dataset.full_name}"
        folder = altroot + dataset.mountpoint
        if not is_local():
            yield Check(label, "warn", f"cannot check {folder} on a remote engine")
        elif Path(folder).is_dir():
            yield Check(label, "ok", f"{folder} is there")
        else:
            yield Check(
                label,
                "warn",
                f"{folder} is missing (the deploy would stop)",
                "run scripts/zfs-datasets.sh",
            )


def _images(client: Any, services: list[Service], variant: Accelerator) -> Iterator[Check]:
    import docker

    for image in sorted({s.image_for(variant if s.in_variant(variant) else "cpu") for s in services}):
        try:
            client.images.get(image)
            yield Check(f"image {image}", "ok", "present")
        except docker.errors.ImageNotFound:
            yield Check(f"image {image}", "fail", "not on this host", f"docker pull {image}")


def pool_checks(catalog: Catalog, mapped: dict[str, str]) -> Iterator[Check]:
    """Each pool of this host the catalog's datasets go to (ZFS_POOLS maps the catalog's pools
    onto the host's, e.g. all three onto one), with its free space."""
    if not is_local() or shutil.which("zfs") is None:
        yield Check("zfs pools", "warn", "no zfs command here: pool space not checked")
        return
    on_host: dict[str, list[str]] = {}
    for pool in sorted(catalog.pools):
        on_host.setdefault(mapped.get(pool, pool), []).append(pool)
    for pool, holds in sorted(on_host.items()):
        # the pool's root dataset, in bytes (`zpool list -p` is missing from older zpools)
        result = subprocess.run(
            ["zfs", "get", "-H", "-p", "-o", "value", "available,used", pool],
            capture_output=True,
            text=True,
            timeout=30,
        )
        pool_name = f"pool {pool} (for {', '.join(holds)})" if holds != [pool] else f"pool {pool}"
        if result.returncode != 0:
            hint = "create or import it, or put the catalog's pool on one of this host's (ZFS_POOLS)"
            yield Check(pool_name, "warn", "not imported on this host", hint)
            continue
        free, used = (int(x) for x in result.stdout.split())
        size = free + used
        share = 100 * free // size if size else 0
        status = "ok" if share >= 20 else "warn"
        yield Check(pool_name, status, f"{free // 2**30} GiB free ({share} %)")


def _templates_url(catalog: Catalog, services: list[Service]) -> Iterator[Check]:
    """Portainer starts with the published templates.json: does that address answer with one?"""
    if catalog.publish is None or not any(service.serves_templates for service in services):
        return
    yield templates_check(templates_url(catalog.publish))


def templates_check(url: str, timeout: float = 10.0) -> Check:
    hint = "publish the docs site (gen site build) there, or set site_url in publish.yaml"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            document = json.loads(response.read(8 * 2**20))
    except (OSError, ValueError) as error:  # HTTP errors, no route, a timeout, not JSON
        reason = getattr(error, "reason", None) or error
        return Check("templates url", "warn", f"{url}: {reason}: Portainer's App Templates stay empty", hint)
    if not isinstance(document, dict) or not isinstance(document.get("templates"), list):
        return Check("templates url", "warn", f"{url} answers, but not with App Templates", hint)
    return Check("templates url", "ok", f"{url}: {len(document['templates'])} templates")
