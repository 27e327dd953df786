"""Deterministic serialisation: sorted keys where order is free, LF, final newline."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from ipaddress import IPv4Address, IPv4Network
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
    """Indented JSON (2 spaces), keys sorted, UTF-8 unescaped, final newline."""
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
