"""The host paths and device nodes a stack binds, held against this host before a deploy.

Docker refuses to start a container whose device node or bind source is missing (Swarm rejects
the task), so each one is checked. One the catalog marks `if_missing` is optional: where this host
lacks it, the stack's env file sets its variable to /dev/null and the service runs without it,
losing what the catalog says.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from generator.catalog.model import Accelerator, Service
from generator.envfile import setting
from generator.hosts.report import Check
from generator.plan.rules import NOT_HERE


@dataclass(frozen=True)
class HostPath:
    kind: str  # "host path" or "device"
    path: str  # as the catalog names it
    variable: str | None  # the env_override that replaces it on a host that differs
    services: tuple[str, ...]
    why: str  # the catalog's reason for binding it
    if_missing: str | None  # set: optional, and what its services lose without it
    create: bool = False  # Compose creates a missing folder (create_host_path)
    propagation: str | None = None  # the bind's mount propagation, when the catalog sets one


def host_paths(services: Iterable[Service], variant: Accelerator = "cpu") -> list[HostPath]:
    """Every host path and device node the services bind, once each, in path order. A path one
    service needs and another may do without is needed."""
    found: dict[tuple[str, str], HostPath] = {}

    def add(entry: HostPath) -> None:
        known = found.get((entry.kind, entry.path))
        if known is None:
            found[(entry.kind, entry.path)] = entry
        elif entry.services[0] not in known.services:
            optional = known.if_missing if entry.if_missing else None
            propagation = known.propagation or entry.propagation
            services = (*known.services, *entry.services)
            merged = replace(known, services=services, if_missing=optional, propagation=propagation)
            found[(entry.kind, entry.path)] = merged

    for service in services:
        for volume in service.volumes:
            if volume.source_kind == "host_path":
                add(
                    HostPath(
                        "host path",
                        volume.source,
                        volume.env_override,
                        (service.id,),
                        volume.reason or "",
                        volume.if_missing,
                        volume.create_host_path,
                        volume.propagation,
                    )
                )
        for device in service.devices:
            add(HostPath("device", device.path, device.env_override, (service.id,), "", device.if_missing))
        amd = service.gpu.amd if service.gpu else None
        if variant == "amd" and amd:
            for path in amd.devices:
                add(HostPath("device", path, None, (service.id,), "the AMD GPU (ROCm)", None))
    return sorted(found.values(), key=lambda p: (p.path, p.kind))


def absent_here(services: Iterable[Service], settings: dict[str, str]) -> dict[str, str]:
    """The env file lines this host needs, as `gen doctor` asks for them: each optional path or
    device it lacks, set to /dev/null."""
    return {
        entry.variable: NOT_HERE
        for entry in host_paths(services)
        if entry.variable and entry.if_missing and _check(entry, settings, True, False).status == "fail"
    }


def path_checks(
    entries: Iterable[HostPath], settings: dict[str, str], local: bool, swarm: bool = False
) -> Iterator[Check]:
    """One check per path: there, left out on purpose, or missing (with the env line that helps
    when the catalog allows the service to run without it)."""
    for entry in entries:
        if swarm and entry.kind == "device":
            continue  # Swarm services get no devices
        yield _check(entry, settings, local, swarm)


def _check(entry: HostPath, settings: dict[str, str], local: bool, swarm: bool) -> Check:
    name = f"{entry.kind} {entry.path}"
    who = ", ".join(entry.services)
    path = setting(settings, entry.variable, entry.path) if entry.variable else entry.path
    assigned = f"{entry.variable}={path}" if path != entry.path else ""
    if path == NOT_HERE and entry.if_missing:
        where = "on every node" if swarm else "on this host"
        return Check(name, "ok", f"left out {where} ({assigned}): {who} runs without it: {entry.if_missing}")
    if not local:
        return Check(name, "warn", f"cannot check {path} on a remote engine ({who} binds it)")
    found = _found(path, entry.kind)
    if found is None:
        return Check(name, "warn", f"cannot check {path}: permission denied (run gen doctor as root)")
    nodes = " (on this node; every node that runs it needs it too)" if swarm else ""
    if found:
        refused = propagation_refused(path, entry.propagation)
        if refused:
            kind, mount = refused
            message = f"{path} is on {kind} ({mount}): Docker refuses its {entry.propagation} bind for {who}"
            hint = f"make it shared, as systemd does at boot: mount --make-rshared {mount}"
            return Check(name, "fail", message, hint)
        return Check(name, "ok", f"{path} is there{nodes}" + (f" ({assigned})" if assigned else ""))
    if entry.create and not swarm:
        return Check(name, "warn", f"{path} is missing: Compose creates it as an empty folder for {who}")
    stops = "Swarm rejects its tasks" if swarm else "Docker refuses to start it"
    missing = "is not a device node" if entry.kind == "device" and _found(path, "host path") else "is missing"
    message = f"{path} {missing}: {who} binds it and {stops}"
    if entry.if_missing and entry.variable:
        hint = f"set {entry.variable}={NOT_HERE} in the stack's env file: {who} then runs without it: "
        return Check(name, "fail", message, hint + entry.if_missing)
    return Check(name, "fail", message, f"{who} needs it: {entry.why}" if entry.why else "")


def _found(path: str, kind: str) -> bool | None:
    """Whether Docker finds the path as it binds it (a device node, or a folder of them, for a
    device); None when this user may not look."""
    try:
        mode = os.stat(path).st_mode  # noqa: PTH116 (a Path drops a trailing slash; Docker does not)
    except PermissionError:
        return None
    except (FileNotFoundError, NotADirectoryError, OSError):
        return False
    return kind != "device" or stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISDIR(mode)


# Docker binds with slave propagation only from a shared or slave mount, with shared only from a
# shared one (moby daemon/oci_linux.go, ensureSharedOrSlave and ensureShared).
NEEDS = {
    "rslave": ("shared:", "master:"),
    "slave": ("shared:", "master:"),
    "rshared": ("shared:",),
    "shared": ("shared:",),
}


MOUNTINFO = "/proc/self/mountinfo"


def propagation_refused(path: str, propagation: str | None) -> tuple[str, str] | None:
    """('a private mount', its mount point) when the mount that holds `path` cannot give the bind
    `propagation`; None when it can, when none is asked for, or when the mount table is unreadable."""
    if propagation not in NEEDS:
        return None
    try:
        lines = Path(MOUNTINFO).read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(path)
    holder, tags = "", [""]
    for line in lines:
        fields = line.split(" - ", 1)[0].split()
        if len(fields) < 6:
            continue
        point = fields[4].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(holder):
            holder, tags = point, fields[6:]
    if not holder or any(tag.startswith(NEEDS[propagation]) for tag in tags):
        return None
    kind = "a slave mount" if any(tag.startswith("master:") for tag in tags) else "a private mount"
    return kind, holder
