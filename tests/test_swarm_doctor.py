"""`gen doctor --swarm`'s reasoning on recorded answers of a real swarm (tests/fixtures/swarm:
`docker node inspect` of the three-node test cluster, Docker 26.1). The same checks run against
the live cluster in tests/integration/test_swarm_cluster.py; here, the cases that cluster does
not have: an old engine, too few GPUs, a port held on every candidate node."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.catalog import load_catalog
from generator.catalog.model import Accelerator
from generator.hosts.kernel import read_config
from generator.hosts.swarm_doctor import (
    _encryption,
    _node,
    candidates,
    placements,
    run_swarm_doctor,
    satisfies,
)
from generator.plan import plan as make_plan
from generator.plan.rules import ENCRYPTED_OVERLAY
from tests.conftest import DEFAULT_CATALOG, ROOT, encrypt_network

CATALOG = load_catalog(DEFAULT_CATALOG)
NODES: list[dict[str, Any]] = json.loads((ROOT / "tests/fixtures/swarm/nodes.json").read_text())
MANAGER, WORKER, GPU_WORKER = NODES  # 10.231.0.11, .12, .13


@dataclass
class Recorded:
    attrs: dict[str, Any]
    running_on: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.attrs.get("ID", ""))

    @property
    def name(self) -> str:
        return str(self.attrs.get("Name", ""))

    def tasks(self, filters: dict[str, str] | None = None) -> list[dict[str, str]]:
        return [{"NodeID": node} for node in self.running_on]


class Listing:
    def __init__(self, items: list[Recorded]) -> None:
        self.items = items

    def list(self, **_: Any) -> list[Recorded]:
        return self.items


class RecordedSwarm:
    """A manager's answers: info, nodes, networks and services as the Engine API gives them."""

    def __init__(
        self,
        nodes: list[dict[str, Any]],
        services: list[Recorded] | None = None,
        networks: list[Recorded] | None = None,
    ) -> None:
        self.nodes = Listing([Recorded(n) for n in nodes])
        self.networks = Listing(networks or [])
        self.services = Listing(services or [])

    def info(self) -> dict[str, Any]:
        return {"Swarm": {"LocalNodeState": "active", "ControlAvailable": True}}


def _checks(
    nodes: list[dict[str, Any]], variant: Accelerator = "nvidia", services: list[Recorded] | None = None
) -> Any:
    stacks = [CATALOG.stacks[s] for s in sorted(CATALOG.stacks)]
    swarm = RecordedSwarm(nodes, services)
    return {c.name: c for c in run_swarm_doctor(swarm, make_plan(CATALOG), stacks, variant)}


def _name(node: dict[str, Any]) -> str:
    return _node(node).name


def test_constraints_match_as_swarm_matches_them() -> None:
    gpu = _node(GPU_WORKER)
    assert satisfies(gpu, "node.labels.ai-stack.gpu == nvidia")
    assert satisfies(gpu, "node.labels.ai-stack.gpu == NVIDIA")  # values compare without case
    assert not satisfies(gpu, "node.labels.ai-stack.gpu != nvidia")
    assert not satisfies(gpu, "node.labels.ai-stack.pool.media-pool == true")  # a missing label is ''
    assert satisfies(gpu, "node.labels.ai-stack.pool.media-pool != true")
    assert satisfies(gpu, "node.role == worker") and not satisfies(gpu, "node.role == manager")
    assert satisfies(gpu, f"node.id == {GPU_WORKER['ID']}")
    assert satisfies(gpu, "node.platform.os == linux")
    assert satisfies(gpu, "node.foo == bar") is None  # not a key this check knows: Swarm decides
    assert gpu.gpus == 1 and _node(WORKER).gpus == 0


def test_each_service_can_go_only_where_the_recorded_labels_allow() -> None:
    nodes = [_node(n) for n in NODES]
    where = {
        p.label: [n.name for n in candidates(nodes, p)]
        for p in placements(make_plan(CATALOG), list(CATALOG.stacks.values()), "nvidia")
    }
    assert where["ai/ollama"] == [_name(GPU_WORKER)]
    assert where["ai/continue-dev"] == [_name(WORKER)]
    assert where["management/portainer"] == [_name(MANAGER)]
    assert where["monitoring/nvidia-exporter"] == [_name(GPU_WORKER)]
    assert len(where["edge/caddy"]) == 3


def test_the_recorded_cluster_passes() -> None:
    checks = {k: c for k, c in _checks(NODES).items() if not k.startswith("host path ")}  # this machine's
    assert not [c for c in checks.values() if c.status != "ok"], [
        c for c in checks.values() if c.status != "ok"
    ]
    assert checks[f"gpu resource {_name(GPU_WORKER)}"].message == "advertises 1 NVIDIA-GPU"


def test_an_engine_before_23_on_a_gpu_worker_fails() -> None:
    old = copy.deepcopy(GPU_WORKER)
    old["Description"]["Engine"]["EngineVersion"] = "20.10.24+dfsg1"  # Debian 12's docker.io
    check = _checks([MANAGER, WORKER, old])[f"gpu resource {_name(old)}"]
    assert check.status == "fail" and "moby/moby#44378" in check.message
    assert "23.0" in check.hint


def test_more_gpu_reservations_than_gpus_fail(catalog_copy: Callable[..., Path]) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    ollama = catalog_dir / "services" / "ollama.yaml"
    ollama.write_text(ollama.read_text() + "swarm:\n  replicas: 2\n")
    catalog = load_catalog(catalog_dir)
    checks = {
        c.name: c
        for c in run_swarm_doctor(RecordedSwarm(NODES), make_plan(catalog), [catalog.stacks["ai"]], "nvidia")
    }
    capacity = checks["gpu capacity"]
    assert capacity.status == "fail"
    assert (
        "reserve 2 NVIDIA-GPU, the GPU nodes advertise 1" in capacity.message
        and "ai/ollama (2)" in capacity.message
    )


def test_a_gpu_label_without_the_gpu_resource_fails() -> None:
    labelled = copy.deepcopy(NODES)
    labelled[1]["Spec"]["Labels"]["ai-stack.gpu"] = "nvidia"
    check = _checks(labelled)[f"gpu resource {_name(labelled[1])}"]
    assert check.status == "fail" and "advertises 0 NVIDIA-GPU" in check.message
    assert "node-generic-resources" in check.hint


def test_no_gpu_node_and_no_pool_label_fail_with_what_to_run() -> None:
    bare = copy.deepcopy(NODES)
    for node in bare:
        node["Spec"]["Labels"] = {}
    checks = _checks(bare)
    assert checks["gpu nodes"].status == "fail"
    assert checks["gpu nodes"].hint == "docker node update --label-add ai-stack.gpu=nvidia <GPU node>"
    pool = checks["label ai-stack.pool.service-pool"]
    assert pool.status == "fail" and pool.hint.startswith(
        "docker node update --label-add ai-stack.pool.service-pool=true"
    )
    assert checks["placement ai/ollama"].status == "fail"


def _service(name: str, labels: dict[str, str], port: int, mode: str, running_on: list[str]) -> Recorded:
    """A Swarm service as `docker service inspect` shows it, publishing one port."""
    published = {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": port, "PublishMode": mode}
    attrs = {
        "ID": name,
        "Spec": {"Name": name, "Labels": labels},
        "Endpoint": {"Spec": {"Ports": [published]}},
    }
    return Recorded(attrs, running_on)


def test_a_port_held_in_ingress_mode_or_on_every_candidate_fails() -> None:
    ingress = _service("other_web", {}, 443, "ingress", [])
    host_mode = _service("other_api", {}, 9443, "host", [MANAGER["ID"]])
    ours = _service("management_portainer", {"com.docker.stack.namespace": "management"}, 9443, "host", [])
    checks = _checks(NODES, services=[ingress, host_mode])
    assert (
        checks["port 443/tcp"].status == "fail"
        and "ingress mode by service other_web" in checks["port 443/tcp"].message
    )
    assert checks["port 9443/tcp"].status == "fail"
    assert "other_api on every node management/portainer can run on" in checks["port 9443/tcp"].message
    # a stack being redeployed holds its own port: not a conflict
    assert _checks(NODES, services=[ours])["port 9443/tcp"].status == "ok"
    # a port the Compose file binds to 127.0.0.1 is not published by Swarm, so nothing can hold it
    assert "port 11434/tcp" not in _checks(NODES, services=[_service("x", {}, 11434, "host", [])])


def test_a_port_held_on_one_node_blocks_a_global_service(catalog_copy: Callable[..., Path]) -> None:
    """A global service runs on every node: a port held on one of them is a conflict."""
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    cadvisor = catalog_dir / "services" / "cadvisor.yaml"
    text = cadvisor.read_text().replace(
        "    host_ip: 127.0.0.1\n", "    reason: Scraped from another host.\n", 1
    )
    cadvisor.write_text(text)
    catalog = load_catalog(catalog_dir)
    port = next(p.host for p in catalog.services["cadvisor"].ports if p.host)
    on_one = _service("other_metrics", {}, port, "host", [WORKER["ID"]])
    stacks = [catalog.stacks["monitoring"]]
    checks = {
        c.name: c for c in run_swarm_doctor(RecordedSwarm(NODES, [on_one]), make_plan(catalog), stacks, "cpu")
    }
    check = checks[f"port {port}/tcp"]
    assert (
        check.status == "fail" and f"on {_name(WORKER)}, where monitoring/cadvisor (global)" in check.message
    )


def test_a_worker_or_a_lone_engine_is_told_to_ask_a_manager() -> None:
    class Worker(RecordedSwarm):
        def info(self) -> dict[str, Any]:
            return {"Swarm": {"LocalNodeState": "active", "ControlAvailable": False}}

    class Lone(RecordedSwarm):
        def info(self) -> dict[str, Any]:
            return {"Swarm": {"LocalNodeState": "inactive"}}

    stacks = [CATALOG.stacks["ai"]]
    (worker,) = run_swarm_doctor(Worker(NODES), make_plan(CATALOG), stacks, "cpu")
    assert worker.status == "fail" and "a worker" in worker.message and "manager" in worker.hint
    (lone,) = run_swarm_doctor(Lone(NODES), make_plan(CATALOG), stacks, "cpu")
    assert lone.status == "fail" and "not in a swarm (inactive)" in lone.message


def _network(
    name: str,
    driver: str,
    scope: str,
    subnet: str,
    internal: bool = False,
    options: dict[str, str] | None = None,
) -> Recorded:
    """A network as `docker network inspect` shows it."""
    return Recorded(
        {
            "Name": name,
            "Driver": driver,
            "Scope": scope,
            "IPAM": {"Config": [{"Subnet": subnet}]},
            "Internal": internal,
            "Options": options or {},
        }
    )


def test_a_local_network_of_the_same_name_or_a_foreign_subnet_fails() -> None:
    stacks = [CATALOG.stacks["ai"]]
    networks = [
        _network("ai-net", "bridge", "local", "172.20.0.0/24"),  # a Compose deploy's, not an overlay
        _network("lab", "overlay", "swarm", "172.23.0.0/16"),  # holds ai-egress' subnet
        _network("monitoring-net", "overlay", "swarm", "172.21.0.0/24"),
    ]
    checks = {
        c.name: c
        for c in run_swarm_doctor(RecordedSwarm(NODES, networks=networks), make_plan(CATALOG), stacks, "cpu")
    }
    assert (
        checks["network ai-net"].status == "fail"
        and "not a Swarm overlay" in checks["network ai-net"].message
    )
    assert (
        checks["network ai-egress"].status == "fail" and "used by lab" in checks["network ai-egress"].message
    )
    whole = {
        c.name: c
        for c in run_swarm_doctor(
            RecordedSwarm(NODES, networks=networks), make_plan(CATALOG), [CATALOG.stacks["monitoring"]], "cpu"
        )
    }
    assert (
        whole["network monitoring-net"].message == "a Swarm overlay with the catalog's subnet 172.21.0.0/24"
    )


def test_an_answer_the_engine_api_does_not_document_is_a_warning_not_a_traceback() -> None:
    broken = copy.deepcopy(NODES)
    del broken[0]["ID"]
    (check,) = run_swarm_doctor(RecordedSwarm(broken), make_plan(CATALOG), [CATALOG.stacks["ai"]], "cpu")
    assert check.status == "warn" and "could not read the nodes" in check.message
    odd_ports = _service("odd", {}, 9090, "host", [])
    del odd_ports.attrs["Spec"]["Name"]
    checks = run_swarm_doctor(
        RecordedSwarm(NODES, services=[odd_ports]), make_plan(CATALOG), [CATALOG.stacks["monitoring"]], "cpu"
    )
    assert [c.status for c in checks if c.name == "ports"] == ["warn"]
    assert any(c.name.startswith("placement") and c.status == "ok" for c in checks)  # the others went on


def test_an_overlay_that_is_not_internal_or_encrypted_as_the_catalog_says_fails(
    catalog_copy: Callable[..., Path],
) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    encrypt_network(catalog_dir)
    catalog = load_catalog(catalog_dir)
    networks = [
        # made before the catalog said internal: the AI services would have a way out
        _network("ai-net", "overlay", "swarm", "172.20.0.0/24", internal=False),
        _network("ai-egress", "overlay", "swarm", "172.23.0.0/24"),
        _network("monitoring-net", "overlay", "swarm", "172.21.0.0/24"),  # not encrypted
    ]
    stacks = [catalog.stacks[s] for s in ("ai", "monitoring")]
    checks = {
        c.name: c
        for c in run_swarm_doctor(RecordedSwarm(NODES, networks=networks), make_plan(catalog), stacks, "cpu")
    }
    assert checks["network ai-net"].status == "fail"
    assert checks["network ai-net"].message == "exists with internal false, the catalog says true"
    assert "swarm-networks.sh remove" in checks["network ai-net"].hint
    assert checks["network monitoring-net"].message == "exists with encrypted false, the catalog says true"
    assert checks["network ai-egress"].status == "ok"
    encrypted = _network(
        "monitoring-net", "overlay", "swarm", "172.21.0.0/24", options={"encrypted": "", "x": "1"}
    )
    checks = {
        c.name: c
        for c in run_swarm_doctor(
            RecordedSwarm(NODES, networks=[encrypted]),
            make_plan(catalog),
            [catalog.stacks["monitoring"]],
            "cpu",
        )
    }
    assert checks["network monitoring-net"].status == "ok"


def test_an_encrypted_network_needs_ipsec_in_the_kernel(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    encrypt_network(catalog_dir)
    catalog = load_catalog(catalog_dir)
    planned = placements(make_plan(catalog), [catalog.stacks["monitoring"]], "cpu")
    full = "\n".join(f"CONFIG_{name}=y" for name in ENCRYPTED_OVERLAY)
    # a kernel configured as the test machine's: no ESP, no GCM (its /proc/config.gz)
    lacking = full.replace("CONFIG_INET_ESP=y", "# CONFIG_INET_ESP is not set").replace(
        "CONFIG_CRYPTO_GCM=y", "CONFIG_CRYPTO_GCM=n"
    )
    (tmp_path / "config.gz").write_bytes(gzip.compress(lacking.encode()))
    (tmp_path / "config").write_text(full.replace("INET_ESP=y", "INET_ESP=m"))

    def reader(name: str) -> Callable[[], Any]:
        return lambda: read_config([tmp_path / "absent", tmp_path / name])

    (check,) = _encryption(catalog, planned, True, reader("config.gz"))
    assert check.status == "fail"
    assert "lacks CONFIG_CRYPTO_GCM, CONFIG_INET_ESP: Docker makes the network" in check.message
    assert str(tmp_path / "config.gz") in check.message and "monitoring.yaml" in check.hint
    (check,) = _encryption(catalog, planned, True, reader("config"))
    assert check.status == "ok" and "has IPsec ESP for monitoring-net" in check.message
    (check,) = _encryption(catalog, planned, True, reader("absent"))
    assert check.status == "warn" and "not readable" in check.message
    (check,) = _encryption(catalog, planned, False, reader("config"))  # DOCKER_HOST elsewhere
    assert check.status == "warn" and "kernels cannot be read from here" in check.message
    # no encrypted network, no check
    assert not list(
        _encryption(
            CATALOG,
            placements(make_plan(CATALOG), [CATALOG.stacks["monitoring"]], "cpu"),
            True,
            reader("config"),
        )
    )


def test_a_corrupt_or_unreadable_kernel_configuration_is_skipped(tmp_path: Path) -> None:
    packed = gzip.compress(b"CONFIG_INET_ESP=y\n" * 200)
    corrupt = bytearray(packed)
    corrupt[len(packed) // 2] ^= 0xFF
    (tmp_path / "corrupt.gz").write_bytes(bytes(corrupt))
    (tmp_path / "cut.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain").write_text("# CONFIG_INET_ESP is not set\nCONFIG_XFRM=m\nnoise\n")
    paths = [tmp_path / name for name in ("absent", "corrupt.gz", "cut.gz", "folder", "plain")]
    found = read_config(paths)
    assert found == (tmp_path / "plain", {"XFRM": "m"})
    assert read_config(paths[:-1]) is None
