"""A fuzzer over the catalog and over `gen import`'s input: hostile values at random places of the
default catalog's files (and of a real templates file), and random edits of their text. `gen
validate`, `gen build`, `gen list` and `gen import` must answer every input with an exit code and
a message, never a traceback; a build never writes half its output, an import writes catalog
entries the catalog takes and nothing else.

The suite runs a few hundred examples with a fixed seed; `FUZZ_EXAMPLES=20000 FUZZ_SEED=<any>
pytest tests/test_fuzz.py` searches longer elsewhere (hypothesis prints the smallest catalog edit
that breaks, to add as a test of its own)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.conftest import DEFAULT_CATALOG, SHARED, run_gen

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
# fixed, so that the suite's bounded run is the same on every machine; a longer search passes
# another (the report header prints both)
SEED = int(os.environ.get("FUZZ_SEED", "20261207"))
FILES = sorted(str(p.relative_to(DEFAULT_CATALOG)) for p in DEFAULT_CATALOG.rglob("*.yaml"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

# What a careless user or an attacker writes: numbers at and past every consumer's edge, text
# that means something to shells, templates, YAML and browsers, and values of the wrong shape.
SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 65535, 65536, 2**31, 2**63, 10**40]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, 11434.0, 1e-12, 0.005, 1e308, -0.0]),
    st.booleans(),
    st.none(),
    st.just(date(2024, 2, 29)),
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "${PWD}",
            "$(id)",
            "{{ .x }}",
            "{$HOME}",
            "../../etc/passwd",
            "/",
            "a\nb",
            "a\x00b",
            "\ud800",
            "\u202e",
            "<script>",
            "-rf",
            "30s5m",
            "1e3",
            "0x10",
            "512m",
            "99999999999g",
            "latest",
            "ollama/ollama@sha256:" + "0" * 64,
        ]
    ),
)
KEYS = st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans(), st.just(date(2024, 1, 1)))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6,
)
# Text spliced into a file anywhere: YAML's own syntax, tabs, control and odd characters.
SNIPPETS = st.sampled_from(
    ["<<: *a\n", "<<: {", "&a ", "*a", "!!python/object:os.system ", "\t", "\x00", "{", "[", "- ", ": ",
     "'", '"', '"\\ud800"', "\n  ", "\n", "#", "? ", "|\n", "---\n", "...\n", "%YAML 1.1\n", "\ufeff",
     "2024-02-30", "1" + "0" * 5000]
)  # fmt: skip


def _paths(node: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*here, index))


def _replace(node: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if delete and not rest:
        node = node.copy()
        del node[head]
        return node
    copy = node.copy()
    copy[head] = _replace(node[head], rest, value, delete)
    return copy


@contextmanager
def _catalog_with(file: str, text: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="gen-fuzz-"))
    try:
        shutil.copytree(DEFAULT_CATALOG, folder / "catalog")
        (folder / "catalog" / file).write_bytes(text.encode("utf-8", "surrogateescape"))
        yield folder
    finally:
        shutil.rmtree(folder)


def _every_command_answers(folder: Path) -> None:
    catalog = str(folder / "catalog")
    checked = run_gen("validate", "--catalog", catalog)  # a traceback fails the test here
    assert checked.exit_code in (0, 1), checked.stderr
    assert checked.exit_code == 0 or "error" in checked.stderr
    out = folder / "dist"
    built = run_gen("build", "--catalog", catalog, "--out", str(out))
    assert built.exit_code == checked.exit_code, built.stderr
    assert out.is_dir() is (built.exit_code == 0)  # nothing is written for an invalid catalog
    listed = run_gen("list", "--catalog", catalog, "--format", "json")
    assert listed.exit_code in (0, 1), listed.stderr


@FUZZ
@seed(SEED)
@given(file=st.sampled_from(FILES), data=st.data())
def test_hostile_values_anywhere_get_an_answer(file: str, data: st.DataObject) -> None:
    document = yaml.safe_load((DEFAULT_CATALOG / file).read_text())
    path = data.draw(st.sampled_from(list(_paths(document))), label="path")
    delete = bool(path) and data.draw(st.booleans(), label="delete")
    value = data.draw(VALUES, label="value")
    changed = _replace(document, path, value, delete)
    text = yaml.safe_dump(changed, allow_unicode=data.draw(st.booleans()), sort_keys=False)
    with _catalog_with(file, text) as folder:
        _every_command_answers(folder)


@FUZZ
@seed(SEED)
@given(file=st.sampled_from(FILES), data=st.data())
def test_random_edits_of_the_text_get_an_answer(file: str, data: st.DataObject) -> None:
    text = (DEFAULT_CATALOG / file).read_text()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="edits")):
        at = data.draw(st.integers(min_value=0, max_value=len(text)), label="at")
        cut = data.draw(st.integers(min_value=0, max_value=8), label="cut")
        text = text[:at] + data.draw(SNIPPETS, label="insert") + text[at + cut :]
    with _catalog_with(file, text) as folder:
        _every_command_answers(folder)


def test_a_key_that_holds_a_list_is_a_located_error() -> None:
    """Found by the fuzzer: ruamel.yaml cannot hash such a key (`? {a: [1]}`) and raised TypeError."""
    text = (DEFAULT_CATALOG / "roles" / "monitor.yaml").read_text() + "? {stacks: [monitoring]}\n: x\n"
    with _catalog_with("roles/monitor.yaml", text) as folder:
        result = run_gen("validate", "--catalog", str(folder / "catalog"))
    line = len(text.splitlines()) - 1
    assert result.exit_code == 1
    assert (
        f"roles/monitor.yaml:{line}:1: error: invalid YAML: a key must be text or a number" in result.stderr
    )


# gen import's input: a real templates file (Portainer's official v3 file, from the public corpora
# beside the repository when they are there; else container templates shaped like its entries),
# with hostile values anywhere in it or random edits of its text.
CORPUS_FILE = SHARED / "corpora" / "portainer-official_v3_templates.json"
SAMPLE = {
    "version": "3",
    "templates": [
        {
            "id": 1,
            "type": 1,
            "title": "Web",
            "description": "A web server",
            "categories": ["web"],
            "platform": "linux",
            "image": "nginx:1.27",
            "ports": ["8080:80/tcp"],
            "volumes": [{"container": "/usr/share/nginx/html", "bind": "/srv/web", "readonly": True}],
            "env": [
                {
                    "name": "MODE",
                    "label": "Mode",
                    "default": "fast",
                    "select": [{"text": "Fast", "value": "fast"}],
                }
            ],
            "restart_policy": "unless-stopped",
        },
        {
            "id": 2,
            "type": 1,
            "title": "Cache",
            "image": "redis:7",
            "ports": ["6379/tcp"],
            "volumes": [{"container": "/data"}],
        },
    ],
}


def _templates_text() -> str:
    import json

    return CORPUS_FILE.read_text() if CORPUS_FILE.is_file() else json.dumps(SAMPLE, indent=2)


def _import_answers(text: str, force: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="gen-fuzz-import-"))
    try:
        shutil.copytree(DEFAULT_CATALOG, folder / "catalog")
        source = folder / "templates.json"
        source.write_bytes(text.encode("utf-8", "surrogatepass"))
        before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        force_option = ["--force"] if force else []  # replace the catalog's entries: they map, not refuse
        result = run_gen(
            "import", "portainer", str(source), "--catalog", str(folder / "catalog"), *force_option
        )
        assert result.exit_code in (0, 1, 2), result.stderr  # a traceback fails the test here
        after = sorted(p.relative_to(folder) for p in folder.rglob("*"))
        outside = [p for p in after if p not in before and p.parts[:2] != ("catalog", "services")]
        assert not outside, outside  # it writes catalog entries and nothing else
        assert not any(p.name.startswith(".") for p in after if p not in before)  # no temporary file left
        if result.exit_code == 0:  # what it wrote (or left), the catalog takes
            assert run_gen("validate", "--catalog", str(folder / "catalog")).exit_code == 0
    finally:
        shutil.rmtree(folder)


@FUZZ
@seed(SEED)
@given(data=st.data())
def test_hostile_values_in_an_imported_file_get_an_answer(data: st.DataObject) -> None:
    import json

    document = json.loads(_templates_text())
    path = data.draw(st.sampled_from(list(_paths(document))), label="path")
    delete = bool(path) and data.draw(st.booleans(), label="delete")
    value = data.draw(VALUES.filter(lambda v: not isinstance(v, date)), label="value")
    try:
        text = json.dumps(_replace(document, path, value, delete), allow_nan=True)
    except (TypeError, ValueError):  # a key JSON cannot have: not a file a user could hand over
        return
    _import_answers(text, data.draw(st.booleans(), label="force"))


@FUZZ
@seed(SEED)
@given(data=st.data())
def test_random_edits_of_an_imported_file_get_an_answer(data: st.DataObject) -> None:
    text = _templates_text()
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="edits")):
        at = data.draw(st.integers(min_value=0, max_value=len(text)), label="at")
        cut = data.draw(st.integers(min_value=0, max_value=8), label="cut")
        insert = data.draw(st.sampled_from(['"', "{", "[", ",", "null", "1e999", '"\\ud800"', "\x00", ""]))
        text = text[:at] + insert + text[at + cut :]
    _import_answers(text, data.draw(st.booleans(), label="force"))
