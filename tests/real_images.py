"""Images that run the REAL program under the catalog's image name (no registry is reachable here).

Each one is the stand-in root filesystem (busybox, as the upstream Prometheus images use) plus the
program from its Debian package and the shared libraries it loads, with the entrypoint, command,
user and paths of the upstream image. The compose files run unmodified; only the packaging and
the version differ from upstream (Debian bookworm's: Prometheus 2.42, Alertmanager 0.25,
node_exporter 1.5, blackbox_exporter 0.23, Caddy 2.6), which the tests that use them say.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker

from tests.rootfs import STANDIN_LABEL, image_is_current, rootfs, shared_libraries


@dataclass(frozen=True)
class RealProgram:
    """How the upstream image runs its program, and which Debian package provides it."""

    package: str
    binaries: dict[str, str]  # path in the image -> command on this host
    changes: list[str]  # Dockerfile instructions for `docker import` (ENTRYPOINT, CMD, ENV, USER...)
    files: dict[str, bytes] = field(default_factory=dict)  # extra files (folders end in /.keep)
    package_files: dict[str, str] = field(
        default_factory=dict
    )  # path in the image -> the package's file here


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
    # prom/alertmanager: /bin/alertmanager and /bin/amtool, state in /alertmanager, user nobody
    "alertmanager": RealProgram(
        "prometheus-alertmanager",
        {"bin/alertmanager": "prometheus-alertmanager", "bin/amtool": "amtool"},
        [
            'ENTRYPOINT ["/bin/alertmanager"]',
            'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]',
            "USER nobody",
            "WORKDIR /alertmanager",
        ],
        {"etc/alertmanager/.keep": b"", "alertmanager/.keep": b""},
        # Debian's build reads its notification templates from here (upstream's embeds them)
        {
            f"usr/share/prometheus/alertmanager/{name}": f"/usr/share/prometheus/alertmanager/{name}"
            for name in ("default.tmpl", "email.tmpl")
        },
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
    for inside, here in program.package_files.items():
        if not Path(here).is_file():
            raise RuntimeError(f"{here} (Debian package {program.package}) is needed to build {image}")
        files[inside] = Path(here).read_bytes()
    data = rootfs(files)
    version = "real-" + hashlib.sha256(data + "\n".join(program.changes).encode()).hexdigest()[:16]
    if image_is_current(client, image, version):
        return False
    repository, tag = image.rsplit(":", 1)
    changes = [*program.changes, f"LABEL {STANDIN_LABEL}={version}"]
    client.api.import_image_from_data(data, repository=repository, tag=tag, changes=changes)
    return True


# --- Python programs: the interpreter that runs the tests, laid out as python:3.11-slim has it ---

PYTHON_LEFT_OUT = {"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3"}


@functools.cache  # tens of thousands of files and an ldd per library: once per test run
def _python_files(site_packages: Path | None) -> dict[str, Path]:
    """Path in the image -> file on this host: /usr/local/bin/python3, the standard library in
    /usr/local/lib/python3.X, the given site-packages under it, libpython and the libraries
    every extension module loads."""
    prefix = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    files: dict[str, Path] = {f"usr/local/bin/{version}": Path(sys.executable).resolve()}
    stdlib = prefix / "lib" / version
    for path in stdlib.rglob("*"):
        relative = path.relative_to(stdlib)
        if (
            path.is_file()
            and relative.parts[0] not in PYTHON_LEFT_OUT
            and not relative.parts[0].startswith("config-")
        ):
            files[f"usr/local/lib/{version}/{relative}"] = path
    if site_packages is not None:
        for path in site_packages.rglob("*"):
            if path.is_file():
                files[f"usr/local/lib/{version}/site-packages/{path.relative_to(site_packages)}"] = path
    binaries = [Path(sys.executable).resolve(), *(p for p in files.values() if ".so" in p.name)]
    for binary in binaries:
        for inside, data in _libraries_outside(binary, prefix, site_packages).items():
            files.setdefault(inside, data)
    return files


def _libraries_outside(binary: Path, *trees: Path | None) -> dict[str, Path]:
    """The system libraries a binary loads (libpython included), not those bundled in `trees`."""
    listing = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False).stdout
    found = {}
    for path in map(Path, re.findall(r"(/\S+) \(0x", listing)):
        if any(tree is not None and path.is_relative_to(tree) for tree in trees[1:]):
            continue
        if path.name.startswith("libpython"):
            found[f"usr/lib/{path.name}"] = path.resolve()
        elif not (trees[0] is not None and path.is_relative_to(trees[0])):
            found[str(path).lstrip("/")] = path.resolve()
    return found


def _digest(files: dict[str, Path], extra: dict[str, bytes], changes: list[str]) -> str:
    """What an image is made of (names, sizes and modification times of its files, the extra
    files, the instructions), for its label: an image with the same label is not built again."""
    digest = hashlib.sha256(rootfs(extra) + Path(__file__).read_bytes())  # and how it is built
    for inside in sorted(files):
        stat = files[inside].lstat()
        digest.update(f"{inside}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    digest.update("\n".join(changes).encode())
    return "real-" + digest.hexdigest()[:16]


def _write_image_tar(target: Path, files: dict[str, Path], extra: dict[str, bytes]) -> None:
    """The busybox root filesystem with `extra`, plus `files` copied from this host."""
    with tarfile.open(target, "w") as tar:
        folders: set[str] = set()  # every name already in the archive (a name twice is refused)
        with tarfile.open(fileobj=io.BytesIO(rootfs(extra))) as base:
            last = {member.name: member for member in base.getmembers()}  # `extra` replaces a shim
            for name, member in last.items():
                if name not in files:
                    folders.add(name)
                    tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        for inside in sorted(files):
            for parent in reversed(Path(inside).parents[:-1]):
                if str(parent) not in folders:
                    folders.add(str(parent))
                    info = tarfile.TarInfo(str(parent))
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            info = tar.gettarinfo(str(files[inside]), arcname=inside)  # a link stays a link
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if info.issym():
                tar.addfile(info)
                continue
            with files[inside].open("rb") as handle:
                tar.addfile(info, handle)


def _import_image(
    client: docker.DockerClient,
    image: str,
    files: dict[str, Path],
    extra: dict[str, bytes],
    changes: list[str],
) -> bool:
    version = _digest(files, extra, changes)
    if image_is_current(client, image, version):
        return False
    with tempfile.TemporaryDirectory(prefix="gen-image-") as folder:
        tar = Path(folder) / "rootfs.tar"
        _write_image_tar(tar, files, extra)
        repository, tag = image.rsplit(":", 1)
        changes = [*changes, f"LABEL {STANDIN_LABEL}={version}"]
        client.api.import_image_from_file(str(tar), repository=repository, tag=tag, changes=changes)
    return True


def _launcher() -> bytes:
    """/usr/local/bin/python3 as python:3.11-slim has it (there a symbolic link)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f'#!/bin/sh\nexec /usr/local/bin/python{version} "$@"\n'.encode()


OLLAMA_SHIM = """#!/bin/sh
# Stand-in ollama: `serve` runs the stand-in HTTP API (tests/ollama_standin.py), `list` asks it,
# `pull` asks the server OLLAMA_HOST names (a URL or host:port, as the real CLI reads it) and
# fails when the pull does.
host=${OLLAMA_HOST:-127.0.0.1:11434}
case "$host" in http://*|https://*) ;; *) host="http://$host" ;; esac
case "$1" in
  serve) exec /usr/local/bin/python3 /usr/local/lib/ollama-standin.py ;;
  list|ps) exec wget -q -O /dev/null "http://localhost:11434/api/tags" ;;
  pull)
    answer=$(wget -q -O - --header 'Content-Type: application/json' \\
      --post-data "{\\"model\\": \\"$2\\", \\"stream\\": false}" "$host/api/pull") ||
      { echo "Error: pull $2 failed"; exit 1; }
    echo "$answer" ;;
  *) echo "stand-in ollama: $*"; exit 0 ;;
esac
"""


def build_ollama_standin(client: docker.DockerClient, image: str) -> bool:
    """ollama/ollama's entrypoint, command and paths (/bin/ollama serve, OLLAMA_HOST
    0.0.0.0:11434, models under /root/.ollama) around the stand-in API."""
    files = dict(_python_files(None))
    files["usr/local/lib/ollama-standin.py"] = Path(__file__).with_name("ollama_standin.py")
    extra = {"bin/ollama": OLLAMA_SHIM.encode(), "usr/local/bin/python3": _launcher()}
    changes = [
        'ENTRYPOINT ["/bin/ollama"]',
        'CMD ["serve"]',
        "ENV OLLAMA_HOST=0.0.0.0:11434 HOME=/root PATH=/usr/local/bin:/usr/bin:/bin",
    ]
    return _import_image(client, image, files, extra, changes)


def build_extension_gallery(client: docker.DockerClient, image: str) -> bool:
    """The stand-in Open VSX (tests/extension_gallery.py) in a Python image: its arguments are
    the port and the extensions it serves."""
    files = dict(_python_files(None))
    files["usr/local/lib/extension_gallery.py"] = Path(__file__).with_name("extension_gallery.py")
    changes = [
        'ENTRYPOINT ["/usr/local/bin/python3", "/usr/local/lib/extension_gallery.py"]',
        "ENV PATH=/usr/local/bin:/usr/bin:/bin PYTHONUNBUFFERED=1",
    ]
    return _import_image(client, image, files, {"usr/local/bin/python3": _launcher()}, changes)


OPEN_WEBUI_START = """#!/bin/sh
# As upstream's backend/start.sh: a secret key from the environment or a key file beside the
# data, then uvicorn serving open_webui.main:app on $PORT.
cd /app/backend || exit 1
KEY_FILE=.webui_secret_key
if [ -z "${WEBUI_SECRET_KEY:-}" ]; then
  [ -f "$KEY_FILE" ] || head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \\n' > "$KEY_FILE"
  WEBUI_SECRET_KEY=$(cat "$KEY_FILE")
  export WEBUI_SECRET_KEY
fi
exec python3 -m uvicorn open_webui.main:app --host "${HOST:-0.0.0.0}" --port "${PORT:-8080}" \\
  --forwarded-allow-ips '*' --workers "${UVICORN_WORKERS:-1}"
"""


def open_webui_venv(version: str) -> Path:
    """Where scripts/install-open-webui put the pinned release (outside the clone)."""
    root = Path(os.environ.get("GEN_OPEN_WEBUI_ROOT", "/var/cache/ai-stack-gen"))
    return root / f"open-webui-{version}"


def build_open_webui(client: docker.DockerClient, image: str) -> bool:
    """The REAL Open WebUI of the catalog's pinned version, laid out as upstream's image: its
    backend in /app/backend (so its data folder is /app/backend/data), the built frontend in
    /app/build, dependencies in the system Python, PORT 8080, curl and jq for the healthcheck,
    `sh start.sh` as the command, running as root."""
    version = image.rsplit(":", 1)[1].lstrip("v")
    venv = open_webui_venv(version)
    if not (venv / ".complete").exists():
        from tests.components import missing

        missing(f"open-webui {version} is not installed in {venv} (scripts/install-open-webui installs it)")
    site = next((venv / "lib").glob("python3*/site-packages"))
    files = {
        inside: path
        for inside, path in _python_files(site).items()
        if "/site-packages/open_webui/" not in inside
    }
    package = site / "open_webui"
    for path in package.rglob("*"):
        if path.is_file():
            relative = path.relative_to(package)
            if relative.parts[0] == "frontend":
                files[f"app/build/{Path(*relative.parts[1:])}"] = path
            else:
                files[f"app/backend/open_webui/{relative}"] = path
    for tool in ("curl", "jq"):
        found = shutil.which(tool)
        if found is None:
            raise RuntimeError(f"{tool} (Debian package {tool}) is needed for Open WebUI's healthcheck")
        files[f"usr/bin/{tool}"] = Path(found)
        files.update(_libraries_outside(Path(found), None))
    extra = {
        "app/backend/start.sh": OPEN_WEBUI_START.encode(),
        "usr/local/bin/python3": _launcher(),
        "app/backend/data/.keep": b"",
    }
    changes = [
        'CMD ["sh", "start.sh"]',
        "WORKDIR /app/backend",
        "ENV ENV=prod PORT=8080 HOME=/root PATH=/usr/local/bin:/usr/bin:/bin",
        "EXPOSE 8080",
    ]
    return _import_image(client, image, files, extra, changes)


# codercom/code-server's /usr/bin/entrypoint.sh (ci/release-image/entrypoint.sh, checked at v4.133.0).
CODE_SERVER_ENTRYPOINT = """#!/bin/sh
set -eu

# We do this first to ensure sudo works below when renaming the user.
# Otherwise the current container UID may not exist in the passwd database.
eval "$(fixuid -q)"

if [ "${DOCKER_USER-}" ]; then
  USER="$DOCKER_USER"
  if [ -z "$(id -u "$DOCKER_USER" 2>/dev/null)" ]; then
    echo "$DOCKER_USER ALL=(ALL) NOPASSWD:ALL" | sudo tee -a /etc/sudoers.d/nopasswd > /dev/null
    sudo usermod --login "$DOCKER_USER" coder
    sudo groupmod -n "$DOCKER_USER" coder
    sudo sed -i "/coder/d" /etc/sudoers.d/nopasswd
  fi
fi

if [ -d "${ENTRYPOINTD}" ]; then
  find "${ENTRYPOINTD}" -type f -executable -print -exec {} \\;
fi

exec dumb-init /usr/bin/code-server "$@"
"""
# fixuid (a setuid Go binary from GitHub, not packaged) only renames the coder user to the
# container's uid; the catalog runs code-server as coder's own uid 1000, where it changes nothing.
FIXUID = "#!/bin/sh\n# Stand-in fixuid: the container runs as coder's own uid, nothing to fix.\n"


def code_server_release(version: str) -> Path:
    """Where scripts/install-code-server put the release (outside the clone)."""
    root = Path(os.environ.get("GEN_CODE_SERVER_ROOT", "/var/cache/ai-stack-gen"))
    return root / f"code-server-{version}"


def build_code_server(client: docker.DockerClient, image: str) -> bool:
    """The REAL code-server, laid out as upstream's image: the release in /usr/lib/code-server
    (its Node.js in lib/node, VS Code in lib/vscode), /usr/bin/code-server linking to it,
    upstream's entrypoint.sh under dumb-init, curl for the healthcheck, user coder (1000).
    From npm, at the image's own version. Left out: the GitHub Copilot agent VS Code bundles
    (`@github/copilot*`, half the release), which only runs signed in to GitHub."""
    from tests.components import missing

    release = code_server_release(image.rsplit(":", 1)[1])
    if not (release / ".complete").exists():
        missing(f"code-server is not installed in {release} (scripts/install-code-server installs it)")
    files: dict[str, Path] = {}
    for folder, names, filenames in os.walk(release / "usr"):
        if Path(folder).name == "@github":  # VS Code's Copilot agent: 0.75 of 1.4 GB, needs GitHub
            names[:] = [n for n in names if not n.startswith("copilot")]
        for name in [*filenames, *(n for n in names if (Path(folder) / n).is_symlink())]:
            path = Path(folder) / name
            if not path.name.endswith(".map"):  # source maps: only a debugger reads them
                files[str(path.relative_to(release))] = path
    binaries = [release / "usr/lib/code-server/lib/node", *(p for p in files.values() if p.suffix == ".node")]
    for tool in ("curl", "dumb-init", "find"):
        found = shutil.which(tool)
        if found is None:
            raise RuntimeError(f"{tool} (Debian package {tool}) is needed for the code-server image")
        files[f"usr/bin/{tool}"] = Path(found)
        binaries.append(Path(found))
    for binary in binaries:
        for inside, path in _libraries_outside(binary, None).items():
            files.setdefault(inside, path)
    extra = {
        "usr/bin/entrypoint.sh": CODE_SERVER_ENTRYPOINT.encode(),
        "usr/local/bin/fixuid": FIXUID.encode(),
    }
    changes = [
        'ENTRYPOINT ["/usr/bin/entrypoint.sh", "--bind-addr", "0.0.0.0:8080", "."]',
        "ENV ENTRYPOINTD=/entrypoint.d USER=coder PATH=/usr/local/bin:/usr/bin:/bin",
        "USER 1000",
        "WORKDIR /home/coder",
        "EXPOSE 8080",
    ]
    return _import_image(client, image, files, extra, changes)


# Images whose stand-in is a program of its own (not the static pages of tests/standins.py).
PROGRAM_BUILDERS = {
    "ollama": build_ollama_standin,
    "open-webui": build_open_webui,
    "code-server": build_code_server,
}
