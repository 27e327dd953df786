"""Located problems in catalog files, and how they are printed."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem: where it is (file, 1-based line and column, JSON path) and what is wrong."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: error: {where}{self.message}"


def json_path(parts: Iterable[str | int]) -> str:
    """Render a path like ('ports', 0, 'host') as 'ports[0].host'."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def display_path(path: Path) -> str:
    """A path relative to the working directory when it is below it, else as given."""
    cwd = os.getcwd()  # noqa: PTH109 (a plain string, cheap: called once per catalog file)
    folder = _relative(str(path.parent), cwd)
    if folder is None:  # the folder is not below the working directory: nor is the file
        return str(path)
    return path.name if folder == "." else f"{folder}/{path.name}"


@cache
def _relative(path: str, cwd: str) -> str | None:
    """Resolved once per folder: thousands of catalog files share a few folders."""
    try:
        return str(Path(path).resolve().relative_to(Path(cwd).resolve()))
    except ValueError:
        return None


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    files = len({d.file for d in diagnostics})
    errors = len(diagnostics)
    return f"{errors} error{'s' if errors != 1 else ''} in {files} file{'s' if files != 1 else ''}"


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    lines = [str(d) for d in sorted(diagnostics)]
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"


def as_document(diagnostics: Sequence[Diagnostic]) -> dict[str, object]:
    """`gen validate --format json`: whether the catalog is valid, and every error."""
    return {"valid": not diagnostics, "errors": [asdict(d) for d in sorted(diagnostics)]}
