"""What a renderer returns: one output file, not yet written (generator/writer.py writes them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MARKER = ".gen-output"  # the file that says a folder is gen's output, which a build may replace
MARKER_TEXT = b"Made by `gen build`. The whole folder is replaced on every build: do not edit.\n"


@dataclass(frozen=True)
class Artifact:
    """One output file: a path relative to the output folder, its bytes and its mode."""

    path: str
    content: bytes
    mode: int = 0o644


def with_marker(artifacts: Iterable[Artifact]) -> list[Artifact]:
    """The output folder's files, sorted by path, led by the marker; two of one path are a bug."""
    result = sorted(artifacts, key=lambda a: a.path)
    paths = [a.path for a in result]
    if len(set(paths)) != len(paths):
        duplicates = sorted({p for p in paths if paths.count(p) > 1})
        raise AssertionError(f"two renderers produced the same file: {duplicates}")
    return [Artifact(MARKER, MARKER_TEXT), *result]
