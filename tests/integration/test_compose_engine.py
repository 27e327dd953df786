"""The generated compose files, unmodified, on a real Docker Engine with stand-in images."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from generator.catalog import load_catalog
from generator.catalog.model import Catalog
from generator.units import memory_bytes
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import compose, effective_cpus, engine, prepare_host, write_env_files, zfs_device
from tests.standins import build_standins, standin_images

pytestmark = pytest.mark.integration

DIST = ROOT / "dist"
CATALOG = load_catalog(DEFAULT_CATALOG)
LABEL = "ai-stack.stack"


@dataclass
class Host:
    client: docker.DockerClient
    env_files: dict[str, Path]
    altroot: Path

    def up(self, stack: str) -> None:
        compose(
            "-f",
            self.file(stack),
            "up",
            "-d",
            "--wait",
            "--wait-timeout",
            "240",
            env_file=self.env_files[stack],
        )

    def down(self, stack: str) -> str:
        result = compose("-f", self.file(stack), "down", "--timeout", "5", env_file=self.env_files[stack])
        return result.stdout + result.stderr

    @staticmethod
    def file(stack: str) -> str:
        return str(DIST / "stacks" / stack / "cpu" / "compose.yaml")

    def containers(self, stack: str | None = None) -> list[docker.models.containers.Container]:
        label = f"{LABEL}={stack}" if stack else LABEL
        return list(self.client.containers.list(all=True, filters={"label": label}))

    def catalog_networks(self) -> list[str]:
        names = {n.name for n in CATALOG.networks.values() if n.type == "bridge"}
        return sorted(n.name for n in self.client.networks.list() if n.name in names)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    client = engine()
    build_standins(client, standin_images(CATALOG))
    root = tmp_path_factory.mktemp("host")
    altroot = root / "altroot"
    prepare_host(CATALOG, altroot)
    _remove_leftover_networks(client)
    env_dir = root / "secrets"
    test_host = Host(client, write_env_files(CATALOG, env_dir, altroot), altroot)
    with zfs_device():
        try:
            yield test_host
        finally:
            for stack in CATALOG.stacks:
                test_host.down(stack)


def _remove_leftover_networks(client: docker.DockerClient) -> None:
    """An earlier run may have left a shared network behind (its creator went down first)."""
    names = {n.name for n in CATALOG.networks.values() if n.type == "bridge"}
    for network in client.networks.list():
        if network.name in names:
            network.reload()
            if not network.attrs.get("Containers"):
                network.remove()


def _assert_stack_matches_catalog(host: Host, catalog: Catalog, stack_id: str) -> None:
    containers = {c.labels["ai-stack.service"]: c for c in host.containers(stack_id)}
    expected = [s for s in catalog.stack_services(catalog.stacks[stack_id]) if s.in_variant("cpu")]
    assert sorted(containers) == sorted(s.id for s in expected)
    for service in expected:
        container = containers[service.id]
        container.reload()
        state = container.attrs["State"]
        if service.restart == "no":  # a one-shot job: done, with status 0, before what waits for it
            assert (state["Status"], state["ExitCode"]) == ("exited", 0), service.id
        else:
            assert state["Status"] == "running", service.id
        if service.healthcheck:
            assert state["Health"]["Status"] == "healthy", service.id
        networks = container.attrs["NetworkSettings"]["Networks"]
        for attachment in service.networks if state["Status"] == "running" else ():
            network = catalog.networks[attachment.network]
            assert networks[network.name]["IPAddress"] == str(attachment.ipv4_address)
        config = container.attrs["HostConfig"]
        assert config["NanoCpus"] == int(effective_cpus(catalog, service.id) * 1e9)
        assert config["Memory"] == memory_bytes(service.limits.memory)
        assert config["RestartPolicy"]["Name"] == service.restart
        assert container.labels["ai-stack.variant"] == "cpu"
        binds = {m["Destination"]: m for m in container.attrs["Mounts"] if m["Type"] == "bind"}
        for volume in service.volumes:
            if volume.source_kind == "dataset":
                dataset = catalog.datasets[volume.source]
                assert binds[volume.target]["Source"] == str(host.altroot) + dataset.mountpoint
                assert binds[volume.target]["RW"] is not volume.read_only


@pytest.mark.parametrize(
    "order",
    [["ai", "monitoring", "management"], ["management", "monitoring", "ai"]],
    ids=["ai-first", "management-first"],
)
def test_every_stack_comes_up_healthy_in_either_order(host: Host, order: list[str]) -> None:
    for stack in order:
        host.up(stack)
    for stack in order:
        _assert_stack_matches_catalog(host, CATALOG, stack)
    for stack in reversed(order):
        host.down(stack)
    assert host.containers() == []
    assert host.catalog_networks() == []


def test_a_file_written_in_a_container_lands_in_its_dataset(host: Host) -> None:
    host.up("ai")
    try:
        ollama = host.containers("ai")[0].client.containers.list(
            filters={"label": "ai-stack.service=ollama"}
        )[0]
        assert ollama.exec_run(["sh", "-c", "echo model-bytes > /root/.ollama/probe.bin"]).exit_code == 0
        dataset = CATALOG.datasets["ai-models"]
        assert (host.altroot / dataset.mountpoint.lstrip("/") / "probe.bin").read_text() == "model-bytes\n"
        continue_dev = host.client.containers.list(filters={"label": "ai-stack.service=continue-dev"})[0]
        config = continue_dev.exec_run(["cat", "/home/coder/.continue/config.yaml"]).output.decode()
        assert "apiBase: http://ollama:11434" in config  # copied by the "$@"-passing entrypoint
        # the one-shot job installed the pinned extension into the IDE's home (code-server's CLI
        # is a stand-in here, keeping code-server's folder layout)
        home = host.altroot / CATALOG.datasets["code-server"].mountpoint.lstrip("/")
        installed = [p.name for p in (home / ".local/share/code-server/extensions").iterdir()]
        assert installed == ["continue.continue-1.2.10"]
        listing = continue_dev.exec_run(["code-server", "--list-extensions", "--show-versions"])
        assert listing.output.decode().split() == ["continue.continue@1.2.10"]
    finally:
        host.down("ai")


def test_shared_network_survives_its_creator_going_down(host: Host) -> None:
    host.up("management")  # creates admin-net
    host.up("monitoring")  # joins it (the portainer probe)
    output = host.down("management")
    assert "Resource is still in use" in output
    probe = host.client.containers.list(filters={"label": "ai-stack.service=portainer-probe"})[0]
    assert "admin-net" in probe.attrs["NetworkSettings"]["Networks"]
    assert probe.status == "running"
    host.up("management")  # comes back on the same network
    _assert_stack_matches_catalog(host, CATALOG, "management")
    host.down("monitoring")
    host.down("management")
    assert host.catalog_networks() == []


def test_up_refuses_without_the_secrets(host: Host, tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("-f", host.file("ai"), "up", "-d", env_file=empty, check=False)
    assert result.returncode != 0
    assert "must be set: run gen secrets" in result.stderr
    assert host.containers("ai") == []
