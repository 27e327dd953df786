"""Renderers: pure functions from the deployment plan to artifacts. `render_all` runs them all."""

from __future__ import annotations

from collections.abc import Callable

from generator.artifact import Artifact, with_marker
from generator.plan import Plan

Renderer = Callable[[Plan], list[Artifact]]


def renderers() -> tuple[Renderer, ...]:
    from generator.render import compose, configs, gpu, index, portainer, swarm, verify_script, zfs

    return (
        index.render,
        compose.render,
        swarm.render,
        configs.render,
        portainer.render,
        zfs.render,
        gpu.render,
        verify_script.render,
    )


def render_all(plan: Plan) -> list[Artifact]:
    return with_marker(a for renderer in renderers() for a in renderer(plan))
