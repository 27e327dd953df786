"""`gen drift --swarm`: the stacks' Swarm services, compared with the catalog's Swarm files.
Asked of a manager: a Swarm service's tasks run on any node, so the services are compared, not
one engine's containers (whose overlay addresses are not the catalog's static ones).

Services are found by the labels the Swarm files set on them (deploy.labels: ai-stack.stack,
.service, .variant). Per-host settings (limits, ZFS_ALTROOT, host paths) come from the env file,
as for `gen drift`. Compared: image, replicas or global mode, placement constraints, networks,
limits, bind mounts, environment variable names (never values) and the tasks that run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.catalog.model import Accelerator, Catalog, Service
from generator.envfile import read_assignments
from generator.hosts import expected
from generator.hosts.drift import deployed_variants
from generator.hosts.report import UNEXPECTED_ANSWER, Finding
from generator.plan import Plan
from generator.plan.rules import LABEL_PREFIX


def run_swarm_drift(client: Any, plan: Plan, stack_ids: list[str], env_file: Path | None) -> list[Finding]:
    catalog = plan.catalog
    settings = read_assignments(env_file) if env_file else {}
    deployed = [s.attrs for s in client.services.list(filters={"label": f"{LABEL_PREFIX}.service"})]
    network_names = {n.id: n.name for n in client.networks.list()}
    tasks: dict[str, list[dict[str, Any]]] = {}  # every task, listed once, by service id
    for listed in client.api.tasks():
        tasks.setdefault(listed.get("ServiceID", ""), []).append(listed)
    findings = []
    for stack_id in stack_ids:
        stack = catalog.stacks[stack_id]
        variants = deployed_variants(
            catalog.swarm_accelerators(stack),
            [_labels(a) for a in deployed if _key(a)[0] == stack.id],
        )
        for service in catalog.stack_services(stack):
            found = [a for a in deployed if _key(a) == (stack.id, service.id)]
            if not found:
                if any(service.in_variant(v) for v in variants):
                    findings.append(Finding(service.id, stack.id, "missing", ["no Swarm service"]))
                continue
            try:
                variant = _variant(found[0])
                deployment = plan.find(stack, variant)
                entry = deployment.swarm.entries.get(service.id) if deployment else None
                differences = (
                    compare_service(catalog, service, found[0], entry, settings, network_names, tasks)
                    if entry is not None
                    else [f"deployed as the {variant} variant, which has no such service"]
                )
            except UNEXPECTED_ANSWER as error:
                differences = [f"could not compare: an unexpected answer or setting ({error!r})"]
            findings.append(
                Finding(service.id, stack.id, "drifted" if differences else "in-sync", differences)
            )
    known = {(st.id, s) for st in catalog.stacks.values() for s in st.services}
    for attrs in deployed:
        key = _key(attrs)
        if key[0] in stack_ids and key not in known:
            name = (attrs.get("Spec") or {}).get("Name", "")
            findings.append(
                Finding(key[1], key[0], "unknown", [f"Swarm service {name} is not in the catalog"])
            )
    return findings


def _labels(attrs: dict[str, Any]) -> dict[str, str]:
    """The service's labels (a missing or odd Spec reads as none, and is compared as such)."""
    labels = (attrs.get("Spec") or {}).get("Labels")
    return labels if isinstance(labels, dict) else {}


def _key(attrs: dict[str, Any]) -> tuple[str, str]:
    labels = _labels(attrs)
    return labels.get(f"{LABEL_PREFIX}.stack", ""), labels.get(f"{LABEL_PREFIX}.service", "")


def _variant(attrs: dict[str, Any]) -> Accelerator:
    variant = _labels(attrs).get(f"{LABEL_PREFIX}.variant", "cpu")
    if variant == "nvidia":
        return "nvidia"
    if variant == "cpu":
        return "cpu"
    raise ValueError(f"variant label {variant!r}")  # Swarm has no amd variant


def compare_service(
    catalog: Catalog,
    service: Service,
    attrs: dict[str, Any],
    entry: Mapping[str, Any],
    settings: dict[str, str],
    network_names: dict[str, str],
    tasks: dict[str, list[dict[str, Any]]],
) -> list[str]:
    """`entry`: the service as the stack's swarm.yaml has it; `tasks`: the swarm's, by service id."""
    spec = attrs["Spec"]
    task = spec["TaskTemplate"]
    container = task["ContainerSpec"]
    limits = (task.get("Resources") or {}).get("Limits") or {}
    differences = []
    image = container["Image"].split("@", 1)[0]  # docker stack deploy may pin the digest it found
    if image != entry["image"]:
        differences.append(f"image is {image}, the catalog says {entry['image']}")
    differences += _mode_differences(spec.get("Mode") or {}, service)
    differences += _placement_differences(entry, task)
    differences += _network_differences(catalog, service, task, network_names)
    differences += expected.limit_differences(
        entry, settings, limits.get("NanoCPUs", 0), limits.get("MemoryBytes", 0)
    )
    mounts = [m for m in container.get("Mounts") or [] if m.get("Type") == "bind"]
    actual_binds = {m["Target"]: (m["Source"], not m.get("ReadOnly", False)) for m in mounts}
    differences += expected.bind_differences(actual_binds, expected.binds(entry, settings))
    names = {item.split("=", 1)[0] for item in container.get("Env") or []}
    differences += expected.variable_differences(entry, names, set())
    return differences + _task_differences(tasks.get(attrs["ID"], []), service)


def _placement_differences(entry: Mapping[str, Any], task: dict[str, Any]) -> list[str]:
    constraints = sorted((task.get("Placement") or {}).get("Constraints") or [])
    wanted = sorted(entry["deploy"]["placement"]["constraints"])
    if constraints == wanted:
        return []
    return [f"placement is {'; '.join(constraints) or 'anywhere'}, the catalog says {'; '.join(wanted)}"]


def _network_differences(
    catalog: Catalog, service: Service, task: dict[str, Any], network_names: dict[str, str]
) -> list[str]:
    networks = {network_names.get(n["Target"], n["Target"]) for n in task.get("Networks") or []}
    expected = {catalog.networks[a.network].name for a in service.networks}
    if networks == expected:
        return []
    shown = ", ".join(sorted(networks)) or "none"
    return [f"networks are {shown}, the catalog says {', '.join(sorted(expected))}"]


def _mode_differences(mode: dict[str, Any], service: Service) -> list[str]:
    if service.swarm_mode == "global":
        return (
            [] if "Global" in mode else [f"mode is {', '.join(mode) or 'unknown'}, the catalog says global"]
        )
    replicas = (mode.get("Replicated") or {}).get("Replicas")
    if replicas != service.swarm_replicas:
        shown = "global" if "Global" in mode else f"{replicas} replicas"
        return [f"{shown}, the catalog says {service.swarm_replicas} replicas"]
    return []


def _task_differences(tasks: list[dict[str, Any]], service: Service) -> list[str]:
    if service.restart == "no":  # a one-shot job: its last task has done its work once it completed
        last = max(tasks, key=lambda t: t.get("CreatedAt", ""), default=None)
        state = ((last or {}).get("Status") or {}).get("State", "none")
        return (
            []
            if state in ("complete", "running", "starting", "preparing")
            else [f"the one-shot job's task is {state}"]
        )
    wanted = [t for t in tasks if t.get("DesiredState") == "running"]
    running = [t for t in wanted if (t.get("Status") or {}).get("State") == "running"]
    expected = len(wanted) if service.swarm_mode == "global" else service.swarm_replicas
    if not wanted:
        return ["no task is scheduled (no node meets its placement: gen doctor --swarm says why)"]
    if len(running) < expected:
        return [f"{len(running)} of {expected} tasks running"]
    return []
