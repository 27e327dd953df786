"""Stand-in images for the catalog's images (no registry is reachable here).

Each stand-in is a busybox-static root filesystem imported with `docker import` and tagged with
the catalog's image name, so the generated compose files run unmodified. Its entrypoint ignores
the real image's arguments and serves static pages on the service's container ports (health
endpoints, /metrics, Portainer's /api/system/status); shims provide the commands the catalog's
healthchecks call (`curl`, `ollama list`; `wget` is busybox's own).
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from pathlib import Path

import docker

from generator.catalog.model import Catalog

STANDIN_LABEL = "ai-stack.standin"
APPLETS = (
    "sh",
    "wget",
    "httpd",
    "sleep",
    "cat",
    "echo",
    "mkdir",
    "ls",
    "id",
    "env",
    "kill",
    "ps",
    "nc",
    "touch",
)

ENTRYPOINT = """#!/bin/sh
# Stand-in entrypoint: serve /www on every port in STANDIN_PORTS, ignore the real arguments.
IFS=,
set -- $STANDIN_PORTS
unset IFS
[ "$#" -gt 0 ] || exec sleep 2147483647
while [ "$#" -gt 1 ]; do httpd -p "$1" -h /www; shift; done
exec httpd -f -p "$1" -h /www
"""
CURL = """#!/bin/sh
# Stand-in curl: fetch the first URL argument with busybox wget; fail like `curl --fail`.
for arg in "$@"; do case "$arg" in http://*|https://*) exec wget -q -O /dev/null "$arg" ;; esac; done
exit 2
"""
OLLAMA = """#!/bin/sh
# Stand-in ollama CLI: `ollama list` succeeds when the server answers, as the real one does.
case "$1" in
  list|ps) exec wget -q -O /dev/null "http://localhost:11434/" ;;
  *) echo "stand-in ollama: $*"; exit 0 ;;
esac
"""
PASSWD = """root:x:0:0:root:/root:/bin/sh
coder:x:1000:1000::/home/coder:/bin/sh
nobody:x:65534:65534::/:/bin/sh
"""
PAGES = {
    "index.html": "stand-in\n",
    "health": '{"status":true}\n',
    "healthz": "ok\n",
    "-/healthy": "Healthy\n",
    "-/ready": "Ready\n",
    "metrics": "# HELP standin_up A stand-in exporter.\n# TYPE standin_up gauge\nstandin_up 1\n",
    "api/system/status": '{"Version":"standin"}\n',
    "probe": "# TYPE probe_success gauge\nprobe_success 1\n",
    "api/status": '{"Version":"standin"}\n',
}


def _add(
    tar: tarfile.TarFile,
    name: str,
    data: bytes = b"",
    mode: int = 0o644,
    kind: bytes = tarfile.REGTYPE,
    link: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.mode = mode
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def rootfs(extra: dict[str, bytes] | None = None) -> bytes:
    busybox = shutil.which("busybox")
    if busybox is None:
        raise RuntimeError("busybox (Debian busybox-static) is needed to build stand-in images")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for folder in ("bin", "usr", "usr/bin", "etc", "www", "www/-", "www/api", "www/api/system"):
            _add(tar, folder, mode=0o755, kind=tarfile.DIRTYPE)
        _add(tar, "tmp", mode=0o1777, kind=tarfile.DIRTYPE)
        _add(tar, "bin/busybox", Path(busybox).read_bytes(), 0o755)
        for applet in APPLETS:
            _add(tar, f"bin/{applet}", kind=tarfile.SYMTYPE, link="busybox")
        _add(tar, "standin", ENTRYPOINT.encode(), 0o755)
        # code-server's entrypoint, which the continue-dev service calls after copying its config
        _add(tar, "usr/bin/entrypoint.sh", ENTRYPOINT.encode(), 0o755)
        _add(tar, "usr/bin/curl", CURL.encode(), 0o755)
        _add(tar, "bin/ollama", OLLAMA.encode(), 0o755)
        for page, text in PAGES.items():
            _add(tar, f"www/{page}", text.encode())
        _add(tar, "etc/passwd", PASSWD.encode())
        _add(tar, "etc/group", b"root:x:0:\ncoder:x:1000:\nnogroup:x:65534:\n")
        folders = sorted({str(parent) for name in extra or {} for parent in Path(name).parents} - {"."})
        for folder in folders:
            if folder not in ("bin", "usr", "usr/bin", "etc", "www", "tmp"):
                _add(tar, folder, mode=0o755, kind=tarfile.DIRTYPE)
        for name, data in (extra or {}).items():
            _add(tar, name, data, 0o755)
    return buffer.getvalue()


def _shared_libraries(binary: str) -> dict[str, bytes]:
    """The libraries a dynamically linked binary loads (Debian builds caddy with cgo), by path."""
    listing = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False).stdout
    paths = re.findall(r"(/\S+) \(0x", listing)
    return {path.lstrip("/"): Path(path).resolve().read_bytes() for path in paths}


def build_caddy(client: docker.DockerClient, image: str) -> None:
    """The catalog's Caddy image made from the REAL caddy binary (Debian's package) on the
    stand-in root filesystem: the proxy under test is Caddy itself, only the packaging differs."""
    caddy = shutil.which("caddy")
    if caddy is None:
        raise RuntimeError("caddy (Debian package caddy) is needed to build the proxy image")
    files = {"usr/bin/caddy": Path(caddy).read_bytes(), "data/.keep": b"", "config/.keep": b""}
    files.update(_shared_libraries(caddy))
    data = rootfs(files)
    version = "caddy-" + hashlib.sha256(data).hexdigest()[:16]
    try:
        if client.images.get(image).labels.get(STANDIN_LABEL) == version:
            return
    except docker.errors.ImageNotFound:
        pass
    repository, tag = image.rsplit(":", 1)
    changes = [
        'ENTRYPOINT ["/usr/bin/caddy"]',
        'CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]',
        "ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data PATH=/usr/bin:/bin",
        f"LABEL {STANDIN_LABEL}={version}",
    ]
    client.api.import_image_from_data(data, repository=repository, tag=tag, changes=changes)


def standin_images(catalog: Catalog) -> dict[str, list[int]]:
    """Every image the catalog names, with the container ports its stand-in must serve."""
    images: dict[str, set[int]] = {}
    for service in catalog.services.values():
        ports = {p.container for p in service.ports if p.protocol == "tcp"}
        for variant in ("cpu", "nvidia", "amd"):
            if service.in_variant(variant):
                images.setdefault(service.image_for(variant), set()).update(ports)
    return {image: sorted(ports) for image, ports in sorted(images.items())}


def build_standins(client: docker.DockerClient, images: dict[str, list[int]]) -> list[str]:
    """Import a stand-in for each image that is not there yet; returns the images built.
    The reverse proxy's image is the real Caddy (see build_caddy): its entrypoint runs caddy."""
    built = []
    data = rootfs()
    for image, ports in images.items():
        if image.rsplit(":", 1)[0].rsplit("/", 1)[-1] == "caddy":
            build_caddy(client, image)
            continue
        port_list = ",".join(str(p) for p in ports)
        version = hashlib.sha256(data + port_list.encode()).hexdigest()[:16]
        try:
            if client.images.get(image).labels.get(STANDIN_LABEL) == version:
                continue  # up to date
        except docker.errors.ImageNotFound:
            pass
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
