"""The variables the generator names itself, which no catalog entry may take for another meaning:
the ZFS altroot every dataset bind starts with, and each service's limit variables."""

from __future__ import annotations

from generator.catalog.model import Service

ZFS_ALTROOT = "ZFS_ALTROOT"
# Read by the ZFS script, `gen up` and `gen doctor` from a stack's env file, never by Compose:
# the catalog's pools on this host's, as space-separated CATALOG_POOL=HOST_POOL pairs.
ZFS_POOLS = "ZFS_POOLS"


def pool_map(value: str) -> dict[str, str]:
    """ZFS_POOLS' pairs as {catalog pool: host pool}; words without '=' are left out (the ZFS
    script refuses them with its usage message)."""
    return dict(word.split("=", 1) for word in value.split() if "=" in word)


def limit_variables(service: Service) -> tuple[str, str]:
    """The variables that override a service's CPU and memory limits on a smaller host."""
    prefix = service.id.upper().replace("-", "_")
    return f"{prefix}_CPUS", f"{prefix}_MEMORY"
