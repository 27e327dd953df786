"""Files the build generates (Prometheus and its rules, blackbox, Continue, Caddy) and who mounts them.

Their text is rendered by `generator/render/configs.py`; the plan knows only which files a stack
variant has and where each service mounts them: as a compose `configs:` entry, so that a
compose file stays self-contained.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generator.catalog.model import Service

# Files with their own version on Swarm (no static IPs there), written beside as swarm.<name>.
DIFFER_ON_SWARM = frozenset({"prometheus.yml"})
SWARM_PREFIX = "swarm."


@dataclass(frozen=True)
class GeneratedFile:
    name: str
    consumers: tuple[Service, ...]  # the services of the variant that mount it

    @property
    def key(self) -> str:
        """Its key under the compose file's `configs:`."""
        return config_key(self.name)

    @property
    def swarm_name(self) -> str:
        """The file a Swarm stack mounts: its own version where there is one."""
        return SWARM_PREFIX + self.name if self.name in DIFFER_ON_SWARM else self.name


def config_key(file_name: str) -> str:
    return file_name.replace(".", "-")


def generated_files(services: Iterable[Service]) -> tuple[GeneratedFile, ...]:
    mounting: dict[str, list[Service]] = {}
    for service in services:
        for volume in service.volumes:
            users = mounting.setdefault(volume.source, []) if volume.source_kind == "generated" else None
            if users is not None and (not users or users[-1] is not service):
                users.append(service)
    return tuple(GeneratedFile(name, tuple(mounting[name])) for name in sorted(mounting))


def service_configs(service: Service) -> list[dict[str, str]]:
    return [
        {"source": config_key(volume.source), "target": volume.target}
        for volume in service.volumes
        if volume.source_kind == "generated"
    ]
