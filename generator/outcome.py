"""What every command returns: one outcome that knows its exit code, its JSON and its text.

`reporting.finish` prints an outcome in the format asked for and exits with its code, so the
command line decides no exit code of its own. A command's result type implements the protocol
(`ok`, `to_dict`, `to_text`); `Listing` wraps what always succeeds (a list, a page of text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class Outcome(Protocol):
    @property
    def ok(self) -> bool: ...  # exit code 0, else 1

    def to_dict(self) -> Any: ...  # --format json (dataclasses and addresses are made plain)

    def to_text(self) -> str: ...  # the terminal, every outside text through escape.terminal_text


@dataclass(frozen=True)
class Listing:
    """An answer that is always a success: what to print as JSON and as text."""

    data: Any
    text: Callable[[], str]
    ok: bool = True

    def to_dict(self) -> Any:
        return self.data

    def to_text(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Results:
    """A list of results (checks, findings, pulls, images) that fails when any is `failing`."""

    items: Sequence[Any]
    text: Callable[[Sequence[Any]], str]
    failing: Callable[[Any], bool]

    @property
    def ok(self) -> bool:
        return not any(self.failing(item) for item in self.items)

    def to_dict(self) -> Any:
        return list(self.items)

    def to_text(self) -> str:
        return self.text(self.items)
