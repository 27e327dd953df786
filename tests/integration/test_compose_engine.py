"""The generated compose files, unmodified, on a real Docker Engine with the tests' images: the
real program where it installs here (tests/real_images.py), a stand-in otherwise."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from generator.catalog import load_catalog
from generator.catalog.model import Catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import (
    compose,
    effective_cpus,
    effective_memory,
    engine,
    extension_gallery,
    prepare_host,
    remove_leftover_containers,
    write_env_files,
)
from tests.standins import build_standins, standin_images

pytestmark = [pytest.mark.docker, pytest.mark.node]

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
    remove_leftover_containers(client)
    _remove_leftover_networks(client)
    env_dir = root / "secrets"
    env_files = write_env_files(CATALOG, env_dir, altroot, extension_gallery(client, CATALOG))
    test_host = Host(client, env_files, altroot)
    try:
        yield test_host
    finally:
        for stack in CATALOG.stacks:
            test_host.down(stack)


def _remove_leftover_networks(client: docker.DockerClient) -> None:
    """An earlier run may have left a shared network behind (its creator went down first). Right
    after the previous test's `down`, the engine may still hold an endpoint of a container it has
    just removed ("has active endpoints"): asked again a moment later, it lets the network go."""
    names = {n.name for n in CATALOG.networks.values() if n.type == "bridge"}
    for network in client.networks.list():
        if network.name not in names:
            continue
        for _ in range(20):
            network.reload()
            if network.attrs.get("Containers"):
                break  # a running container of another test still uses it: keep it
            try:
                network.remove()
                break
            except docker.errors.APIError as error:
                if "active endpoints" not in str(error):
                    raise
                time.sleep(0.5)


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
        assert config["Memory"] == effective_memory(catalog, service.id)
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


def _continue_settings(container: docker.models.containers.Container) -> str:
    return str(container.exec_run(["cat", "/home/coder/.continue/config.yaml"]).output.decode())


def _edit_and_restart(container: docker.models.containers.Container) -> None:
    """An edit made in Continue, then the IDE started again and healthy (its entrypoint has run)."""
    edit = ["sh", "-c", "echo '# edited in Continue' >> /home/coder/.continue/config.yaml"]
    assert container.exec_run(edit).exit_code == 0
    container.restart(timeout=5)
    deadline = time.monotonic() + 120
    container.reload()  # a restarted container's health starts again from "starting"
    while container.attrs["State"]["Health"]["Status"] != "healthy":
        assert time.monotonic() < deadline, container.logs()[-2000:]
        time.sleep(1)
        container.reload()


def _secret(env_file: Path, name: str) -> str:
    return next(
        line.split("=", 1)[1] for line in env_file.read_text().splitlines() if line.startswith(f"{name}=")
    )


def test_a_file_written_in_a_container_lands_in_its_dataset_and_the_ide_comes_up_with_continue(
    host: Host,
) -> None:
    """With the REAL code-server (tests/real_images.py) and a stand-in Open VSX that the job
    reaches over the egress network (tests/extension_gallery.py: no registry is reachable here)."""
    home = host.altroot / CATALOG.datasets["code-server"].mountpoint.lstrip("/")
    shutil.rmtree(home / ".local/share/code-server", ignore_errors=True)  # a first deploy's empty home
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
        version = continue_dev.exec_run(["code-server", "--version"]).output.decode()
        # the real code-server at the catalog's pin (e.g. "4.133.0 <commit> with Code 1.133.0")
        assert version.startswith(CATALOG.services["continue-dev"].image.rsplit(":", 1)[1] + " "), version
        assert " with Code 1." in version, version

        # the one-shot job installed the pinned extension, through code-server's own CLI, into
        # the IDE's home dataset, and the IDE lists it
        pinned = next(
            str(v.value) for v in CATALOG.services["continue-extension"].env if v.name == "CONTINUE_EXTENSION"
        )
        job = host.client.containers.list(all=True, filters={"label": "ai-stack.service=continue-extension"})[
            0
        ]
        assert job.attrs["State"]["ExitCode"] == 0
        assert "Extension 'continue.continue' v1.2.10 was successfully installed." in job.logs().decode()
        folder = home / ".local/share/code-server/extensions"
        assert [p.name for p in folder.iterdir() if p.is_dir()] == ["continue.continue-1.2.10"]
        listing = continue_dev.exec_run(
            ["code-server", "--list-extensions", "--show-versions"]
        ).output.decode()
        assert pinned.lower() in listing.splitlines()

        # the IDE asks for the generated password: a wrong one gets the login page again
        password = _secret(host.env_files["ai"], "PASSWORD")
        login = "curl --silent --output /dev/null --write-out '%{http_code} %{redirect_url}'"
        assert continue_dev.exec_run(["sh", "-c", f"{login} http://localhost:8080/"]).output.decode() == (
            "302 http://localhost:8080/login"
        )
        for attempt, expected in (("wrong-password", "200"), (password, "302")):
            answer = continue_dev.exec_run(
                ["sh", "-c", f"{login} --data-urlencode password={attempt!r} http://localhost:8080/login"]
            )
            assert answer.output.decode().split()[0] == expected, answer.output

        # the folder the IDE opens is in its home dataset; Continue's settings follow the catalog
        # at every start (CONTINUE_CONFIG catalog) or are kept once written (keep)
        assert (home / "project").is_dir()
        assert "/home/coder/project" in continue_dev.attrs["Args"]
        _edit_and_restart(continue_dev)
        assert "# edited in Continue" not in _continue_settings(continue_dev)
        keep = host.env_files["ai"].with_name("ai-keep.env")
        keep.write_text(host.env_files["ai"].read_text() + "CONTINUE_CONFIG=keep\n")
        compose("-f", host.file("ai"), "up", "-d", "--wait", "--no-deps", "continue-dev", env_file=keep)
        continue_dev = host.client.containers.list(filters={"label": "ai-stack.service=continue-dev"})[0]
        _edit_and_restart(continue_dev)
        assert "# edited in Continue" in _continue_settings(continue_dev)
        assert "apiBase: http://ollama:11434" in _continue_settings(continue_dev)

        # a second deploy finds the extension installed and leaves it; a version the registry
        # does not have fails the job (exit 1), which keeps the IDE from starting without it
        host.up("ai")
        job = host.client.containers.list(all=True, filters={"label": "ai-stack.service=continue-extension"})[
            0
        ]
        assert f"continue-extension: {pinned} is installed" in job.logs().decode()
        missing_version = compose(
            "-f", host.file("ai"), "run", "--rm", "--no-deps",
            "-e", "CONTINUE_EXTENSION=Continue.continue@0.0.1", "continue-extension",
            env_file=host.env_files["ai"], check=False,
        )  # fmt: skip
        assert missing_version.returncode != 0
        assert "not found" in missing_version.stdout + missing_version.stderr
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


def test_portainer_starts_with_its_administrator_from_the_secrets(host: Host, tmp_path: Path) -> None:
    """The password `gen secrets` wrote reaches Portainer as the file --admin-password-file names
    (a Compose secret made from the variable: Portainer's image has no shell), never as a
    variable. The stand-in reads the flag as Portainer does: the administrator exists from the
    start, with that password; without the variable, Compose refuses to start it."""
    host.up("management")
    try:
        portainer = host.client.containers.list(filters={"label": "ai-stack.service=portainer"})[0]
        assert not any(
            e.startswith("PORTAINER_ADMIN_PASSWORD=") for e in portainer.attrs["Config"]["Env"] or []
        )
        password = _secret(host.env_files["management"], "PORTAINER_ADMIN_PASSWORD")
        check = portainer.exec_run(["cat", "/www/api/users/admin/check"]).output.decode().strip()
        assert check == hashlib.sha256(password.encode()).hexdigest()
    finally:
        host.down("management")
    without = tmp_path / "management.env"
    lines = host.env_files["management"].read_text().splitlines()
    without.write_text(
        "".join(f"{line}\n" for line in lines if not line.startswith("PORTAINER_ADMIN_PASSWORD="))
    )
    refused = compose("-f", host.file("management"), "up", "-d", env_file=without, check=False)
    compose("-f", host.file("management"), "down", "--timeout", "5", env_file=without, check=False)
    assert refused.returncode != 0
    assert 'environment variable "PORTAINER_ADMIN_PASSWORD" required by secret' in refused.stderr, (
        refused.stderr
    )
