"""Catalog text into each output format, safely: one function per format, used by every writer.

Catalog text is data. Single-line fields cannot carry a line break at all (the catalog refuses
them), but prose (descriptions, notes) may span lines, and wherever prose lands in a format where
a line break starts a new statement, it goes through here.
"""

from __future__ import annotations


def env_comment(text: str) -> str:
    """Prose as comment lines of an env file: every line starts with '# ', so no line of the text
    can become a NAME=value assignment."""
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines() or [""])
