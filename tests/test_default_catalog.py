"""The catalog this project ships: valid, complete, and the values its docs promise."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from generator.catalog import load_catalog
from generator.catalog.model import Catalog
from tests.conftest import DEFAULT_CATALOG


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_CATALOG)


def test_ai_network_matches_the_report(catalog: Catalog) -> None:
    ai = catalog.networks["ai"]
    assert ai.subnet == IPv4Network("172.20.0.0/24")
    assert ai.gateway == IPv4Address("172.20.0.1")
    addresses = {
        s.id: str(a.ipv4_address) for s in catalog.services.values() for a in s.networks if a.network == "ai"
    }
    assert addresses == {
        "caddy": "172.20.0.5",
        "ollama": "172.20.0.10",
        "open-webui": "172.20.0.11",
        "continue-dev": "172.20.0.12",
        "ollama-models": "172.20.0.13",  # the one-shot job that has Ollama pull the models
    }
    assert {catalog.networks[n].subnet for n in ("management", "media")} == {
        IPv4Network("192.168.0.0/24"),
        IPv4Network("192.168.1.0/24"),
    }


def test_zfs_tuning_matches_the_report(catalog: Catalog) -> None:
    def tuning(dataset_id: str) -> tuple[str, str, str]:
        dataset = catalog.datasets[dataset_id]
        props = catalog.storage_classes[dataset.storage_class].properties
        return dataset.full_name, props["recordsize"], props["compression"]

    assert tuning("ai-models") == ("service-pool/ai-models", "1M", "lz4")
    assert tuning("portainer") == ("service-pool/portainer", "64K", "gzip")
    assert tuning("ai-temp") == ("staging-pool/ai-temp", "128K", "off")
    assert tuning("ai-datasets") == ("media-pool/ai-datasets", "2M", "zstd")
    assert "open-webui" in catalog.datasets


def test_every_service_of_the_report_is_in_a_stack(catalog: Catalog) -> None:
    expected = {
        "caddy",
        "ollama",
        "open-webui",
        "continue-dev",
        "continue-extension",
        "ollama-models",
        "portainer",
        "prometheus",
        "alertmanager",
        "cadvisor",
        "portainer-probe",
        "nvidia-exporter",
        "node-exporter",
    }
    assert set(catalog.services) == expected
    in_stacks = [s for stack in catalog.stacks.values() for s in stack.services]
    assert sorted(in_stacks) == sorted(expected)
    assert {"ai", "monitoring", "management", "edge"} <= set(catalog.stacks)


def test_monitoring_host_ports_match_the_report(catalog: Catalog) -> None:
    def host_port(service_id: str) -> int | None:
        return catalog.services[service_id].ports[0].host

    assert (host_port("cadvisor"), host_port("portainer-probe"), host_port("nvidia-exporter")) == (
        9103,
        9104,
        9105,
    )


def test_every_service_has_limits_health_and_pinned_image(catalog: Catalog) -> None:
    for service in catalog.services.values():
        assert service.limits.cpus > 0 and service.limits.memory
        assert service.healthcheck is not None or service.healthcheck_none_reason
        assert ":" in service.image.rsplit("/", 1)[-1] and not service.image.endswith(":latest")


def test_gpu_capabilities(catalog: Catalog) -> None:
    assert catalog.services["ollama"].accelerators() == ("cpu", "nvidia", "amd")
    assert catalog.services["ollama"].image_for("amd").endswith("-rocm")
    assert catalog.services["nvidia-exporter"].accelerators() == ("nvidia",)
    assert catalog.stack_accelerators(catalog.stacks["management"]) == ("cpu",)


def test_secrets_have_no_value(catalog: Catalog) -> None:
    secrets = [(s.id, e) for s in catalog.services.values() for e in s.env if e.is_secret]
    assert ("open-webui", "WEBUI_SECRET_KEY") in [(sid, e.name) for sid, e in secrets]
    assert all(e.value is None for _, e in secrets)


def test_blackwell_needs_open_modules_and_r570(catalog: Catalog) -> None:
    blackwell = next(g for g in catalog.gpu_generations.values() if "12.0" in g.compute_capabilities)
    assert blackwell.kernel_modules == "open-required"
    assert int(blackwell.min_driver.split(".")[0]) >= 570
    assert "RTX 5070 Ti" in blackwell.examples


def test_four_roles_map_onto_portainer_ce(catalog: Catalog) -> None:
    assert set(catalog.roles) == {"admin", "developer", "monitor", "guest"}
    assert {r.portainer.user_role for r in catalog.roles.values()} == {"administrator", "standard"}
