"""Renderers: pure functions from the deployment plan to artifacts. `render_all` runs them all."""

from __future__ import annotations

from collections.abc import Callable

from generator.artifact import Artifact, with_marker
from generator.parallel import in_child, worth_it
from generator.plan import Plan

Renderer = Callable[[Plan], list[Artifact]]
# Below this many services one process is faster than starting a second one.
PARALLEL_FROM_SERVICES = 300


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
    all_renderers = renderers()
    if not worth_it(len(plan.catalog.services), PARALLEL_FROM_SERVICES):
        return with_marker(a for renderer in all_renderers for a in renderer(plan))
    # Large catalogs on several cores: a forked child renders the Swarm files and the
    # Portainer templates while this process renders the rest (compose files, the index, the
    # scripts). The child gets a bit less than half: it runs ~1.3x slower, copying the pages it
    # shares with this process as it touches them. Measured best of the splits tried, at 1,000
    # and at 5,000 services.
    from generator.render import portainer, swarm

    in_second_process = (swarm.render, portainer.render)
    second = in_child(lambda p: [a for r in in_second_process for a in r(p)], plan)
    artifacts = [a for r in all_renderers if r not in in_second_process for a in r(plan)]
    return with_marker([*artifacts, *second()])
