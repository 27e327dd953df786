"""Cross-entity checks: rules no single file's schema can express. They never raise on bad data."""

from __future__ import annotations

from generator.catalog.checks import (
    boundaries,
    images,
    models,
    networks,
    notify,
    references,
    scripts,
    services,
    storage,
    templates,
)
from generator.catalog.checks.context import Check, Context
from generator.diagnostics import Diagnostic

__all__ = ["Check", "Context", "run_checks"]


def run_checks(context: Context) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for module in (
        references,
        networks,
        services,
        images,
        models,
        storage,
        templates,
        boundaries,
        scripts,
        notify,
    ):
        for check in module.CHECKS:
            problems.extend(check(context))
    return problems
