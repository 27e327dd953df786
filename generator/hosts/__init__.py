"""The catalog held against a live Docker host (docker SDK): `gen doctor` and `gen drift`.
The only package that talks to an engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.catalog.model import Catalog, Stack
    from generator.hosts.report import Check


def doctor_checks(
    catalog: Catalog, stacks: list[Stack], variant: str, settings: dict[str, str], swarm: bool
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
        return run_swarm_doctor(connect(), catalog, stacks, variant)  # type: ignore[arg-type]
    return run_doctor(connect(), catalog, stacks, variant, settings)  # type: ignore[arg-type]
