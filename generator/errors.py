"""The one exception tree. Only the CLI catches it, and turns it into an exit code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.diagnostics import Diagnostic


class GenError(Exception):
    """A problem with the user's input or environment, reported without a traceback."""

    exit_code = 1


class UsageError(GenError):
    """The command line asked for something that does not exist or makes no sense."""

    exit_code = 2


class CatalogInvalid(GenError):
    """The catalog has errors; nothing is rendered."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(f"the catalog has {len(self.diagnostics)} error(s)")


class OutputRefused(GenError):
    """The output folder exists but was not made by gen: refuse to replace it."""


class StaleOutput(GenError):
    """`gen build --check` found output that differs from what the catalog renders."""
