"""What a command prints: its result as JSON (`--format json`) or as text, chosen in one place.

Every command's JSON is the same shape of text: indented by 2, keys sorted, a final newline;
dataclasses become objects, addresses strings. The text is worked out only when it is printed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from generator.outcome import Outcome


def json_text(data: Any) -> str:
    from generator.render.serialize import plain_data  # not at start-up: `gen --help` stays light

    return json.dumps(plain_data(data), indent=2, sort_keys=True) + "\n"


def emit(output_format: str, data: Any, text: Callable[[], str]) -> None:
    """Print `data` as JSON when asked for, `text()` otherwise."""
    click.echo(json_text(data) if output_format == "json" else text(), nl=False)


def finish(output_format: str, outcome: Outcome) -> NoReturn:
    """Print the outcome as asked and exit with its code: 0 when it is ok, else 1."""
    emit(output_format, outcome.to_dict(), outcome.to_text)
    sys.exit(0 if outcome.ok else 1)
