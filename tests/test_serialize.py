"""Generated JSON: indented, keys sorted, UTF-8 unescaped, a final newline; models as plain data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from ipaddress import IPv4Address

from generator.render.serialize import plain_data, to_json


def test_json_is_sorted_indented_utf8_with_a_final_newline() -> None:
    data = {"b": [1, {"z": None, "a": True}], "a": "é 😀"}
    lines = ["{", '  "a": "é 😀",', '  "b": [', "    1,", "    {", '      "a": true,', '      "z": null']
    lines += ["    }", "  ]", "}", ""]
    assert to_json(data) == "\n".join(lines).encode("utf-8")
    assert json.loads(to_json(data)) == data


def test_plain_data_turns_models_and_addresses_into_json_values() -> None:
    @dataclass(frozen=True)
    class Entry:
        name: str
        address: IPv4Address
        ports: tuple[int, ...]

    entry = Entry("ollama", IPv4Address("172.30.0.10"), (11434,))
    assert plain_data({"entry": entry, 7: (None, 2**70)}) == {
        "entry": {"name": "ollama", "address": "172.30.0.10", "ports": [11434]},
        "7": [None, 2**70],
    }
