"""Deterministic serialisation: sorted keys where order is free, LF, final newline."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from ipaddress import IPv4Address, IPv4Network
from typing import Any


def plain_data(value: Any) -> Any:
    """Dataclasses, mappings, tuples and addresses as JSON-ready dicts, lists and strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, IPv4Address | IPv4Network):
        return str(value)
    return value


def to_json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
