"""What a service's entry in the plan means on one host: its `${VAR:-default}` references read
with the env file the stack was deployed with, as Compose and `docker stack deploy` read them.
`gen drift` and `gen drift --swarm` both compare what runs with this, so "in sync" means one
thing: what the generated file deploys with that env file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from generator.envfile import setting
from generator.units import docker_bytes

# $$, or ${NAME}, ${NAME:-default} or ${NAME:?message}: the forms the plan writes
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}")


def interpolated(text: str, settings: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, form, default = match.groups()
        return setting(dict(settings), name, default) if form == "-" else settings.get(name, "")

    return _REFERENCE.sub(one, text)


def binds(entry: Mapping[str, Any], settings: Mapping[str, str]) -> dict[str, tuple[str, bool]]:
    """target -> (host source, writable) of the entry's bind mounts."""
    return {
        mount["target"]: (interpolated(mount["source"], settings), not mount.get("read_only", False))
        for mount in entry.get("volumes", [])
        if mount["type"] == "bind"
    }


def limits(entry: Mapping[str, Any], settings: Mapping[str, str]) -> tuple[str, str]:
    """The entry's CPU and memory limits as written after interpolation, e.g. ("2", "4g")."""
    written = entry["deploy"]["resources"]["limits"]
    return interpolated(str(written["cpus"]), settings), interpolated(str(written["memory"]), settings)


def limit_differences(
    entry: Mapping[str, Any], settings: Mapping[str, str], nano_cpus: int, memory: int
) -> list[str]:
    """The container's or Swarm task's CPU and memory limits against the entry's."""
    cpus, expected_memory = limits(entry, settings)
    differences = []
    if nano_cpus != int(float(cpus) * 1e9):
        differences.append(f"CPU limit is {nano_cpus / 1e9:g}, the catalog says {float(cpus):g}")
    if memory != docker_bytes(expected_memory):
        differences.append(f"memory limit is {memory} bytes, the catalog says {expected_memory}")
    return differences


def bind_differences(actual: dict[str, tuple[str, bool]], expected: dict[str, tuple[str, bool]]) -> list[str]:
    """target -> (host source, writable) as found, against the entry's (`binds`)."""
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


def variable_differences(entry: Mapping[str, Any], names: set[str], from_image: set[str]) -> list[str]:
    """The variables set in the container (`names`) against the entry's, by name only (values are
    never read); those the image sets itself are not extra."""
    expected = set(entry.get("environment") or {})
    differences = [f"variable {name} is missing" for name in sorted(expected - names)]
    differences += [
        f"extra variable {name} (not in the catalog)" for name in sorted(names - expected - from_image)
    ]
    return differences
