"""Configuration files the build generates (Prometheus, blackbox, Continue).

Each is written to config/<name> in the output and embedded in the compose files that mount it
as a `configs:` entry with inline `content`, so every compose file stays self-contained (Portainer
deploys a single file). `$` is doubled there because Compose interpolates config content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from generator.catalog.model import Catalog, Service
from generator.writer import Artifact


def _generators() -> dict[str, Callable[[Catalog], str]]:
    from generator.render import continue_config, monitoring

    return {
        "prometheus.yml": monitoring.prometheus_config,
        "blackbox.yml": monitoring.blackbox_config,
        "continue-config.yaml": continue_config.continue_config,
    }


def config_key(file_name: str) -> str:
    return file_name.replace(".", "-")


def generated_file(catalog: Catalog, file_name: str) -> str:
    return _generators()[file_name](catalog)


def compose_configs(catalog: Catalog, services: Iterable[Service]) -> dict[str, Any]:
    names = sorted({v.source for s in services for v in s.volumes if v.source_kind == "generated"})
    return {config_key(name): {"content": generated_file(catalog, name).replace("$", "$$")} for name in names}


def service_configs(service: Service) -> list[dict[str, str]]:
    return [
        {"source": config_key(volume.source), "target": volume.target}
        for volume in service.volumes
        if volume.source_kind == "generated"
    ]


def render(catalog: Catalog) -> list[Artifact]:
    used = sorted(
        {v.source for s in catalog.services.values() for v in s.volumes if v.source_kind == "generated"}
    )
    return [Artifact(f"config/{name}", generated_file(catalog, name).encode("utf-8")) for name in used]
