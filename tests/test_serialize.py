"""Generated JSON: the text json.dumps(indent=2, sort_keys=True, ensure_ascii=False) writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.render.serialize import plain_data, to_json

# No floats: orjson writes the shortest form (0.00001 where json writes 1e-05); both read back equal.
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
JSON_DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


def reference(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@given(JSON_DATA)
def test_the_text_is_the_standard_librarys(data: Any) -> None:
    assert to_json(data) == reference(data)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_read_back_unchanged(value: float) -> None:
    assert json.loads(to_json({"x": [value]})) == {"x": [value]}


def test_keys_and_integers_orjson_refuses_follow_jsons_rules() -> None:
    for data in ({2: "two", 1: "one"}, {"big": 2**70, "nested": {"b": [], "a": {}}}):
        assert to_json(data) == reference(data)


def test_controls_quotes_and_unicode_are_escaped_as_json_does() -> None:
    data = {"text": 'tab\there "quoted" \\ \x00 \x1f \x7f é \u2028 😀'}
    assert to_json(data) == reference(data)
    assert "é".encode() in to_json(data) and "😀".encode() in to_json(data)  # UTF-8, no \u


def test_plain_data_turns_models_and_addresses_into_json_values() -> None:
    @dataclass(frozen=True)
    class Entry:
        name: str
        address: IPv4Address
        ports: tuple[int, ...]

    entry = Entry("ollama", IPv4Address("172.30.0.10"), (11434,))
    assert plain_data({"entry": entry}) == {
        "entry": {"name": "ollama", "address": "172.30.0.10", "ports": [11434]}
    }


def test_the_fast_conversion_matches_the_plain_one_on_the_default_catalog() -> None:
    from generator.catalog import load_catalog
    from generator.render import serialize
    from tests.conftest import DEFAULT_CATALOG

    catalog = load_catalog(DEFAULT_CATALOG)
    for field in ("services", "stacks", "datasets", "networks", "pools", "storage_classes", "roles"):
        entities = getattr(catalog, field)
        assert entities, field
        assert plain_data(entities) == serialize._plain_data(entities), field
    assert plain_data(catalog.publish) == serialize._plain_data(catalog.publish)
