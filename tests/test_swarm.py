"""Swarm variants (stacks/<stack>/<variant>/swarm.yaml): what `docker stack deploy` needs, checked
by the real Compose binary, and the type 2 Portainer templates that deploy them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT, encrypt_network
from tests.docker_env import compose

DIST = ROOT / "dist"
CATALOG = load_catalog(DEFAULT_CATALOG)
SWARM_FILES = sorted(DIST.glob("stacks/*/*/swarm.yaml"))
# a value for every secret the catalog has (gen secrets writes them on a host)
SECRETS = "".join(f"{env.name}=s\n" for s in CATALOG.services.values() for env in s.env if env.is_secret)


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def test_every_stack_has_swarm_variants_but_amd() -> None:
    found = sorted(str(p.relative_to(DIST / "stacks").parent) for p in SWARM_FILES)
    assert found == [
        "ai/cpu",
        "ai/nvidia",
        "edge/cpu",
        "management/cpu",
        "monitoring/cpu",
        "monitoring/nvidia",
    ]


@pytest.mark.parametrize("path", SWARM_FILES, ids=lambda p: str(p.parent.relative_to(DIST / "stacks")))
def test_compose_accepts_the_swarm_files(path: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "test.env"
    env_file.write_text(SECRETS)
    result = compose("-f", str(path), "config", "--format", "json", env_file=env_file)
    services = json.loads(result.stdout)["services"]
    for entry in services.values():
        assert "depends_on" not in entry and "devices" not in entry and "privileged" not in entry
        for network in (entry.get("networks") or {}).values():
            assert not (network or {}).get("ipv4_address")  # no static addresses on overlays


def test_placement_limits_and_gpus_in_swarm_form() -> None:
    ai = _load(DIST / "stacks/ai/nvidia/swarm.yaml")
    ollama = ai["services"]["ollama"]["deploy"]
    assert ollama["placement"]["constraints"] == [
        "node.labels.ai-stack.gpu == nvidia",
        "node.labels.ai-stack.pool.service-pool == true",
        "node.labels.ai-stack.pool.staging-pool == true",
    ]
    assert ollama["resources"]["reservations"]["generic_resources"] == [
        {"discrete_resource_spec": {"kind": "NVIDIA-GPU", "value": 1}}
    ]
    assert ollama["resources"]["limits"] == {"cpus": "${OLLAMA_CPUS:-4}", "memory": "${OLLAMA_MEMORY:-12g}"}
    assert ollama["update_config"]["failure_action"] == "rollback"
    assert ollama["rollback_config"]["order"] == "stop-first"
    assert ai["networks"]["ai"] == {"name": "ai-net", "external": True}
    management = _load(DIST / "stacks/management/cpu/swarm.yaml")
    assert "node.role == manager" in management["services"]["portainer"]["deploy"]["placement"]["constraints"]
    header = (DIST / "stacks/monitoring/cpu/swarm.yaml").read_text().split("version:")[0]
    assert "#   node-exporter: the host PID namespace, no-new-privileges (security_opt), static IPs" in header
    assert "ai-stack.gpu=nvidia" in header and "swarm-networks.sh" in header


def test_the_networks_script_makes_every_bridge_network_an_attachable_overlay() -> None:
    script = (DIST / "scripts/swarm-networks.sh").read_text()
    for network in CATALOG.networks.values():
        if network.type == "bridge":
            internal = "true" if network.internal else "false"
            assert f"\"$1\" '{network.name}' '{network.subnet}' {internal} false\n" in script
    assert "--driver overlay --attachable" in script
    assert script.index("each differs") < script.index("each create")  # checked before any is made


def test_type_2_templates_deploy_the_swarm_files() -> None:
    templates = json.loads((DIST / "templates.json").read_text())["templates"]
    swarm = {t["id"]: t for t in templates if t["type"] == 2}
    assert sorted(swarm) == [21, 22, 23, 24, 25, 26]
    assert swarm[22]["repository"]["stackfile"] == "dist/stacks/ai/nvidia/swarm.yaml"
    assert swarm[22]["title"] == "AI stack (NVIDIA GPU) on Swarm"
    assert "ai-stack.pool.<pool>=true" in swarm[22]["note"]


def test_an_encrypted_network_and_own_constraints_reach_the_swarm_files(
    catalog_copy: Callable[..., Path],
) -> None:
    from generator.plan import plan
    from generator.render.swarm import build_swarm, networks_script

    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    encrypt_network(catalog_dir)
    service = catalog_dir / "services" / "prometheus.yaml"
    service.write_text(
        service.read_text() + "swarm:\n  replicas: 2\n  constraints: [node.labels.zone == rack1]\n"
    )
    catalog = load_catalog(catalog_dir)
    assert "\"$1\" 'monitoring-net' '172.21.0.0/24' false true\n" in networks_script(catalog)
    document = build_swarm(plan(catalog).variant(catalog.stacks["monitoring"], "cpu"))
    deploy = document["services"]["prometheus"]["deploy"]
    assert deploy["replicas"] == 2
    assert deploy["placement"]["constraints"][-1] == "node.labels.zone == rack1"


def test_services_find_each_other_by_dns_not_through_a_virtual_ip() -> None:
    # a virtual IP needs IPVS in every node's kernel; the multi-node test's kernel has none
    for path in SWARM_FILES:
        for name, service in _load(path)["services"].items():
            assert service["deploy"]["endpoint_mode"] == "dnsrr", (path, name)
            assert all(port["mode"] == "host" for port in service.get("ports", [])), (path, name)


def test_a_config_is_named_after_its_content_so_a_changed_file_is_a_new_config() -> None:
    import hashlib

    names = {}
    for variant in ("cpu", "nvidia"):
        folder = DIST / "stacks/monitoring" / variant
        configs = _load(folder / "swarm.yaml")["configs"]
        for key, config in configs.items():
            content = (folder / config["file"]).read_bytes()
            assert config["name"] == f"monitoring_{key}_{hashlib.sha256(content).hexdigest()[:12]}"
        names[variant] = configs["prometheus-yml"]["name"]
    assert names["cpu"] != names["nvidia"]  # the nvidia one also scrapes the GPU exporter


def test_a_gpu_watcher_reserves_no_gpu_and_sees_them_all() -> None:
    monitoring = _load(DIST / "stacks/monitoring/nvidia/swarm.yaml")["services"]
    exporter = monitoring["nvidia-exporter"]
    assert CATALOG.services["nvidia-exporter"].gpu.nvidia.shared  # type: ignore[union-attr]
    assert "reservations" not in exporter["deploy"]["resources"]
    assert exporter["environment"]["NVIDIA_VISIBLE_DEVICES"] == "all"
    assert exporter["deploy"]["placement"]["constraints"] == ["node.labels.ai-stack.gpu == nvidia"]
    ai = _load(DIST / "stacks/ai/nvidia/swarm.yaml")["services"]
    assert ai["ollama"]["deploy"]["resources"]["reservations"]["generic_resources"] == [
        {"discrete_resource_spec": {"kind": "NVIDIA-GPU", "value": 1}}
    ]


def test_host_exporters_run_on_every_node_and_prometheus_finds_each() -> None:
    monitoring = _load(DIST / "stacks/monitoring/nvidia/swarm.yaml")
    for name in ("node-exporter", "cadvisor", "nvidia-exporter"):
        deploy = monitoring["services"][name]["deploy"]
        assert deploy["mode"] == "global" and "replicas" not in deploy, name
    assert monitoring["configs"]["prometheus-yml"]["file"] == "./swarm.prometheus.yml"
    config = yaml.safe_load((DIST / "stacks/monitoring/nvidia/swarm.prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["node-exporter"]["dns_sd_configs"] == [
        {"names": ["tasks.node-exporter"], "type": "A", "port": 9100}
    ]
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["prometheus:9090"]  # by name: no static IPs
    text = (DIST / "stacks/monitoring/nvidia/swarm.prometheus.yml").read_text()
    for network in CATALOG.networks.values():
        if network.subnet is not None:
            assert str(network.subnet.network_address).rsplit(".", 1)[0] + "." not in text, network.id
    # compose hosts keep scraping by static IP
    compose = (DIST / "stacks/monitoring/nvidia/prometheus.yml").read_text()
    assert "172.21.0." in compose


def _compose_ports(entry: dict[str, Any]) -> dict[tuple[int, str], str]:
    """(host port, protocol) -> the address Compose binds it to ('' for every address)."""
    bound = {}
    for text in entry.get("ports", []):
        parts = str(text).split(":")
        address, host, container = parts if len(parts) == 3 else ["", *parts]
        bound[(int(host), container.partition("/")[2] or "tcp")] = address
    return bound


@pytest.mark.parametrize("swarm_file", SWARM_FILES, ids=lambda p: str(p.relative_to(DIST / "stacks").parent))
def test_no_swarm_file_is_more_open_than_its_compose_twin(swarm_file: Path) -> None:
    """Swarm cannot bind a port to one address: a port Compose keeps on 127.0.0.1 (Ollama without
    authentication, Prometheus with its lifecycle API, the exporters) is not published at all."""
    compose_services = _load(swarm_file.with_name("compose.yaml"))["services"]
    for name, entry in _load(swarm_file)["services"].items():
        compose_ports = _compose_ports(compose_services[name])
        for port in entry.get("ports", []):
            key = (port["published"], port["protocol"])
            assert compose_ports.get(key) in ("", "0.0.0.0"), f"{name}: {key} is {compose_ports.get(key)!r}"
