"""The generated-YAML emitter: whatever it writes, YAML 1.1 and 1.2 parsers read back unchanged."""

from __future__ import annotations

import io
from typing import Any

import yaml as pyyaml
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from generator.render.yaml_text import to_yaml

TRICKY = st.sampled_from(
    [
        "yes",
        "off",
        "~",
        "null",
        "12:30",
        "0.5",
        "1e3",
        "0x1F",
        "-1",
        ".inf",
        "2024-01-01",
        "=",
        "- item",
        "-q",
        "--spider",
        "a: b",
        "a #b",
        "#x",
        "key:",
        "'quoted'",
        '"dq"',
        "{x}",
        "[y]",
        "*ref",
        "&anchor",
        "!tag",
        "%x",
        "@x",
        "`x`",
        "|",
        ">",
        " lead",
        "trail ",
        "",
        "a\tb",
        "line\n",
        "\n",
        "\n\n",
        "two\nlines",
        "two\nlines\n",
        "trailing\n\n",
        " indented\nblock\n",
        "x \ny",
        "${VAR:-default}",
        "${X:?X must be set: run gen secrets}",
        "11434:11434/tcp",
        "é ü 🙂",
        "\x85",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    TRICKY,
    st.text(max_size=30),
)
KEYS = st.one_of(TRICKY, st.text(min_size=1, max_size=12))
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def _ruamel(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


@settings(max_examples=400, deadline=None)
@given(DATA)
def test_random_data_reads_back_unchanged(data: Any) -> None:
    text = to_yaml(data).decode("utf-8")
    assert pyyaml.safe_load(text) == data, text
    assert _ruamel(text) == data, text


def test_layout_matches_compose_conventions() -> None:
    data = {
        "services": {"a": {"command": ["-q", "x"], "ports": [], "env": {"K": "yes"}}},
        "items": [{"a": 1, "b": 2}],
    }
    assert to_yaml(data, "# head\n").decode() == (
        "# head\n"
        "services:\n"
        "  a:\n"
        "    command:\n"
        "      - -q\n"
        "      - x\n"
        "    ports: []\n"
        "    env:\n"
        '      K: "yes"\n'
        "items:\n"
        "  - a: 1\n"
        "    b: 2\n"
    )


def test_multi_line_strings_become_literal_blocks() -> None:
    assert to_yaml({"content": "a\n  b\n"}).decode() == "content: |\n  a\n    b\n"
    assert to_yaml(["x\ny"]).decode() == "- |-\n  x\n  y\n"


def test_keys_equal_as_python_values_are_written_each_as_itself() -> None:
    """True == 1 and False == 0 as dict keys: a cache of written keys must not mix them up."""
    assert to_yaml({True: "a", False: "b"}) == b"true: a\nfalse: b\n"
    assert to_yaml({1: "c", 0: "d"}) == b"1: c\n0: d\n"
