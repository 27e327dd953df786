"""Bind mounts: ZFS datasets at their mountpoints, host paths with their reason, generated files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.catalog.model import Catalog, Service, Volume
from generator.catalog.variables import ZFS_ALTROOT
from generator.plan.compose.references import path_reference
from generator.plan.rules import dataset_path


def bind_source(catalog: Catalog, volume: Volume) -> str:
    if volume.source_kind == "dataset":
        return f"${{{ZFS_ALTROOT}:-}}{dataset_path(catalog, volume)}"
    if volume.env_override:
        return path_reference(volume.env_override, volume.source)
    return volume.source


def service_volumes(catalog: Catalog, service: Service) -> list[dict[str, Any]]:
    """Long-syntax binds. A missing dataset mountpoint stops the deploy instead of Docker creating
    an empty folder on the root filesystem, where the data would silently land."""
    mounts = []
    for volume in service.volumes:
        if volume.source_kind == "generated":
            continue  # delivered as a compose config, see render/configs.py
        if volume.source_kind == "volume":
            mount: dict[str, Any] = {"type": "volume", "source": volume.source, "target": volume.target}
        else:
            mount = {"type": "bind", "source": bind_source(catalog, volume), "target": volume.target}
        if volume.read_only:
            mount["read_only"] = True
        if volume.source_kind != "volume":
            mount["bind"] = {"create_host_path": volume.create_host_path}
            if volume.propagation:
                mount["bind"]["propagation"] = volume.propagation
        mounts.append(mount)
    return mounts


def named_volumes(services: Iterable[Service]) -> dict[str, Any]:
    """Top-level declarations of the Docker named volumes the services use."""
    names = sorted({v.source for s in services for v in s.volumes if v.source_kind == "volume"})
    return {name: {"name": name} for name in names}
