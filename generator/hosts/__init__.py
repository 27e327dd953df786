"""The catalog held against a live Docker host (docker SDK): `gen doctor` and `gen drift`.
The only package that talks to an engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from generator.catalog.model import Stack
    from generator.hosts.report import Check, Finding
    from generator.plan import Plan


def doctor_checks(
    plan: Plan, stacks: list[Stack], variant: str, settings: dict[str, str], swarm: bool
) -> list[Check]:
    """`gen doctor`: the checks of the engine DOCKER_HOST names, as a Compose host or, with
    `swarm`, as the manager of a swarm."""
    from generator.errors import UsageError
    from generator.hosts.doctor import run_doctor
    from generator.hosts.engine import connect
    from generator.hosts.swarm_doctor import run_swarm_doctor

    if swarm and variant == "amd":
        raise UsageError("Swarm has no amd variant (its services cannot be given devices): cpu or nvidia")
    if swarm:
        return run_swarm_doctor(connect(), plan, stacks, variant, settings)  # type: ignore[arg-type]
    return run_doctor(connect(), plan, stacks, variant, settings)  # type: ignore[arg-type]


def drift_findings(plan: Plan, stack_ids: list[str], env_file: Path | None, swarm: bool) -> list[Finding]:
    """`gen drift`: the containers of the engine DOCKER_HOST names against the catalog or, with
    `swarm`, the services of the swarm it manages."""
    from generator.hosts.drift import run_drift
    from generator.hosts.engine import connect
    from generator.hosts.swarm_drift import run_swarm_drift

    return (run_swarm_drift if swarm else run_drift)(connect(), plan, stack_ids, env_file)
