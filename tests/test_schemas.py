"""The JSON Schemas themselves: valid draft 2020-12, documented, strict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from generator.catalog.kinds import KINDS
from tests.conftest import FIXTURES, ROOT

FIXTURES_INVALID = FIXTURES / "invalid"

SCHEMAS = sorted((ROOT / "schemas").glob("*.schema.json"))


MAP_KEYWORDS = ("properties", "patternProperties", "$defs")
SCHEMA_KEYWORDS = ("items", "not", "additionalProperties", "propertyNames", "contains")
LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")


def _objects(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (sub)schema, walking only the keywords that hold schemas."""
    if not isinstance(node, dict):
        return
    yield path, node
    for keyword in MAP_KEYWORDS:
        for name, sub in node.get(keyword, {}).items():
            yield from _objects(sub, f"{path}/{keyword}/{name}")
    for keyword in SCHEMA_KEYWORDS:
        yield from _objects(node.get(keyword), f"{path}/{keyword}")
    for keyword in LIST_KEYWORDS:
        for index, sub in enumerate(node.get(keyword, [])):
            yield from _objects(sub, f"{path}/{keyword}/{index}")


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_passes_the_metaschema(path: Path) -> None:
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == path.name  # relative: its $refs resolve beside the file, wherever it is read


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve_all(base: str, served: dict[str, Path]) -> list[str]:
    """Resolve every $ref of every schema as a validator that follows the specification does: the
    base is where the schema was read from; `served` maps the only URIs that may be fetched to
    files. Returns the URIs resolved."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    def retrieve(uri: str) -> Resource[Any]:
        if uri not in served:
            raise NoSuchResource(uri)
        return Resource.from_contents(json.loads(served[uri].read_text()))

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    fetched = []
    for path in SCHEMAS:
        root = registry.resolver().lookup(base + path.name)  # read from there
        resolver = root.resolver.in_subresource(Resource.from_contents(root.contents))  # its $id applied
        for ref in sorted(set(_refs(root.contents))):
            resolved = resolver.lookup(ref)
            assert resolved.contents is not None, ref
            fetched.append(ref)
    return fetched


def test_refs_resolve_beside_the_schema_file() -> None:
    """An editor reading catalog/services/x.yaml's `$schema=../../schemas/service.schema.json`
    resolves `common.schema.json#/$defs/id` to the file beside it, not to some host."""
    base = (ROOT / "schemas").as_uri() + "/"
    assert _resolve_all(base, {base + path.name: path for path in SCHEMAS})


def test_published_schemas_name_the_published_site(tmp_path: Path) -> None:
    """The site publishes each schema with its $id at the catalog's own site_url, so a validator
    that follows the specification fetches the shared definitions from that site and nowhere else."""
    from generator.catalog import load_catalog
    from generator.sitebuild import generated_schemas

    publish = load_catalog(ROOT / "catalog").publish
    assert publish is not None
    site_url = publish.site_url
    published = generated_schemas(site_url)
    served = {}
    for name, text in published.items():
        schema = json.loads(text)
        assert schema["$id"] == f"{site_url}schemas/{name}"
        (tmp_path / name).write_text(text)
        served[schema["$id"]] = tmp_path / name
    assert sorted(published) == [path.name for path in SCHEMAS]
    assert _resolve_all(f"{site_url}schemas/", served)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_property_has_a_description(path: Path) -> None:
    schema = json.loads(path.read_text())
    missing = [
        f"{where}/properties/{name}"
        for where, node in _objects(schema)
        if isinstance(node.get("properties"), dict)
        for name, sub in node["properties"].items()
        if "description" not in sub
    ]
    assert missing == []


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_object_refuses_unknown_keys(path: Path) -> None:
    schema = json.loads(path.read_text())
    open_objects = [
        where
        for where, node in _objects(schema)
        if "properties" in node and "additionalProperties" not in node
    ]
    assert open_objects == []


def test_every_kind_has_a_schema() -> None:
    names = {p.name for p in SCHEMAS}
    assert {kind.schema_file for kind in KINDS} <= names


@pytest.mark.parametrize(
    ("definition", "value", "accepted"),
    [
        ("id", "open-webui", True),
        ("id", "Open-WebUI", False),
        ("id", "a--b", False),
        ("id", "web;rm", False),
        ("absolutePath", "/srv/ai/models", True),
        ("absolutePath", "/srv/ai models", False),
        ("absolutePath", "/srv/../etc", False),
        ("absolutePath", "/srv/$(id)", False),
        ("absolutePath", "relative/path", False),
        ("memory", "512m", True),
        ("memory", "1.5g", False),
        ("cidr", "172.20.0.0/24", True),
        ("cidr", "172.20.0.0/31", False),
        ("zfsSize", "150G", True),
        ("zfsSize", "150GB", False),
    ],
)
def test_common_definitions(definition: str, value: str, accepted: bool) -> None:
    common = json.loads((ROOT / "schemas" / "common.schema.json").read_text())
    validator = Draft202012Validator(common["$defs"][definition])
    assert validator.is_valid(value) is accepted


@pytest.mark.parametrize("kind", list(KINDS), ids=lambda k: k.name)
def test_bundled_schemas_judge_like_the_originals(kind: Any) -> None:
    """validator_for() uses the schema with common.schema.json copied in (faster): same verdicts."""
    from generator.catalog.loader import plain
    from generator.catalog.schema import _odd_floats, compiled_for, passes, schema_validator, validator_for
    from tests.conftest import DEFAULT_CATALOG, MINIMAL

    files = [*sorted((DEFAULT_CATALOG / kind.folder).glob("*.yaml"))] if kind.folder else []
    files += [
        p for p in sorted(FIXTURES_INVALID.rglob("*.yaml")) if p.parent.name == (kind.folder or p.parent.name)
    ]
    files += [*sorted((MINIMAL / kind.folder).glob("*.yaml"))] if kind.folder else []
    yaml = YAML(typ="safe", pure=True)
    for path in files:
        try:
            document = plain(yaml.load(path.read_text()))
        except Exception:
            continue
        original = sorted(e.message for e in schema_validator(kind.schema_file).iter_errors(document))
        bundled = sorted(e.message for e in validator_for(kind.name).iter_errors(document))
        assert bundled == original, path
        # The compiled fast path (taken for data without floats it cannot judge) must never accept
        # what jsonschema rejects, nor the reverse.
        fast = not _odd_floats(document) and passes(compiled_for(kind.name), document)
        assert fast is (not original), path
