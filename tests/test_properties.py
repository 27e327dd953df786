"""Property-based tests: whatever a user writes, `gen validate` answers with diagnostics, never a crash."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from generator.catalog import validate_catalog
from generator.catalog.loader import plain
from generator.plan import plan as make_plan
from generator.render import render_all
from tests.conftest import MINIMAL

FILES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*.yaml"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "all", "0.0.0.0", "172.30.0.10", "../x", "1M", "latest", "CMD"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _dump(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


@st.composite
def mutated_catalog(draw: st.DrawFn) -> dict[str, str]:
    """The minimal catalog with a few files changed: a value replaced, a key removed or added."""
    yaml = YAML(typ="safe", pure=True)
    files = {name: (MINIMAL / name).read_text() for name in FILES}
    for name in draw(st.lists(st.sampled_from(FILES), min_size=1, max_size=3, unique=True)):
        data = plain(yaml.load(files[name]))
        path = draw(st.sampled_from(_paths(data)))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
        files[name] = _dump(data)
    return files


def _write(files: dict[str, str], root: Path) -> Path:
    catalog = root / "catalog"
    shutil.rmtree(catalog, ignore_errors=True)
    for name, text in files.items():
        (catalog / name).parent.mkdir(parents=True, exist_ok=True)
        (catalog / name).write_text(text)
    return catalog


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=mutated_catalog())
def test_mutated_catalogs_validate_or_fail_with_diagnostics(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalog_dir = _write(files, Path(tmp))
        model, problems = validate_catalog(catalog_dir)
        for problem in problems:
            assert problem.file.endswith(".yaml") or "catalog" in problem.file
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message
        if not problems:
            render_all(make_plan(model))  # a catalog that validates must render


@example(name="datasets/models.yaml", position=0, garbage=b"(\t")  # libyaml reads it, ruamel does not
@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(FILES),
    position=st.integers(min_value=0, max_value=400),
    garbage=st.binary(min_size=1, max_size=6),
)
def test_corrupted_bytes_give_diagnostics(name: str, position: int, garbage: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalog_dir = _write({n: (MINIMAL / n).read_text() for n in FILES}, Path(tmp))
        original = (catalog_dir / name).read_bytes()
        cut = min(position, len(original))
        (catalog_dir / name).write_bytes(original[:cut] + garbage + original[cut:])
        _, problems = validate_catalog(catalog_dir)
        for problem in problems:
            assert problem.line >= 1 and problem.column >= 1


def test_builds_are_deterministic() -> None:
    model, problems = validate_catalog(MINIMAL)
    assert problems == []
    assert render_all(make_plan(model)) == render_all(make_plan(validate_catalog(MINIMAL)[0]))


SCALARS = [
    "off",
    "on",
    "yes",
    "no",
    "017",
    "0o17",
    "0x1F",
    "1_000",
    "1:30",
    "~",
    "null",
    "1e3",
    ".5",
    "+1",
    "-2",
    "2024-01-01",
    "true",
    "True",
    "TRUE",
    "1.5",
    "0",
    "00",
    "1.",
    "'x'",
    "[1, 2]",
    "{a: 1}",
    "0b101",
    "+.5",
    "1e",
    "3.",
    "-0",
    "12e3",
    "1.2.3",
    '"0x1"',
    "a b",
    "- [x]",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(SCALARS), min_size=1, max_size=5))
def test_the_fast_reader_reads_like_ruamel(values: list[str]) -> None:
    """Files are read with libyaml (fastyaml) and re-read with ruamel only for line numbers:
    both must give the same data (YAML 1.2: 'off' is a string, 017 is 17)."""
    from generator.catalog import fastyaml

    text = "".join(f"k{i}: {v}\n" for i, v in enumerate(values))
    try:
        expected = plain(YAML(typ="rt").load(text))
    except Exception:
        with pytest.raises(Exception):  # noqa: B017
            fastyaml.load(text)
        return
    assert fastyaml.load(text) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=mutated_catalog())
def test_the_compiled_schema_check_agrees_with_jsonschema(files: dict[str, str]) -> None:
    """`gen validate` trusts the compiled check (fastjsonschema) for documents it accepts: it must
    never accept what jsonschema rejects, on whatever a user may write. (It may be stricter: its
    `$` does not match before a final newline; jsonschema then has the last word.)"""
    from generator.catalog.kinds import KIND_BY_FOLDER, ROOT_FILES
    from generator.catalog.schema import compiled_for, passes, validator_for

    yaml = YAML(typ="safe", pure=True)
    for name, text in files.items():
        folder, _, file_name = name.rpartition("/")
        kind = KIND_BY_FOLDER[folder] if folder else ROOT_FILES[file_name]
        try:
            document = plain(yaml.load(text))
        except Exception:  # ruamel writes a few keys it cannot read back: not ours to test
            continue
        if passes(compiled_for(kind.name), document):
            assert validator_for(kind.name).is_valid(document), name
