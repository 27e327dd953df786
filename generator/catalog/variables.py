"""The variables the generator names itself, which no catalog entry may take for another meaning:
the ZFS altroot every dataset bind starts with, and each service's limit variables."""

from __future__ import annotations

from generator.catalog.model import Service

ZFS_ALTROOT = "ZFS_ALTROOT"


def limit_variables(service: Service) -> tuple[str, str]:
    """The variables that override a service's CPU and memory limits on a smaller host."""
    prefix = service.id.upper().replace("-", "_")
    return f"{prefix}_CPUS", f"{prefix}_MEMORY"
