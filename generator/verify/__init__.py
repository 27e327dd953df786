"""`gen verify`: the deployment report's performance baselines, measured on this host."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.catalog.model import Catalog, Dataset, Stack
from generator.errors import UsageError
from generator.plan import Plan
from generator.plan.facts import BASELINES, first_dataset
from generator.plan.facts import ollama_url as stack_ollama_url
from generator.verify.baselines import Options, measure_all
from generator.verify.facts import host_facts
from generator.verify.report import Report


@dataclass(frozen=True)
class Request:
    """What `gen verify` is asked to measure, as its command line gives it."""

    stack: str = "ai"
    variant: str = "cpu"
    runs: int = 3
    env_file: Path | None = None  # default: secrets/<stack>.env when it is there
    compose_command: str | None = None  # default: `docker compose`, else docker-compose
    probe_image: str = "busybox:stable"
    gpu_image: str | None = None  # default: the GPU bootstrap script's (the stack's GPU image)
    dataset_id: str | None = None
    zfs_pool: str | None = None
    model: str | None = None
    ollama_url: str | None = None
    targets: tuple[str, ...] = ()  # BASELINE=SECONDS
    only: tuple[str, ...] = ()


def run_verify(plan: Plan, request: Request, docker: Callable[[], Any]) -> Report:
    """Measure the requested baselines (`docker` connects to the engine on first use)."""
    import shlex

    from generator.plan.facts import gpu_test_image
    from generator.render.compose import compose_file

    catalog = plan.catalog
    (stack,) = plan.chosen_stacks([request.stack])
    variant = request.variant
    if variant not in catalog.stack_accelerators(stack):
        allowed = ", ".join(catalog.stack_accelerators(stack))
        raise UsageError(f"stack '{stack.id}' has no {variant} variant; it has {allowed}")
    targets = _targets(request.targets)
    only = set(request.only) or None
    unknown = sorted(set(targets) - set(BASELINES)) + sorted((only or set()) - set(BASELINES))
    if unknown:
        raise UsageError(f"unknown baseline {', '.join(unknown)}; baselines: {', '.join(BASELINES)}")
    env_file = request.env_file
    if env_file is None and Path(f"secrets/{stack.id}.env").is_file():
        env_file = Path(f"secrets/{stack.id}.env")
    compose = shlex.split(request.compose_command) if request.compose_command else default_compose()
    measured_at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="gen-verify-") as scratch:
        deployment = plan.variant(stack, variant)
        (Path(scratch) / "compose.yaml").write_bytes(compose_file(deployment).content)
        options = Options(
            deployment=deployment,
            runs=request.runs,
            compose=compose,
            env_file=env_file,
            compose_file=Path(scratch) / "compose.yaml",
            probe_image=request.probe_image,
            gpu_image=request.gpu_image or gpu_test_image(catalog),
            dataset=_dataset(catalog, stack, request.dataset_id),
            zfs_pool=request.zfs_pool,
            model=request.model,
            ollama_url=request.ollama_url or stack_ollama_url(catalog, stack),
            targets=targets,
            docker=docker,
        )
        measurements = measure_all(options, only)
    host = host_facts(docker, compose)
    return Report(stack.id, variant, request.runs, measured_at, host, measurements, options.model_speed)


def _targets(pairs: tuple[str, ...]) -> dict[str, float]:
    targets = {}
    for pair in pairs:
        name, _, seconds = pair.partition("=")
        try:
            targets[name] = float(seconds)
        except ValueError:
            raise UsageError(f"--target {pair}: expected BASELINE=SECONDS, e.g. container_start=30") from None
    return targets


def default_compose() -> list[str]:
    """`docker compose` where the CLI plugin works, else a docker-compose binary."""
    from generator.hosts.engine import compose_cli

    found = compose_cli()
    return list(found[0]) if found else ["docker", "compose"]


def _dataset(catalog: Catalog, stack: Stack, dataset_id: str | None) -> Dataset | None:
    if dataset_id is None:
        return first_dataset(catalog, stack)
    if dataset_id not in catalog.datasets:
        raise UsageError(f"unknown dataset '{dataset_id}'; datasets: {', '.join(sorted(catalog.datasets))}")
    return catalog.datasets[dataset_id]
