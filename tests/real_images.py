"""Images that run the REAL program under the catalog's image name (no registry is reachable here).

Each one is the stand-in root filesystem (busybox, as the upstream Prometheus images use) plus the
program from its Debian package and the shared libraries it loads, with the entrypoint, command,
user and paths of the upstream image. The compose files run unmodified; only the packaging and
the version differ from upstream (Debian bookworm's: Prometheus 2.42, node_exporter 1.5,
blackbox_exporter 0.23, Caddy 2.6), which the tests that use them say.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import docker

from tests.rootfs import STANDIN_LABEL, rootfs, shared_libraries


@dataclass(frozen=True)
class RealProgram:
    """How the upstream image runs its program, and which Debian package provides it."""

    package: str
    binaries: dict[str, str]  # path in the image -> command on this host
    changes: list[str]  # Dockerfile instructions for `docker import` (ENTRYPOINT, CMD, ENV, USER...)
    files: dict[str, bytes] = field(default_factory=dict)  # extra files (folders end in /.keep)


# Keyed by the last part of the image's repository name.
REAL_PROGRAMS: dict[str, RealProgram] = {
    "caddy": RealProgram(
        "caddy",
        {"usr/bin/caddy": "caddy"},
        [
            'ENTRYPOINT ["/usr/bin/caddy"]',
            'CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]',
            "ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data PATH=/usr/bin:/bin",
        ],
        {"data/.keep": b"", "config/.keep": b""},
    ),
    # prom/prometheus: /bin/prometheus, config in /etc/prometheus, data in /prometheus, user nobody
    "prometheus": RealProgram(
        "prometheus",
        {"bin/prometheus": "prometheus"},
        [
            'ENTRYPOINT ["/bin/prometheus"]',
            'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
            "USER nobody",
            "WORKDIR /prometheus",
        ],
        {"etc/prometheus/.keep": b"", "prometheus/.keep": b""},
    ),
    # quay.io/prometheus/node-exporter: /bin/node_exporter, user nobody
    "node-exporter": RealProgram(
        "prometheus-node-exporter",
        {"bin/node_exporter": "prometheus-node-exporter"},
        ['ENTRYPOINT ["/bin/node_exporter"]', "USER nobody"],
    ),
    # prom/blackbox-exporter: /bin/blackbox_exporter with its config in /etc/blackbox_exporter
    "blackbox-exporter": RealProgram(
        "prometheus-blackbox-exporter",
        {"bin/blackbox_exporter": "prometheus-blackbox-exporter"},
        [
            'ENTRYPOINT ["/bin/blackbox_exporter"]',
            'CMD ["--config.file=/etc/blackbox_exporter/config.yml"]',
        ],
        {"etc/blackbox_exporter/.keep": b""},
    ),
}


def real_program(image: str) -> RealProgram | None:
    return REAL_PROGRAMS.get(image.rsplit(":", 1)[0].rsplit("/", 1)[-1])


def build_real(client: docker.DockerClient, image: str, program: RealProgram) -> bool:
    """Import the image unless an identical one is there; True when it was built."""
    files = dict(program.files)
    for inside, command in program.binaries.items():
        found = shutil.which(command)
        if found is None:
            raise RuntimeError(f"{command} (Debian package {program.package}) is needed to build {image}")
        files[inside] = Path(found).read_bytes()
        files.update(shared_libraries(found))
    data = rootfs(files)
    version = "real-" + hashlib.sha256(data + "\n".join(program.changes).encode()).hexdigest()[:16]
    try:
        if client.images.get(image).labels.get(STANDIN_LABEL) == version:
            return False
    except docker.errors.ImageNotFound:
        pass
    repository, tag = image.rsplit(":", 1)
    changes = [*program.changes, f"LABEL {STANDIN_LABEL}={version}"]
    client.api.import_image_from_data(data, repository=repository, tag=tag, changes=changes)
    return True
