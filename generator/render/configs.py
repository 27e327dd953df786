"""Configuration files the build generates (Prometheus and its rules, blackbox, Continue, Caddy).

Each depends on the variant (a CPU host has no NVIDIA exporter to scrape), so it is written
beside the compose file that mounts it, stacks/<stack>/<variant>/<name>, and embedded in that
compose file as a `configs:` entry with inline `content`: every compose file stays self-contained
(Portainer deploys a single file). `$` is doubled there because Compose interpolates content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from generator.artifact import Artifact
from generator.catalog.deploy import compose_path, iter_variants, variant_services
from generator.catalog.model import Accelerator, Catalog, Service

# (catalog, variant, the services of the stack's variant) -> the file's text
Generator = Callable[[Catalog, Accelerator, Sequence[Service]], str]


def _generators() -> dict[str, Generator]:
    from generator.render import alerts, continue_config, monitoring, proxy

    return {
        "Caddyfile": proxy.caddyfile,
        "prometheus.yml": monitoring.prometheus_config,
        "alert-rules.yml": alerts.alert_rules,
        "blackbox.yml": monitoring.blackbox_config,
        "continue-config.yaml": continue_config.continue_config,
    }


def _swarm_generators() -> dict[str, Generator]:
    """Files that differ on Swarm (no static IPs there), written beside as swarm.<name>."""
    from generator.render import monitoring

    return {"prometheus.yml": monitoring.prometheus_swarm_config}


SWARM_PREFIX = "swarm."


def swarm_file_name(file_name: str) -> str:
    """The file a Swarm stack mounts for a generated file: its own version where there is one."""
    return SWARM_PREFIX + file_name if file_name in _swarm_generators() else file_name


def config_key(file_name: str) -> str:
    return file_name.replace(".", "-")


def generated_names(services: Iterable[Service]) -> list[str]:
    return sorted({v.source for s in services for v in s.volumes if v.source_kind == "generated"})


def generated_file(
    catalog: Catalog, file_name: str, variant: Accelerator, services: Sequence[Service], swarm: bool = False
) -> str:
    """The file as the stack's variant mounts it (on Swarm with `swarm`); `services` are that
    variant's services."""
    consumers = [
        s for s in services if any(v.source == file_name for v in s.volumes if v.source_kind == "generated")
    ]
    generators = {**_generators(), **(_swarm_generators() if swarm else {})}
    return generators[file_name](catalog, variant, consumers)


def compose_configs(catalog: Catalog, services: Sequence[Service], variant: Accelerator) -> dict[str, Any]:
    return {
        config_key(name): {"content": generated_file(catalog, name, variant, services).replace("$", "$$")}
        for name in generated_names(services)
    }


def service_configs(service: Service) -> list[dict[str, str]]:
    return [
        {"source": config_key(volume.source), "target": volume.target}
        for volume in service.volumes
        if volume.source_kind == "generated"
    ]


def render(catalog: Catalog) -> list[Artifact]:

    artifacts = []
    for stack, variant in iter_variants(catalog):
        folder = compose_path(stack, variant).rsplit("/", 1)[0]
        services = variant_services(catalog, stack, variant)
        on_swarm = variant in catalog.swarm_accelerators(stack)
        for name in generated_names(services):
            content = generated_file(catalog, name, variant, services)
            artifacts.append(Artifact(f"{folder}/{name}", content.encode("utf-8")))
            if on_swarm and swarm_file_name(name) != name:
                content = generated_file(catalog, name, variant, services, swarm=True)
                artifacts.append(Artifact(f"{folder}/{swarm_file_name(name)}", content.encode("utf-8")))
    return artifacts
