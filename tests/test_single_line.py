"""Single-line fields carry no line break or control character, in every kind of document: each
string of the default catalog, given a line break, is refused at its own path (prose fields and
commands may span lines, and nothing carries other control characters)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from generator.catalog.loader import RawDocument, load_documents
from generator.catalog.single_line import COMMANDS, PROSE, single_line_problems
from generator.diagnostics import json_path
from tests.conftest import DEFAULT_CATALOG

DOCUMENTS = load_documents(DEFAULT_CATALOG).documents


def _single_line_paths(value: Any, parts: list[str | int]) -> list[list[str | int]]:
    if isinstance(value, str):
        return [parts]
    found: list[list[str | int]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in PROSE and key not in COMMANDS:
                found += _single_line_paths(item, [*parts, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _single_line_paths(item, [*parts, index])
    return found


def _with(document: RawDocument, parts: list[str | int], suffix: str) -> RawDocument:
    """The document with `suffix` appended to the string at `parts`."""
    changed = copy.deepcopy(document.data)
    holder: Any = changed
    for part in parts[:-1]:
        holder = holder[part]
    holder[parts[-1]] += suffix
    return RawDocument(document.path, document.kind, changed, document.text)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.display)
def test_every_single_line_field_refuses_a_line_break(document: RawDocument) -> None:
    paths = _single_line_paths(document.data, [])
    assert paths
    assert single_line_problems(document) == []
    for parts in paths:
        for suffix in ("\n", "\rX", "\u2028"):
            problems = single_line_problems(_with(document, parts, suffix))
            assert [p.path for p in problems] == [json_path(parts)], (parts, suffix)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\u202e", "\u200b"])
def test_prose_refuses_control_characters_but_keeps_its_lines(character: str) -> None:
    document = next(d for d in DOCUMENTS if d.kind.name == "service")
    assert single_line_problems(_with(document, ["description"], "\nmore")) == []
    refused = single_line_problems(_with(document, ["description"], character))
    assert [p.path for p in refused] == ["description"]
