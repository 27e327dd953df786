"""`gen drift`: the containers running now, compared with what the catalog says they should be.

Containers are found by the labels the compose files set (ai-stack.stack/.service/.variant).
Per-host settings (limits, ZFS_ALTROOT, host paths) are read from the deploy's env file when
given. Environment variables are compared by NAME only; values are never printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog
from generator.envfile import read_assignments
from generator.hosts import expected
from generator.hosts.report import Finding
from generator.plan import Plan
from generator.plan.rules import LABEL_PREFIX

SWARM_TASK_LABEL = "com.docker.swarm.task.id"  # on the containers of Swarm's tasks


def compare(
    client: Any, catalog: Catalog, entry: Mapping[str, Any], container: Any, settings: dict[str, str]
) -> list[str]:
    """The container against its service's entry in the plan's compose file, read with `settings`."""
    attrs = container.attrs
    host = attrs["HostConfig"]
    differences = []
    if attrs["Config"]["Image"] != entry["image"]:
        differences.append(f"image is {attrs['Config']['Image']}, the catalog says {entry['image']}")
    networks = attrs["NetworkSettings"]["Networks"] or {}
    for network_id, attachment in (entry.get("networks") or {}).items():
        name, address = catalog.networks[network_id].name, attachment["ipv4_address"]
        actual = (networks.get(name) or {}).get("IPAddress") or "none"
        if actual != address:
            differences.append(f"address on {name} is {actual}, the catalog says {address}")
    differences += expected.limit_differences(entry, settings, host.get("NanoCpus", 0), host.get("Memory", 0))
    restart = (host.get("RestartPolicy") or {}).get("Name") or "no"
    if restart != entry["restart"]:
        differences.append(f"restart policy is {restart}, the catalog says {entry['restart']}")
    mounts = [m for m in attrs.get("Mounts", []) if m["Type"] == "bind"]
    actual_binds = {m["Destination"]: (m["Source"], bool(m["RW"])) for m in mounts}
    differences += expected.bind_differences(actual_binds, expected.binds(entry, settings))
    names = {item.split("=", 1)[0] for item in attrs["Config"].get("Env") or []}
    differences += expected.variable_differences(entry, names, _image_variables(client, attrs))
    health = ((attrs.get("State") or {}).get("Health") or {}).get("Status")
    if "healthcheck" in entry and health != "healthy":
        differences.append(f"health is {health or 'unknown'}")
    return differences


def _image_variables(client: Any, attrs: Any) -> set[str]:
    try:
        image_env = client.images.get(attrs["Config"]["Image"]).attrs["Config"].get("Env") or []
    except Exception:
        image_env = []
    return {item.split("=", 1)[0] for item in image_env}


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
                variant = matching[0].labels.get(f"{LABEL_PREFIX}.variant", "cpu")
                deployment = plan.find(stack, variant)
                entry = deployment.compose_services.get(service.id) if deployment else None
                differences = (
                    compare(client, catalog, entry, matching[0], settings)
                    if entry is not None
                    else [f"deployed as the {variant} variant, which has no such service"]
                )
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
