"""The GPU bootstrap script: detection, driver and runtime checks, verification, the variant to use."""

from __future__ import annotations

from generator.artifact import Artifact
from generator.catalog.model import Catalog
from generator.plan import Plan
from generator.plan.facts import gpu_test_image
from generator.render.text import render_text

SCRIPT = "scripts/gpu-bootstrap.sh"
TARGET_SECONDS = 10  # the deployment report's target: GPU initialisation < 10 s
# What --install pins (apt's version string, as NVIDIA's install guide pins it): 1.19, before
# 1.20.0's update-application-profile hook, which fails to start containers that get /etc/nvidia
# read-only (NVIDIA/nvidia-container-toolkit issue 2026, fixed by PR 2028 after 1.20.0).
TOOLKIT_VERSION = "1.19.0-1"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def services_min_driver(catalog: Catalog) -> str:
    """The newest driver minimum a GPU service of the catalog declares (e.g. Ollama's 550)."""
    minimums = [
        s.gpu.nvidia.min_driver
        for s in catalog.services.values()
        if s.gpu and s.gpu.nvidia and s.gpu.nvidia.min_driver
    ]
    return max(minimums, key=_version_key, default="0")


def render(plan: Plan) -> list[Artifact]:
    catalog = plan.catalog
    if not catalog.gpu_generations:
        return []
    generations = sorted(
        catalog.gpu_generations.values(), key=lambda g: _version_key(g.compute_capabilities[0])
    )
    script = render_text(
        "gpu-bootstrap.sh.j2",
        target_seconds=TARGET_SECONDS,
        test_image=gpu_test_image(catalog) or "",
        toolkit_version=TOOLKIT_VERSION,
        services_min_driver=services_min_driver(catalog),
        newest_min_driver=max((g.min_driver for g in generations), key=_version_key),
        generations=generations,
    )
    return [Artifact(SCRIPT, script.encode("utf-8"), 0o755)]
