"""Stand-in images for the catalog's images (no registry is reachable here).

Each stand-in is a busybox-static root filesystem (tests/rootfs.py) imported with `docker import`
and tagged with the catalog's image name, so the generated compose files run unmodified. Its
entrypoint ignores the real image's arguments and serves static pages on the service's container
ports (health endpoints, /metrics, Portainer's /api/system/status). Where the real program
installs here, the image runs it instead (tests/real_images.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import docker

from generator.catalog.model import Catalog
from tests.real_images import PROGRAM_BUILDERS, build_real, real_program
from tests.rootfs import STANDIN_LABEL, image_is_current, rootfs


def standin_images(catalog: Catalog) -> dict[str, list[int]]:
    """Every image the catalog names, with the container ports its stand-in must serve."""
    images: dict[str, set[int]] = {}
    for service in catalog.services.values():
        ports = {p.container for p in service.ports if p.protocol == "tcp"}
        for variant in ("cpu", "nvidia", "amd"):
            if service.in_variant(variant):
                images.setdefault(service.image_for(variant), set()).update(ports)
    return {image: sorted(ports) for image, ports in sorted(images.items())}


def build_standins(
    client: docker.DockerClient, images: dict[str, list[int]], releases: bool = True
) -> list[str]:
    """Import a stand-in for each image that is not there yet; returns the images built.
    Images of a program that installs here run the real program (tests/real_images.py); with
    `releases` False, those built from upstream releases (Open WebUI, code-server) are plain
    stand-ins (the multi-node tests of placement and networking need no more, on every node)."""
    built = []
    data = rootfs()
    for image, ports in images.items():
        builder = PROGRAM_BUILDERS.get(image.rsplit(":", 1)[0].rsplit("/", 1)[-1]) if releases else None
        if builder is not None:
            if builder(client, image):
                built.append(image)
            continue
        program = real_program(image)
        if program is not None:
            if build_real(client, image, program):
                built.append(image)
            continue
        port_list = ",".join(str(p) for p in ports)
        version = hashlib.sha256(data + port_list.encode()).hexdigest()[:16]
        if image_is_current(client, image, version):
            continue
        repository, tag = image.rsplit(":", 1)
        changes = [
            'ENTRYPOINT ["/standin"]',
            f"ENV STANDIN_PORTS={port_list}",
            f"LABEL {STANDIN_LABEL}={version}",
        ]
        client.api.import_image_from_data(data, repository=repository, tag=tag, changes=changes)
        built.append(image)
    return built


def remove_standins(client: docker.DockerClient, images: Iterable[str]) -> None:
    for image in images:
        client.images.remove(image, force=True)
