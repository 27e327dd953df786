"""Deterministic YAML for generated files: insertion order kept, ambiguous strings quoted.

A small block-style emitter for the plain data the renderers build (dicts, lists, strings,
numbers, booleans, None): a general YAML library spent most of `gen build`'s time here (#11).
Strings that a YAML 1.1 or 1.2 reader could take for a boolean, null, number or time ('off',
'yes', '12:30', '0.5') are double-quoted, so every consumer (Compose, Portainer, PyYAML) reads
a string; strings a plain scalar cannot carry are single-quoted; multi-line strings become
literal blocks. tests/test_yaml_text.py round-trips random data through two YAML parsers.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

AMBIGUOUS = re.compile(
    r"""^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
        |null|Null|NULL|~|=|<<|
        |[-+]?(?:0|[1-9][0-9_]*)(?::[0-5]?[0-9])+(?:\.[0-9_]*)?
        |[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?0[xob][0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
        |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?)\Z""",
    re.VERBOSE,
)
# Printable characters a plain or single-quoted scalar may hold (no tab, no line breaks).
PRINTABLE_CHAR = r"[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
PRINTABLE = re.compile(f"{PRINTABLE_CHAR}*\\Z")
UNPRINTABLE = re.compile(f'(?!{PRINTABLE_CHAR})[^\\\\"]')
INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def to_yaml(data: Any, header: str = "") -> bytes:
    """`data` as YAML text, after `header` (comment lines), with LF endings and a final newline."""
    lines: list[str] = []
    if isinstance(data, dict) and data:
        _mapping(data, 0, lines)
    elif isinstance(data, list) and data:
        _sequence(data, 0, lines)
    else:
        lines.append(_inline(data))
    return (header + "\n".join(lines) + "\n").encode("utf-8")


def _mapping(data: dict[Any, Any], indent: int, lines: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for number, (key, value) in enumerate(data.items()):
        prefix = first_prefix if number == 0 and first_prefix is not None else pad
        _entry(f"{prefix}{_scalar(key)}:", value, indent, lines)


def _entry(head: str, value: Any, indent: int, lines: list[str]) -> None:
    """One `key:` line and its value, nested at `indent` + 2 when the value is a block."""
    if isinstance(value, dict) and value:
        lines.append(head)
        _mapping(value, indent + 2, lines)
    elif isinstance(value, list) and value:
        lines.append(head)
        _sequence(value, indent + 2, lines)
    elif isinstance(value, str) and "\n" in value and (block := _literal(value, indent + 2)):
        lines.append(f"{head} {block[0]}")
        lines.extend(block[1:])
    else:
        lines.append(f"{head} {_inline(value)}")


def _sequence(data: list[Any], indent: int, lines: list[str], first_prefix: str | None = None) -> None:
    pad = " " * indent
    for number, item in enumerate(data):
        prefix = (first_prefix if number == 0 and first_prefix is not None else pad) + "- "
        if isinstance(item, dict) and item:
            _mapping(item, indent + 2, lines, first_prefix=prefix)
        elif isinstance(item, list) and item:
            _sequence(item, indent + 2, lines, first_prefix=prefix)
        elif isinstance(item, str) and "\n" in item and (block := _literal(item, indent + 2)):
            lines.append(prefix + block[0])
            lines.extend(block[1:])
        else:
            lines.append(prefix + _inline(item))


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    return _string(value)


@lru_cache(maxsize=65536)  # keys and values repeat across a catalog's files
def _string(value: str) -> str:
    if AMBIGUOUS.match(value) or not PRINTABLE.match(value):
        return _double_quoted(value)
    if _plain_ok(value):
        return value
    return "'" + value.replace("'", "''") + "'"


def _double_quoted(value: str) -> str:
    """JSON's string syntax, which YAML's double-quoted style shares, with every non-printable
    character escaped (JSON leaves DEL, NEL and the Unicode line separators raw)."""
    text = json.dumps(value, ensure_ascii=False)
    return UNPRINTABLE.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) < 0x10000 else m.group(), text
    )


def _float(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    mantissa, _, exponent = repr(value).partition("e")
    if "." not in mantissa:  # YAML 1.1 needs the point: 1.0e-05, 3.0
        mantissa += ".0"
    return f"{mantissa}e{exponent}" if exponent else mantissa


def _plain_ok(value: str) -> bool:
    """Whether `value` (printable, unambiguous) reads back as itself when written plain."""
    if value[0] == " " or value[-1] == " " or value[-1] == ":":
        return False
    if value[0] in INDICATORS and not (value[0] in "-?:" and len(value) > 1 and value[1] != " "):
        return False
    return ": " not in value and " #" not in value


def _literal(value: str, indent: int) -> list[str] | None:
    """`value` as a literal block (indicator line first), or None when one cannot carry it."""
    lines = value.split("\n")
    if (
        value.endswith("\n\n")
        or not value.strip("\n")
        or not all(PRINTABLE.match(line.replace("\t", " ")) for line in lines)
    ):
        return None
    if any(line != line.rstrip(" \t") for line in lines) or lines[0][:1] in (" ", "\t"):
        return None
    chomp = "" if value.endswith("\n") else "-"
    if chomp == "":
        lines = lines[:-1]
    pad = " " * indent
    return ["|" + chomp, *[pad + line if line else "" for line in lines]]
