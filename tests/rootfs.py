"""The root filesystem of the test images: busybox (as the upstream Prometheus images use), shims
for the commands the catalog's healthchecks call, and static pages a stand-in serves.

Stand-ins (tests/standins.py) run it with an entrypoint that serves the pages; real-program
images (tests/real_images.py) add a real program and the libraries it loads.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

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
    "cp",
    "sed",
    "tr",
    "grep",
    "head",
    "od",
    "sha256sum",
    "cut",
    "test",
    "rm",
)

ENTRYPOINT = """#!/bin/sh
# Stand-in entrypoint: serve /www on every port in STANDIN_PORTS, ignore the real arguments but
# Portainer's --admin-password-file (api/cmd/portainer/main.go): a file it cannot read stops it,
# otherwise the administrator exists from the start; /api/users/admin/check answers then (with
# the password's sha256, for the tests to compare).
file=""
previous=""
for arg in "$@"; do
  if [ "$previous" = --admin-password-file ]; then file=$arg; fi
  previous=$arg
done
if [ -n "$file" ]; then
  if ! password=$(cat "$file" 2>/dev/null); then
    echo "failed getting admin password file: could not get the contents of the file '$file'" >&2
    exit 1
  fi
  mkdir -p /www/api/users/admin
  printf '%s' "$password" | sha256sum | cut -d' ' -f1 > /www/api/users/admin/check
fi
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
CODE_SERVER = r"""#!/bin/sh
# Stand-in code-server CLI (the real one is not installed in stand-ins): its extension commands
# keep the installed extensions in ~/.local/share/code-server/extensions, as the real CLI does,
# so --list-extensions --show-versions lists what --install-extension put there.
dir="${HOME:-/root}/.local/share/code-server/extensions"
case "$1" in
  --list-extensions) [ -d "$dir" ] && ls "$dir" | sed 's/-\([0-9][^-]*\)$/@\1/'; exit 0 ;;
  --install-extension)
    mkdir -p "$dir" && touch "$dir/$(echo "$2" | tr '[:upper:]' '[:lower:]' | sed 's/@/-/')" || exit 1
    echo "Extension '$2' was successfully installed." ;;
  *) echo "stand-in code-server: $*" ;;
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
    owner: int = 0,
) -> None:
    info = tarfile.TarInfo(name)
    info.mode = mode
    info.uid = info.gid = owner
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
        _add(tar, "home", mode=0o755, kind=tarfile.DIRTYPE)
        _add(tar, "home/coder", mode=0o755, kind=tarfile.DIRTYPE, owner=1000)  # as adduser makes it
        _add(tar, "bin/busybox", Path(busybox).read_bytes(), 0o755)
        for applet in APPLETS:
            _add(tar, f"bin/{applet}", kind=tarfile.SYMTYPE, link="busybox")
        _add(tar, "standin", ENTRYPOINT.encode(), 0o755)
        # code-server's entrypoint, which the continue-dev service calls after copying its config
        _add(tar, "usr/bin/entrypoint.sh", ENTRYPOINT.encode(), 0o755)
        _add(tar, "usr/bin/curl", CURL.encode(), 0o755)
        _add(tar, "bin/ollama", OLLAMA.encode(), 0o755)
        _add(tar, "usr/bin/code-server", CODE_SERVER.encode(), 0o755)
        for page, text in PAGES.items():
            _add(tar, f"www/{page}", text.encode())
        _add(tar, "etc/passwd", PASSWD.encode())
        _add(tar, "etc/group", b"root:x:0:\ncoder:x:1000:\nnogroup:x:65534:\n")
        folders = sorted({str(parent) for name in extra or {} for parent in Path(name).parents} - {"."})
        for folder in folders:
            if folder not in ("bin", "usr", "usr/bin", "etc", "www", "tmp", "home", "home/coder"):
                _add(tar, folder, mode=0o755, kind=tarfile.DIRTYPE)
        for name, data in (extra or {}).items():
            _add(tar, name, data, 0o755)
    return buffer.getvalue()


def shared_libraries(binary: str) -> dict[str, bytes]:
    """The libraries a dynamically linked binary loads, by path in the image."""
    listing = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False).stdout
    paths = re.findall(r"(/\S+) \(0x", listing)
    return {path.lstrip("/"): Path(path).resolve().read_bytes() for path in paths}


def image_is_current(client: Any, image: str, version: str) -> bool:
    """Whether `image` is there, built from the same inputs (its label holds their digest)."""
    import docker

    try:
        return bool(client.images.get(image).labels.get(STANDIN_LABEL) == version)
    except docker.errors.ImageNotFound:
        return False
