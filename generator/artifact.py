"""What a renderer returns: one output file, not yet written (generator/writer.py writes them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Artifact:
    """One output file: a path relative to the output folder, its bytes and its mode."""

    path: str
    content: bytes
    mode: int = 0o644
