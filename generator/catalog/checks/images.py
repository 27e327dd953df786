"""Images must be pullable as named: a fresh host deploys the generated files with nothing built."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.diagnostics import Diagnostic


def image_registry(reference: str) -> str:
    """The registry host of an image reference ('docker.io' when it names none)."""
    first, _, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def local_only_registry(reference: str) -> str | None:
    """The registry when it can only be the deploying host itself (localhost, a loopback address)."""
    registry = image_registry(reference)
    host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    host = host.strip("[]")
    if host == "localhost" or host.endswith(".localhost"):
        return registry
    try:
        return registry if ipaddress.ip_address(host).is_loopback else None
    except ValueError:
        return None


def check_images_pullable(context: Context) -> Iterator[Diagnostic]:
    for service in context.catalog.services.values():
        places: list[tuple[list[str | int], str]] = [(["image"], service.image)]
        if service.gpu and service.gpu.nvidia and service.gpu.nvidia.image:
            places.append((["gpu", "nvidia", "image"], service.gpu.nvidia.image))
        if service.gpu and service.gpu.amd and service.gpu.amd.image:
            places.append((["gpu", "amd", "image"], service.gpu.amd.image))
        for parts, reference in places:
            registry = local_only_registry(reference)
            if registry is not None:
                message = (
                    f"{reference!r} is served by {registry}, the deploying host itself, so a fresh "
                    "host (or Portainer pulling the stack) cannot pull it: name an image that a "
                    "registry serves (docker.io, ghcr.io, quay.io or your own registry's host name)"
                )
                yield context.at("service", service.id, parts, message)


CHECKS = (check_images_pullable,)
