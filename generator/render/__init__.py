"""Renderers: pure functions from the catalog model to artifacts. `render_all` runs them all."""

from __future__ import annotations

from generator.catalog.model import Catalog
from generator.writer import Artifact, with_marker


def render_all(catalog: Catalog) -> list[Artifact]:
    from generator.render import compose, configs, gpu, index, portainer, verify_script, zfs

    artifacts: list[Artifact] = []
    renderers = (
        index.render,
        compose.render,
        configs.render,
        portainer.render,
        zfs.render,
        gpu.render,
        verify_script.render,
    )
    for renderer in renderers:
        artifacts.extend(renderer(catalog))
    return with_marker(artifacts)
