"""The text of the files the build generates (Prometheus and its rules, blackbox, Continue, Caddy).

Each depends on the variant (a CPU host has no NVIDIA exporter to scrape), so it is written
beside the compose file that mounts it, stacks/<stack>/<variant>/<name>, and embedded in that
compose file as a `configs:` entry with inline `content`: every compose file stays self-contained
(Portainer deploys a single file). `$` is doubled there because Compose interpolates content.
Which files a variant has and who mounts them is the plan's (`generator/plan/compose/generated.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from generator.artifact import Artifact
from generator.catalog.model import Accelerator, Catalog, Service
from generator.plan import Plan, StackVariant
from generator.plan.compose.generated import GeneratedFile

# (catalog, variant, the services that mount the file) -> the file's text
Generator = Callable[[Catalog, Accelerator, Sequence[Service]], str]


def _generators() -> dict[str, Generator]:
    from generator.render import alertmanager, alerts, continue_config, monitoring, proxy

    return {
        "Caddyfile": proxy.caddyfile,
        "prometheus.yml": monitoring.prometheus_config,
        "alert-rules.yml": alerts.alert_rules,
        "alertmanager.yml": alertmanager.alertmanager_config,
        "blackbox.yml": monitoring.blackbox_config,
        "continue-config.yaml": continue_config.continue_config,
    }


def swarm_generators() -> dict[str, Generator]:
    """The files with their own version on Swarm (the plan's DIFFER_ON_SWARM)."""
    from generator.render import monitoring

    return {"prometheus.yml": monitoring.prometheus_swarm_config}


def generated_text(deployment: StackVariant, file: GeneratedFile, swarm: bool = False) -> str:
    """The file as the stack variant mounts it (on Swarm with `swarm`)."""
    generators = {**_generators(), **(swarm_generators() if swarm else {})}
    return generators[file.name](deployment.catalog, deployment.variant, file.consumers)


def compose_configs(deployment: StackVariant) -> dict[str, Any]:
    return {
        file.key: {"content": generated_text(deployment, file).replace("$", "$$")}
        for file in deployment.generated
    }


def render(plan: Plan) -> list[Artifact]:
    artifacts = []
    for deployment in plan.variants:
        for file in deployment.generated:
            content = generated_text(deployment, file)
            artifacts.append(Artifact(f"{deployment.folder}/{file.name}", content.encode("utf-8")))
            if deployment.on_swarm and file.swarm_name != file.name:
                content = generated_text(deployment, file, swarm=True)
                artifacts.append(Artifact(f"{deployment.folder}/{file.swarm_name}", content.encode("utf-8")))
    return artifacts
