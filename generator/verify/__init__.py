"""`gen verify`: the deployment report's performance baselines, measured on this host."""

from __future__ import annotations

import datetime
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.catalog.model import Catalog, Dataset, Stack
from generator.errors import UsageError
from generator.verify.baselines import BASELINES, Options, measure_all
from generator.verify.facts import host_facts
from generator.verify.report import Report
from generator.verify.stack_facts import first_dataset
from generator.verify.stack_facts import ollama_url as stack_ollama_url


def run_verify(
    catalog: Catalog,
    stack: Stack,
    variant: str,
    *,
    runs: int,
    compose: list[str],
    env_file: Path | None,
    docker: Callable[[], Any],
    probe_image: str,
    cuda_image: str,
    dataset_id: str | None,
    zfs_pool: str | None,
    model: str | None,
    ollama_url: str | None,
    targets: dict[str, float],
    only: set[str] | None,
) -> Report:
    from generator.render.compose import compose_file

    if variant not in catalog.stack_accelerators(stack):
        allowed = ", ".join(catalog.stack_accelerators(stack))
        raise UsageError(f"stack '{stack.id}' has no {variant} variant; it has {allowed}")
    unknown = sorted(set(targets) - set(BASELINES)) + sorted((only or set()) - set(BASELINES))
    if unknown:
        raise UsageError(f"unknown baseline {', '.join(unknown)}; baselines: {', '.join(BASELINES)}")
    measured_at = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="gen-verify-") as scratch:
        (Path(scratch) / "compose.yaml").write_bytes(compose_file(catalog, stack, variant).content)
        options = Options(
            catalog=catalog,
            stack=stack,
            variant=variant,
            runs=runs,
            compose=compose,
            env_file=env_file,
            compose_file=Path(scratch) / "compose.yaml",
            probe_image=probe_image,
            cuda_image=cuda_image,
            dataset=_dataset(catalog, stack, dataset_id),
            zfs_pool=zfs_pool,
            model=model,
            ollama_url=ollama_url or stack_ollama_url(catalog, stack),
            targets=targets,
            docker=docker,
        )
        measurements = measure_all(options, only)
    return Report(stack.id, variant, runs, measured_at, host_facts(docker, compose), measurements)


def default_compose() -> list[str]:
    """`docker compose` where the CLI plugin is installed, else a docker-compose binary."""
    if shutil.which("docker"):
        return ["docker", "compose"]
    binary = shutil.which("docker-compose")
    return [binary] if binary else ["docker", "compose"]


def _dataset(catalog: Catalog, stack: Stack, dataset_id: str | None) -> Dataset | None:
    if dataset_id is None:
        return first_dataset(catalog, stack)
    if dataset_id not in catalog.datasets:
        raise UsageError(f"unknown dataset '{dataset_id}'; datasets: {', '.join(sorted(catalog.datasets))}")
    return catalog.datasets[dataset_id]
