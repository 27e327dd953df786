"""The GPU bootstrap script: detection, driver and runtime checks, verification, the variant to use."""

from __future__ import annotations

from generator.artifact import Artifact
from generator.catalog.model import Catalog
from generator.plan import Plan
from generator.render.text import render_text

SCRIPT = "scripts/gpu-bootstrap.sh"
TARGET_SECONDS = 10  # the deployment report's target: GPU initialisation < 10 s
CUDA_TEST_IMAGE = "nvidia/cuda:12.8.1-base-ubuntu24.04"


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
        cuda_image=CUDA_TEST_IMAGE,
        services_min_driver=services_min_driver(catalog),
        newest_min_driver=max((g.min_driver for g in generations), key=_version_key),
        generations=generations,
    )
    return [Artifact(SCRIPT, script.encode("utf-8"), 0o755)]
