"""Swarm across three real Docker Engines (scripts/start-swarm-nodes): a manager and two workers,
each in its own network namespace with its own address on a test LAN (10.231.0.11-13), joined
with `docker swarm join`; the third advertises a GPU as a Swarm generic resource (a stand-in:
there is no GPU here, the engine only counts it). Stand-in images on every node.

Proved here: each service lands on the node its placement allows (pools, GPU, manager for the
Docker socket), a service reaches one on another node by name over the overlays, the real
Prometheus scrapes the node exporter of every node (a global service), the nvidia
variant's GPU service gets the GPU the node advertises, `gen doctor --swarm` finds a missing
label and a missing GPU resource, and removal leaves nothing. An encrypted overlay carries
traffic between nodes where the kernel has IPsec ESP; where it has not (this machine's kernel),
the traffic is dropped and `gen doctor --swarm` says so first. The networks script keeps only
networks that are what the catalog says.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import docker
import pytest

from generator.catalog import load_catalog
from generator.plan.rules import DOCKER_SOCKET, GPU_RESOURCE
from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, encrypt_network, run_gen
from tests.docker_env import effective_cpus, prepare_host, write_env_files
from tests.standins import build_standins, standin_images
from tests.swarm_env import (
    deploy,
    docker_cli,
    networks_script,
    running_tasks,
    stack_services,
    task_states,
    wait_until_converged,
)

pytestmark = [pytest.mark.docker, pytest.mark.node]
CATALOG = load_catalog(DEFAULT_CATALOG)
STACKS = sorted(CATALOG.stacks)
SWARM_DIR = os.environ.get("GEN_SWARM_DIR", "/tmp/gen-swarm")
ADDRESS = {1: "10.231.0.11", 2: "10.231.0.12", 3: "10.231.0.13"}
GPU_UUID = "GPU-5e1f0c2a-7b3d-4c1e-9a2f-000000000003"  # what scripts/start-swarm-nodes advertises
# The labels as the docs tell an operator to set them. Each node has its own pool named
# service-pool (pool names are per host); media-pool is on the first worker, staging-pool and
# the GPU on the second.
LABELS = {
    1: {"ai-stack.pool.service-pool": "true"},
    2: {"ai-stack.pool.service-pool": "true", "ai-stack.pool.media-pool": "true"},
    3: {"ai-stack.pool.service-pool": "true", "ai-stack.pool.staging-pool": "true", "ai-stack.gpu": "nvidia"},
}


def _host(node: int) -> str:
    return f"unix://{SWARM_DIR}/node{node}/docker.sock"


def _leave(engines: dict[int, docker.DockerClient]) -> None:
    for node in (3, 2, 1):  # workers first
        with suppress(docker.errors.APIError):
            engines[node].swarm.leave(force=True)


def _formed(manager: docker.DockerClient) -> bool:
    """Whether the three engines already form the test's swarm (an earlier run's). It is kept
    between runs: leaving and joining again, the same engines can keep a stale gossip agent
    (port 7946 in use, in dockerd's log), and names then stop resolving across nodes."""
    if not manager.info()["Swarm"].get("ControlAvailable"):
        return False
    ready = {n.attrs["Status"]["Addr"] for n in manager.nodes.list() if n.attrs["Status"]["State"] == "ready"}
    return ready == set(ADDRESS.values()) and len(manager.nodes.list()) == len(ADDRESS)


def _wait_for_no_tasks(engines: dict[int, docker.DockerClient]) -> None:
    deadline = time.monotonic() + 180
    while any(
        c.containers.list(all=True, filters={"label": "com.docker.swarm.service.id"}, sparse=True)
        for c in engines.values()
    ):
        assert time.monotonic() < deadline, "removed services left containers behind"
        time.sleep(2)


def _set_labels(manager: docker.DockerClient, node_id: str, labels: dict[str, str]) -> None:
    node = manager.nodes.get(node_id)
    spec = node.attrs["Spec"]
    spec["Labels"] = labels
    node.update(spec)


@contextmanager
def _labels(cluster: dict[str, Any], node: int, labels: dict[str, str]) -> Iterator[None]:
    """The node's labels replaced for the block, then the docs' labels back."""
    _set_labels(cluster["manager"], cluster["ids"][node], labels)
    try:
        yield
    finally:
        _set_labels(cluster["manager"], cluster["ids"][node], LABELS[node])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    engines = {}
    for node in ADDRESS:
        try:
            engines[node] = docker.DockerClient(base_url=_host(node), timeout=120)
            engines[node].ping()
        except docker.errors.DockerException as error:
            missing(
                f"no swarm test node at {_host(node)} (scripts/start-swarm-nodes starts three and says "
                f"what the kernel lacks when it cannot): {error}"
            )
    manager = engines[1]
    if _formed(manager):  # what an interrupted run left on these test-only engines
        for service in manager.services.list():
            service.remove()
        _wait_for_no_tasks(engines)
        for network in manager.networks.list(names=["gen-test-encrypted"]):
            network.remove()
        networks_script(_host(1), "remove")
    else:
        _leave(engines)  # what an interrupted run left
        manager.swarm.init(advertise_addr=ADDRESS[1], listen_addr=f"{ADDRESS[1]}:2377")
        token = manager.swarm.attrs["JoinTokens"]["Worker"]
        for node in (2, 3):
            engines[node].swarm.join(
                remote_addrs=[f"{ADDRESS[1]}:2377"], join_token=token, advertise_addr=ADDRESS[node]
            )
    ids = {}
    for entry in manager.nodes.list():
        node = next(n for n, address in ADDRESS.items() if address == entry.attrs["Status"]["Addr"])
        ids[node] = entry.id
    by_id = {ids[n]: engines[n] for n in ADDRESS}
    for node, labels in LABELS.items():
        _set_labels(manager, ids[node], labels)
    root = tmp_path_factory.mktemp("swarm-cluster")
    try:
        for client in engines.values():
            build_standins(client, standin_images(CATALOG), releases=False)
        prepare_host(CATALOG, root / "altroot")  # one filesystem: every node sees the datasets
        env_files = write_env_files(CATALOG, root / "secrets", root / "altroot", host=_host(1))
        host_env = root / "secrets" / "every-stack.env"  # gen doctor --swarm checks them all at once
        host_env.write_text("".join(env_files[stack].read_text() for stack in sorted(env_files)))
        yield {
            "manager": manager,
            "engines": engines,
            "ids": ids,
            "by_id": by_id,
            "env": env_files,
            "host_env": host_env,
        }
    finally:
        for stack in STACKS:
            with suppress(docker.errors.APIError):
                for service in stack_services(manager, stack):
                    service.remove()
        networks_script(_host(1), "remove")


def _doctor(
    cluster: dict[str, Any], variant: str, catalog: Path = DEFAULT_CATALOG
) -> dict[str, dict[str, str]]:
    """`gen doctor --swarm` asked of the manager, with this host's env file: its checks by name."""
    outcome = run_gen(
        "doctor", "--swarm", "--variant", variant, "--catalog", str(catalog), "--format", "json",
        "--env-file", str(cluster["host_env"]), env={"DOCKER_HOST": _host(1)},
    )  # fmt: skip
    return {c["name"]: c for c in json.loads(outcome.stdout)}


def _drift(stack: str, env_file: Path) -> dict[str, dict[str, Any]]:
    """`gen drift --swarm` asked of the manager: the stack's findings by service."""
    outcome = run_gen(
        "drift", "--swarm", "--stack", stack, "--env-file", str(env_file), "--catalog", str(DEFAULT_CATALOG),
        "--format", "json", env={"DOCKER_HOST": _host(1)},
    )  # fmt: skip
    return {f["service"]: f for f in json.loads(outcome.stdout)}


def _node_of(cluster: dict[str, Any], service: str) -> int:
    tasks = running_tasks(cluster["manager"].services.get(service))
    assert len(tasks) == 1, (service, tasks)
    node: int = next(n for n, node_id in cluster["ids"].items() if node_id == tasks[0]["NodeID"])
    return node


def _container(cluster: dict[str, Any], service: str) -> Any:
    task = running_tasks(cluster["manager"].services.get(service))[0]
    return cluster["by_id"][task["NodeID"]].containers.get(task["Status"]["ContainerStatus"]["ContainerID"])


def test_doctor_finds_a_missing_pool_label_and_a_missing_gpu_resource(cluster: dict[str, Any]) -> None:
    checks = _doctor(cluster, "nvidia")
    failed = {name: c["message"] for name, c in checks.items() if c["status"] == "fail"}
    assert not failed, failed
    assert checks["swarm"]["message"] == "a manager of a swarm of 3 nodes (1 managers)"
    assert checks["placement ai/ollama"]["message"] == f"can run on {_hostname()} ({ADDRESS[3]})"
    assert checks["network ai-net"]["status"] == "ok"

    # the media pool's label forgotten: continue-dev has nowhere to go
    with _labels(cluster, 2, {"ai-stack.pool.service-pool": "true"}):
        checks = _doctor(cluster, "cpu")
    assert checks["label ai-stack.pool.media-pool"]["status"] == "fail"
    assert "continue-dev cannot be placed" in checks["label ai-stack.pool.media-pool"]["message"]
    assert checks["placement ai/continue-dev"]["status"] == "fail"
    assert "node.labels.ai-stack.pool.media-pool == true" in checks["placement ai/continue-dev"]["message"]

    # a node labelled for GPUs whose engine advertises none
    with _labels(cluster, 2, {**LABELS[2], "ai-stack.gpu": "nvidia"}):
        checks = _doctor(cluster, "nvidia")
    gpu = checks[f"gpu resource {_hostname()} ({ADDRESS[2]})"]
    assert gpu["status"] == "fail" and f"advertises 0 {GPU_RESOURCE}" in gpu["message"]
    assert "node-generic-resources" in gpu["hint"]
    assert checks[f"gpu resource {_hostname()} ({ADDRESS[3]})"]["status"] == "ok"

    # and the cpu variant does not ask for GPUs at all
    assert not [name for name in _doctor(cluster, "cpu") if name.startswith("gpu")]


def _hostname() -> str:
    return os.uname().nodename  # the nodes share this machine's hostname


def test_every_stack_lands_where_its_placement_allows_and_reaches_across_nodes(
    cluster: dict[str, Any],
) -> None:
    manager, env = cluster["manager"], cluster["env"]
    result = networks_script(_host(1))
    assert result.returncode == 0, result.stderr
    for stack in STACKS:
        deploy(_host(1), stack, "cpu", env[stack])
    wait_until_converged(manager, STACKS, cluster["by_id"], 300)

    # placement: the only nodes the labels allow
    assert _node_of(cluster, "ai_ollama") == 3  # staging-pool is on the GPU worker only
    assert _node_of(cluster, "ai_continue-dev") == 2  # media-pool is on the first worker only
    socket_services = [
        f"{stack}_{s.id}"
        for stack in STACKS
        for s in CATALOG.stack_services(CATALOG.stacks[stack])
        if s.in_variant("cpu")
        if any(v.source == DOCKER_SOCKET for v in s.volumes)
    ]
    assert socket_services, "the catalog has a service on the Docker socket"
    for service in socket_services:
        assert _node_of(cluster, service) == 1, service
    assert {_node_of(cluster, s) for s in ("ai_ollama", "ai_continue-dev")} == {2, 3}

    # across nodes, by service name, over the internal AI overlay: the IDE on the first worker
    # reaches Ollama on the GPU worker
    ide = _container(cluster, "ai_continue-dev")
    answer = ide.exec_run(["wget", "-q", "-O", "-", "http://ollama:11434/"])
    assert answer.exit_code == 0 and b"stand-in" in answer.output, answer.output
    # and Prometheus reaches Portainer's probe wherever the two run
    prometheus = _container(cluster, "monitoring_prometheus")
    probe_port = CATALOG.services["portainer-probe"].ports[0].container
    answer = prometheus.exec_run(["wget", "-q", "-O", "-", f"http://portainer-probe:{probe_port}/"])
    assert answer.exit_code == 0, answer.output

    # the real Prometheus finds the node exporter on every node (a global service, through
    # tasks.node-exporter) and scrapes each across the overlay
    deadline = time.monotonic() + 150
    while (up := _node_exporters_up(prometheus)) != 3:
        assert time.monotonic() < deadline, f"node exporters up: {up} of 3"
        time.sleep(5)

    # gen drift --swarm: every service as its swarm.yaml says, then one changed behind its back
    for stack in STACKS:
        findings = _drift(stack, env[stack])
        assert {f["status"] for f in findings.values()} == {"in-sync"}, findings
    # plain gen drift, on the manager where Portainer's task runs, points at --swarm
    plain = run_gen("drift", "--stack", "management", "--catalog", str(DEFAULT_CATALOG), "--format", "json",
                    env={"DOCKER_HOST": _host(1)})  # fmt: skip
    portainer = next(f for f in json.loads(plain.stdout) if f["service"] == "portainer")
    assert portainer["differences"] == [
        "no running container (Swarm runs this stack here: gen drift --swarm)"
    ]
    result = docker_cli(_host(1), "service", "update", "--detach", "--limit-cpu", "0.5", "ai_open-webui")
    assert result.returncode == 0, result.stderr
    webui = _drift("ai", env["ai"])["open-webui"]
    expected_cpus = effective_cpus(CATALOG, "open-webui")
    assert webui["status"] == "drifted"
    assert webui["differences"][0] == f"CPU limit is 0.5, the catalog says {expected_cpus:g}", webui

    # the nvidia variant: Ollama moves to the GPU worker and gets its GPU; the GPU exporter runs
    # there too, beside it, reserving none (Swarm would give the node's one GPU to one of them)
    deploy(_host(1), "ai", "nvidia", env["ai"])
    deploy(_host(1), "monitoring", "nvidia", env["monitoring"])
    deadline = time.monotonic() + 300
    while _gpu_task(cluster, "ai_ollama") is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"Ollama got no GPU: {task_states(manager, ['ai'])}")
        time.sleep(3)
    wait_until_converged(manager, ["ai", "monitoring"], cluster["by_id"], 300)
    assert _node_of(cluster, "ai_ollama") == 3
    environment = _container(cluster, "ai_ollama").attrs["Config"]["Env"]
    # what the NVIDIA runtime reads (the docs' swarm-resource setting names this variable)
    assert f"DOCKER_RESOURCE_{GPU_RESOURCE}={GPU_UUID}" in environment, environment
    assert _node_of(cluster, "monitoring_nvidia-exporter") == 3
    exporter = _container(cluster, "monitoring_nvidia-exporter").attrs["Config"]["Env"]
    assert "NVIDIA_VISIBLE_DEVICES=all" in exporter
    assert not [e for e in exporter if e.startswith("DOCKER_RESOURCE_")]


def _node_exporters_up(prometheus: Any) -> int:
    """How many node-exporter targets Prometheus scrapes successfully (its targets API)."""
    answer = prometheus.exec_run(["wget", "-q", "-O", "-", "http://localhost:9090/api/v1/targets"])
    if answer.exit_code != 0:
        return 0
    targets = json.loads(answer.output)["data"]["activeTargets"]
    return sum(t["labels"].get("job") == "node-exporter" and t["health"] == "up" for t in targets)


def _gpu_task(cluster: dict[str, Any], service: str) -> dict[str, Any] | None:
    for task in running_tasks(cluster["manager"].services.get(service)):
        resources = task.get("GenericResources") or []  # what Swarm assigned to the task
        if any((r.get("NamedResourceSpec") or {}).get("Value") == GPU_UUID for r in resources):
            return task
    return None


def test_removal_leaves_nothing_and_the_networks_go_only_after_the_stacks(cluster: dict[str, Any]) -> None:
    manager, engines = cluster["manager"], cluster["engines"]
    networks = [n.name for n in CATALOG.networks.values() if n.type == "bridge"]
    if not stack_services(manager, "ai"):
        result = networks_script(_host(1))
        assert result.returncode == 0, result.stderr
        deploy(_host(1), "ai", "cpu", cluster["env"]["ai"])

    refused = networks_script(_host(1), "remove")
    assert refused.returncode == 1 and "nothing removed: in use by" in refused.stderr, refused
    assert "ai_ollama (ai-net)" in refused.stderr
    assert all(manager.networks.list(names=[name]) for name in networks)

    for stack in STACKS:
        result = docker_cli(_host(1), "stack", "rm", stack)
        assert result.returncode == 0, result.stderr
    assert not manager.configs.list(), "docker stack rm left configs"
    _wait_for_no_tasks(engines)
    removed = networks_script(_host(1), "remove")
    assert removed.returncode == 0, removed.stderr
    assert all(f"removed {name}" in removed.stdout for name in networks), removed.stdout
    for node, client in engines.items():
        left = [n.name for n in client.networks.list() if n.name in networks]
        assert not left, (node, left)
    assert networks_script(_host(1), "remove").returncode == 0  # nothing to do is not an error


def _esp_missing() -> str | None:
    """Why the kernel cannot carry an encrypted overlay (None when it can): Docker encrypts with
    ESP in transport mode, AEAD rfc4106(gcm(aes)), tried here in a scratch namespace."""
    namespace = "gen-esp-probe"
    subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "add", namespace], capture_output=True, check=True)
    try:
        result = subprocess.run(
            ["ip", "-n", namespace, "xfrm", "state", "add", "src", "10.0.0.1", "dst", "10.0.0.2",
             "proto", "esp", "spi", "0x100", "mode", "transport",
             "aead", "rfc4106(gcm(aes))", "0x" + "01" * 20, "64"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
    return None if result.returncode == 0 else result.stderr.strip()


def test_an_encrypted_overlay_carries_traffic_between_nodes_only_with_ipsec_in_the_kernel(
    cluster: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """Where the kernel has ESP, traffic passes encrypted; where it has not (this machine's
    kernel), Docker still makes the network and starts the task, the name resolves, and the
    traffic is dropped: `gen doctor --swarm` fails the catalog's encrypted network beforehand."""
    esp_missing = _esp_missing()
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    encrypt_network(catalog_dir)
    checks = _doctor(cluster, "cpu", catalog_dir)
    assert checks["kernel encryption"]["status"] == ("fail" if esp_missing else "ok"), (esp_missing, checks)

    manager, engines, ids = cluster["manager"], cluster["engines"], cluster["ids"]
    network = manager.networks.create(  # as swarm-networks.sh makes an encrypted network
        "gen-test-encrypted", driver="overlay", attachable=True, options={"encrypted": ""}
    )
    server = None
    try:
        ollama = CATALOG.services["ollama"]  # a stand-in that serves its API (no real program)
        image, port = ollama.image_for("cpu"), ollama.ports[0].container
        server = manager.services.create(
            image, name="gen-test-encrypted-server", networks=[network.id],
            constraints=[f"node.id == {ids[3]}"], endpoint_spec=docker.types.EndpointSpec(mode="dnsrr"),
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not running_tasks(server):
            assert time.monotonic() < deadline, "the encrypted overlay's server did not start"
            time.sleep(2)
        name = "gen-test-encrypted-server"
        client = engines[2].containers.run(
            image, ["sleep", "600"], entrypoint=[], network=network.name, detach=True, remove=True
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                answer = client.exec_run(["sh", "-c", f"timeout 20 wget -q -O - http://{name}:{port}/"])
                if b"bad address" not in answer.output:
                    break
                # the name reaches this node by gossip, in a few seconds
                assert time.monotonic() < deadline, f"{name} does not resolve on the other node"
                time.sleep(2)
        finally:
            client.kill()
        if esp_missing:
            assert answer.exit_code == 143, answer  # no answer at all: timeout ended the wait
        else:
            assert answer.exit_code == 0 and b"stand-in" in answer.output, answer
    finally:
        if server is not None:
            server.remove()
            time.sleep(5)
        with suppress(docker.errors.APIError):
            network.remove()


def test_the_networks_script_refuses_a_network_unlike_the_catalogs(cluster: dict[str, Any]) -> None:
    """An ai-net made before the catalog said internal (the AI services would have a way out):
    the script creates nothing and says why, the doctor fails it; made as the catalog says, both
    pass."""
    manager = cluster["manager"]
    networks_script(_host(1), "remove")
    ai = CATALOG.networks["ai"]
    made = manager.networks.create(ai.name, driver="overlay", attachable=True, ipam=_ipam(str(ai.subnet)))
    try:
        refused = networks_script(_host(1))
        assert refused.returncode == 1, refused
        assert (
            f"nothing created: {ai.name} differs from the catalog: internal false instead of true"
            in refused.stderr
        )
        assert [n.name for n in manager.networks.list() if n.name in _catalog_network_names()] == [ai.name]
        assert (
            _doctor(cluster, "cpu")[f"network {ai.name}"]["message"]
            == "exists with internal false, the catalog says true"
        )
    finally:
        made.remove()

    # a Compose deploy's bridge of the same name on the manager: refused, and never removed here
    admin = CATALOG.networks["admin"]
    bridge = manager.networks.create(admin.name, driver="bridge", ipam=_ipam(str(admin.subnet)))
    try:
        refused = networks_script(_host(1))
        assert refused.returncode == 1
        assert f"{admin.name} differs from the catalog: a bridge network (local scope)" in refused.stderr
        assert "docker compose down there" in refused.stderr
        assert networks_script(_host(1), "remove").returncode == 0
        assert manager.networks.list(names=[admin.name]), "remove took a Compose deploy's bridge"
    finally:
        bridge.remove()
    created = networks_script(_host(1))
    assert created.returncode == 0, created.stderr
    assert _doctor(cluster, "cpu")[f"network {ai.name}"]["status"] == "ok"
    assert networks_script(_host(1)).returncode == 0  # what it made is what the catalog says
    assert networks_script(_host(1), "remove").returncode == 0


def _catalog_network_names() -> set[str]:
    return {n.name for n in CATALOG.networks.values() if n.type == "bridge"}


def _ipam(subnet: str) -> docker.types.IPAMConfig:
    return docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
