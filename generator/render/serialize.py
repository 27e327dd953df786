"""Deterministic serialisation: sorted keys where order is free, LF, final newline."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from ipaddress import IPv4Address, IPv4Network
from json.encoder import encode_basestring
from typing import Any


def plain_data(value: Any) -> Any:
    """Dataclasses, mappings, tuples and addresses as JSON-ready dicts, lists and strings."""
    kind: Any = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if kind is tuple or kind is list:
        return [plain_data(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain_data(getattr(value, name)) for name in _field_names(kind)}
    if isinstance(value, IPv4Address | IPv4Network):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    return value


@cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_json(data: Any) -> bytes:
    """The same text as json.dumps(indent=2, sort_keys=True, ensure_ascii=False), several times
    faster: with `indent`, the standard library falls back to its pure-Python encoder (#11)."""
    out: list[str] = []
    try:
        _emit(data, "\n", out)
    except TypeError:  # a key that is not a string: let json apply its own conversions
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    out.append("\n")
    return "".join(out).encode("utf-8")


def _emit(value: Any, newline: str, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            if type(key) is not str:
                raise TypeError(key)
            item = value[key]
            out.append(separator + encode_basestring(key) + ": ")
            if type(item) is str:
                out.append(encode_basestring(item))
            else:
                _emit(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        if all(type(item) is str for item in value):
            out.append("[" + inner + ("," + inner).join(map(encode_basestring, value)) + newline + "]")
            return
        separator = "[" + inner
        for item in value:
            out.append(separator)
            _emit(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif kind is int:
        out.append(int.__repr__(value))
    elif isinstance(value, dict):  # subclasses of the types above, as their base
        _emit(dict(value), newline, out)
    elif isinstance(value, list | tuple):
        _emit(list(value), newline, out)
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    else:  # floats
        out.append(json.dumps(value))
