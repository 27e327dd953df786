"""Catalog text is data: single-line fields carry no line break or control character.

Values reach shell scripts, the Caddyfile, env files and Prometheus templates, where a line break
starts a new statement; JSON Schema patterns cannot refuse one reliably (Python's `$` matches
before a final line break). So every string of every document is checked here, whatever its
schema says: prose fields (descriptions, notes) may span lines, commands may too (they are code
the catalog's author writes, passed as argv), and nothing anywhere carries other control
characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from generator.catalog.loader import RawDocument
from generator.diagnostics import Diagnostic

PROSE = frozenset({"description", "note", "first_start", "fallback_note", "image_note", "capacity_note"})
COMMANDS = frozenset({"command", "entrypoint", "test"})  # argv lists, healthcheck test
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def is_control(character: str) -> bool:
    """A control or format character (NUL, ESC, a bidi override, a zero-width space...)."""
    return unicodedata.category(character) in ("Cc", "Cf")


def _refused(text: str, multi_line: bool) -> str | None:
    for character in text:
        if character in LINE_BREAKS:
            if multi_line and character == "\n":
                continue
            return character
        if is_control(character) and not (multi_line and character == "\t"):
            return character
    return None


def _strings(
    value: Any, parts: list[str | int], multi_line: bool
) -> Iterator[tuple[list[str | int], str, bool, bool]]:
    """(path, text, may span lines, is a mapping key) for every string, keys included."""
    if isinstance(value, str):
        yield parts, value, multi_line, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield [*parts, key], key, False, True
                yield from _strings(item, [*parts, key], key in PROSE or key in COMMANDS)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, [*parts, index], multi_line)


def single_line_problems(document: RawDocument) -> list[Diagnostic]:
    problems = []
    for parts, text, multi_line, is_key in _strings(document.data, [], False):
        if text.isprintable():  # the common case, in C: nothing to refuse
            continue
        character = _refused(text, multi_line)
        if character is not None:
            code = f"U+{ord(character):04X}"
            name = f"a line break, {code}" if character in LINE_BREAKS else unicodedata.name(character, code)
            what = "a key" if is_key else ("this field" if multi_line else "a single-line field")
            hint = "use plain text" if multi_line else "only prose fields and commands may span lines"
            message = f"{character!r} ({name}) is not allowed in {what}; {hint}"
            problems.append(document.diagnostic(parts, message, key=is_key))
    return problems
