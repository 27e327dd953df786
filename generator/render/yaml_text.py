"""Deterministic YAML for generated files: insertion order kept, ambiguous strings quoted.

A small block-style emitter for the plain data the renderers build (dicts, lists, strings,
numbers, booleans, None): a general YAML library spent most of `gen build`'s time here.
Strings that a YAML 1.1 or 1.2 reader could take for a boolean, null, number or time ('off',
'yes', '12:30', '0.5') are double-quoted, so every consumer (Compose, Portainer, PyYAML) reads
a string; strings a plain scalar cannot carry are single-quoted; multi-line strings become
literal blocks. tests/test_yaml_text.py round-trips random data through two YAML parsers.
"""

from __future__ import annotations

import json
import re
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
    data = _normal(data)
    if type(data) is dict and data:
        _mapping(data, "", lines, None)
    elif type(data) is list and data:
        _sequence(data, "", lines, None)
    else:
        lines.append(_inline(data))
    return (header + "\n".join(lines) + "\n").encode("utf-8")


# The two functions below run for every line of every generated file: they dispatch on exact
# types and look rendered keys and strings up in dicts, the fastest way found.
def _mapping(data: dict[Any, Any], pad: str, lines: list[str], first_prefix: str | None) -> None:
    """`data`'s entries at indentation `pad`; the first after `first_prefix` (a list's "- ")."""
    for key, value in data.items():
        head = (pad if first_prefix is None else first_prefix) + (KEYS.get(key) or _key(key))
        first_prefix = None
        if type(value) not in COMMON_TYPES:
            value = _normal(value)
        kind = type(value)
        if kind is str:
            if "\n" in value and (block := _literal(value, pad + "  ")):
                lines.append(head + " " + block[0])
                lines.extend(block[1:])
            else:
                lines.append(head + " " + (STRINGS.get(value) or _string(value)))
        elif kind is dict and value:
            lines.append(head)
            _mapping(value, pad + "  ", lines, None)
        elif kind is list and value:
            lines.append(head)
            _sequence(value, pad + "  ", lines, None)
        elif kind is int:
            lines.append(head + " " + int.__repr__(value))
        else:
            lines.append(head + " " + _inline(value))


def _sequence(data: list[Any], pad: str, lines: list[str], first_prefix: str | None) -> None:
    """`data`'s items as "- " lines at indentation `pad`; the first after `first_prefix`."""
    dash = pad + "- "
    for item in data:
        prefix = dash if first_prefix is None else first_prefix + "- "
        first_prefix = None
        if type(item) not in COMMON_TYPES:
            item = _normal(item)
        kind = type(item)
        if kind is str:
            if "\n" in item and (block := _literal(item, pad + "  ")):
                lines.append(prefix + block[0])
                lines.extend(block[1:])
            else:
                lines.append(prefix + (STRINGS.get(item) or _string(item)))
        elif kind is dict and item:
            _mapping(item, pad + "  ", lines, prefix)
        elif kind is list and item:
            _sequence(item, pad + "  ", lines, prefix)
        elif kind is int:
            lines.append(prefix + int.__repr__(item))
        else:
            lines.append(prefix + _inline(item))


COMMON_TYPES = frozenset({str, dict, list, int, bool, type(None)})
KEYS: dict[str, str] = {}  # string key -> "key:" as written (only strings: True == 1 in a dict)
STRINGS: dict[str, str] = {}  # string -> its scalar form (see _string)
CACHE_LIMIT = 65536


def _normal(value: Any) -> Any:
    """Subclasses of dict, list and str as their base type; other values as they are."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return str(value)
    return value


def _key(key: Any) -> str:
    text = _scalar(_normal(key)) + ":"
    if type(key) is str and len(KEYS) < CACHE_LIMIT:
        KEYS[key] = text
    return text


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


def _string(value: str) -> str:
    if AMBIGUOUS.match(value) or not PRINTABLE.match(value):
        text = _double_quoted(value)
    elif _plain_ok(value):
        text = value
    else:
        text = "'" + value.replace("'", "''") + "'"
    if len(STRINGS) < CACHE_LIMIT:  # keys and values repeat across a catalog's files
        STRINGS[value] = text
    return text


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


def _literal(value: str, pad: str) -> list[str] | None:
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
    return ["|" + chomp, *[pad + line if line else "" for line in lines]]
