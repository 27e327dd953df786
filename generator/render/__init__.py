"""Renderers: pure functions from the catalog model to artifacts. `render_all` runs them all."""

from __future__ import annotations

import os
from collections.abc import Callable

from generator.catalog.model import Catalog
from generator.writer import Artifact, with_marker

Renderer = Callable[[Catalog], list[Artifact]]
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


def render_all(catalog: Catalog) -> list[Artifact]:
    all_renderers = renderers()
    if len(catalog.services) < PARALLEL_FROM_SERVICES or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return with_marker(a for renderer in all_renderers for a in renderer(catalog))
    # Large catalogs on several cores (#11): a forked child renders the stack files (compose and
    # Swarm) while this process renders the rest, about half the work each; the child inherits
    # the catalog and sends back only bytes.
    from generator.render import compose, swarm

    in_child = (compose.render, swarm.render)
    stack_files = _in_child(lambda c: [a for renderer in in_child for a in renderer(c)], catalog)
    artifacts = [a for renderer in all_renderers if renderer not in in_child for a in renderer(catalog)]
    return with_marker([*artifacts, *stack_files()])


def _in_child(renderer: Renderer, catalog: Catalog) -> Callable[[], list[Artifact]]:
    """Start `renderer(catalog)` in a forked child; the returned call waits for its artifacts."""
    import pickle

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, send, leave without running the parent's cleanup
        status = 0
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as stream:
                pickle.dump(renderer(catalog), stream, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # the parent renders again and reports the error
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)

    def result() -> list[Artifact]:
        with os.fdopen(read_end, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return renderer(catalog)  # the child failed: render here, and let any error surface
        artifacts: list[Artifact] = pickle.loads(data)
        return artifacts

    return result
