"""`gen drift`: the containers running now, compared with what the catalog says they should be.

Containers are found by the labels the compose files set (ai-stack.stack/.service/.variant).
Per-host settings (limits, ZFS_ALTROOT, host paths) are read from the deploy's env file when
given. Environment variables are compared by NAME only; values are never printed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Service
from generator.envfile import read_assignments, setting
from generator.hosts.report import Finding
from generator.plan import Plan
from generator.plan.rules import LABEL_PREFIX, ZFS_ALTROOT, dataset_path, format_cpus, limit_variables
from generator.units import docker_bytes

SWARM_TASK_LABEL = "com.docker.swarm.task.id"  # on the containers of Swarm's tasks


def expected_binds(
    catalog: Catalog, service: Service, settings: dict[str, str]
) -> dict[str, tuple[str, bool]]:
    """target -> (host source, writable) of the service's bind mounts on this host."""
    binds = {}
    for volume in service.volumes:
        if volume.source_kind == "dataset":
            source = settings.get(ZFS_ALTROOT, "") + dataset_path(catalog, volume)
        elif volume.source_kind == "host_path":
            source = (
                setting(settings, volume.env_override, volume.source)
                if volume.env_override
                else volume.source
            )
        else:
            continue  # generated files and named volumes are not binds of a host path
        binds[volume.target] = (source, not volume.read_only)
    return binds


def compare(
    client: Any, catalog: Catalog, service: Service, container: Any, settings: dict[str, str]
) -> list[str]:
    attrs = container.attrs
    variant: Accelerator = container.labels.get(f"{LABEL_PREFIX}.variant", "cpu")
    host = attrs["HostConfig"]
    differences = []
    image = service.image_for(variant)
    if attrs["Config"]["Image"] != image:
        differences.append(f"image is {attrs['Config']['Image']}, the catalog says {image}")
    networks = attrs["NetworkSettings"]["Networks"] or {}
    for attachment in service.networks:
        name = catalog.networks[attachment.network].name
        actual = (networks.get(name) or {}).get("IPAddress") or "none"
        if actual != str(attachment.ipv4_address):
            differences.append(f"address on {name} is {actual}, the catalog says {attachment.ipv4_address}")
    differences += limit_differences(service, settings, host.get("NanoCpus", 0), host.get("Memory", 0))
    restart = (host.get("RestartPolicy") or {}).get("Name") or "no"
    if restart != service.restart:
        differences.append(f"restart policy is {restart}, the catalog says {service.restart}")
    differences += _mount_differences(catalog, service, attrs, settings)
    differences += _env_differences(client, service, attrs)
    health = ((attrs.get("State") or {}).get("Health") or {}).get("Status")
    if service.healthcheck and health != "healthy":
        differences.append(f"health is {health or 'unknown'}")
    return differences


def limit_differences(service: Service, settings: dict[str, str], nano_cpus: int, memory: int) -> list[str]:
    """The container's or Swarm task's CPU and memory limits against the catalog's, with the
    env file's per-host values."""
    cpus_name, memory_name = limit_variables(service)
    cpus = float(setting(settings, cpus_name, format_cpus(service.limits.cpus)))
    differences = []
    if nano_cpus != int(cpus * 1e9):
        differences.append(f"CPU limit is {nano_cpus / 1e9:g}, the catalog says {cpus:g}")
    expected_memory = setting(settings, memory_name, service.limits.memory)
    if memory != docker_bytes(expected_memory):
        differences.append(f"memory limit is {memory} bytes, the catalog says {expected_memory}")
    return differences


def _mount_differences(catalog: Catalog, service: Service, attrs: Any, settings: dict[str, str]) -> list[str]:
    actual = {
        m["Destination"]: (m["Source"], bool(m["RW"])) for m in attrs.get("Mounts", []) if m["Type"] == "bind"
    }
    return bind_differences(actual, expected_binds(catalog, service, settings))


def bind_differences(actual: dict[str, tuple[str, bool]], expected: dict[str, tuple[str, bool]]) -> list[str]:
    """target -> (host source, writable) as found, against the catalog's (`expected_binds`)."""
    differences = []
    for target, (source, writable) in sorted(expected.items()):
        found = actual.get(target)
        if found is None:
            differences.append(f"mount {target} is missing (the catalog binds {source})")
        elif found != (source, writable):
            mode = "read-write" if writable else "read-only"
            differences.append(
                f"mount {target} is {found[0]} ({'read-write' if found[1] else 'read-only'}), "
                f"the catalog says {source} ({mode})"
            )
    return differences


def _env_differences(client: Any, service: Service, attrs: Any) -> list[str]:
    names = {item.split("=", 1)[0] for item in attrs["Config"].get("Env") or []}
    try:
        image_env = client.images.get(attrs["Config"]["Image"]).attrs["Config"].get("Env") or []
    except Exception:
        image_env = []
    from_image = {item.split("=", 1)[0] for item in image_env}
    expected = {env.name for env in service.env}
    differences = [f"variable {name} is missing" for name in sorted(expected - names)]
    differences += [
        f"extra variable {name} (not in the catalog)" for name in sorted(names - expected - from_image)
    ]
    return differences


def deployed_variants(known: Iterable[Accelerator], labels: list[dict[str, str]]) -> set[Accelerator]:
    """Of a stack's `known` variants, those its deployed services say they are (their labels),
    else all: a service only another variant runs is not missing."""
    found = {label.get(f"{LABEL_PREFIX}.variant") for label in labels}
    return {v for v in known if v in found} or set(known)


def run_drift(client: Any, plan: Plan, stack_ids: list[str], env_file: Path | None) -> list[Finding]:
    catalog = plan.catalog
    settings = read_assignments(env_file) if env_file else {}
    # stopped containers too: a one-shot job (restart: "no") has done its work once it exited
    labelled = client.containers.list(all=True, filters={"label": f"{LABEL_PREFIX}.service"})
    # a Swarm task's container is its service's (gen drift --swarm): its overlay address, for
    # one, is not the catalog's static one
    every = [c for c in labelled if SWARM_TASK_LABEL not in c.labels]
    swarm_stacks = {c.labels.get(f"{LABEL_PREFIX}.stack") for c in labelled if SWARM_TASK_LABEL in c.labels}
    containers = [c for c in every if c.status == "running"]
    findings = []
    for stack_id in stack_ids:
        stack = catalog.stacks[stack_id]
        variants = deployed_variants(
            catalog.stack_accelerators(stack),
            [c.labels for c in every if c.labels.get(f"{LABEL_PREFIX}.stack") == stack.id],
        )
        for service in catalog.stack_services(stack):
            matching = [
                c
                for c in (every if service.restart == "no" else containers)
                if c.labels.get(f"{LABEL_PREFIX}.service") == service.id
                and c.labels.get(f"{LABEL_PREFIX}.stack") == stack.id
            ]
            if not matching:
                if any(service.in_variant(v) for v in variants):
                    why = "no running container" + (
                        " (Swarm runs this stack here: gen drift --swarm)" if stack.id in swarm_stacks else ""
                    )
                    findings.append(Finding(service.id, stack.id, "missing", [why]))
                continue
            if service.restart == "no" and matching[0].status != "running":
                code = (matching[0].attrs.get("State") or {}).get("ExitCode")
                failed = [] if code == 0 else [f"the one-shot job exited with status {code}"]
                findings.append(Finding(service.id, stack.id, "drifted" if failed else "in-sync", failed))
                continue
            try:
                differences = compare(client, catalog, service, matching[0], settings)
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
                # the engine's description of the container, or the env file, is not as expected
                differences = [f"could not compare: an unexpected answer or setting ({error!r})"]
            findings.append(
                Finding(service.id, stack.id, "drifted" if differences else "in-sync", differences)
            )
    known = {(st.id, s) for st in catalog.stacks.values() for s in st.services}
    for container in containers:
        key = (
            container.labels.get(f"{LABEL_PREFIX}.stack", ""),
            container.labels.get(f"{LABEL_PREFIX}.service", ""),
        )
        if key[0] in stack_ids and key not in known:
            findings.append(
                Finding(key[1], key[0], "unknown", [f"container {container.name} is not in the catalog"])
            )
    return findings
