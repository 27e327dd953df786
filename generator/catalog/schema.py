"""JSON Schema validation of catalog documents, with errors located in the YAML source."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from math import isfinite
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import codecache
from generator.catalog.kinds import KIND_BY_NAME
from generator.catalog.loader import RawDocument, plain
from generator.diagnostics import Diagnostic
from generator.resources import schemas_dir

if TYPE_CHECKING:  # jsonschema is imported only to explain a document that fails
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry


def load_schema(file_name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((schemas_dir() / file_name).read_text("utf-8"))
    return schema


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        contents = json.loads(path.read_text("utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


@cache
def schema_validator(file_name: str) -> Draft202012Validator:
    """A validator for any schema in schemas/ (the output schemas too)."""
    return _strict_validator()(load_schema(file_name), registry=_registry())


COMMON_REF = "common.schema.json#/$defs/"


def bundle(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with the shared definitions it uses copied in and its $refs made local.

    Same rules, but the validator no longer resolves URIs across files for every value, which
    was most of the time `gen validate` spent in jsonschema."""
    common = load_schema("common.schema.json")["$defs"]
    wanted: list[str] = []

    def local(node: Any, in_common: bool) -> Any:
        if isinstance(node, dict):
            result = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith(COMMON_REF):
                    name = value.removeprefix(COMMON_REF)
                    wanted.append(name)
                    result[key] = f"#/$defs/common-{name}"
                elif key == "$ref" and in_common and isinstance(value, str) and value.startswith("#/$defs/"):
                    name = value.removeprefix("#/$defs/")
                    wanted.append(name)
                    result[key] = f"#/$defs/common-{name}"
                else:
                    result[key] = local(value, in_common)
            return result
        if isinstance(node, list):
            return [local(item, in_common) for item in node]
        return node

    bundled: dict[str, Any] = local(schema, False)
    definitions = bundled.setdefault("$defs", {})
    while wanted:
        name = wanted.pop()
        if f"common-{name}" not in definitions:
            definitions[f"common-{name}"] = local(common[name], True)
    return bundled


@cache
def validator_for(kind_name: str) -> Draft202012Validator:
    kind = KIND_BY_NAME[kind_name]
    return _strict_validator()(bundle(load_schema(kind.schema_file)))


@cache
def _strict_validator() -> type[Draft202012Validator]:
    """Draft 2020-12 with numbers by what their consumers take: an integer is written as one
    (JSON Schema's `integer` takes 11434.0, which Compose and Portainer's decoder refuse), and a
    number is finite (`.nan` and `.inf` are YAML numbers no consumer takes)."""
    from jsonschema import Draft202012Validator, validators

    types = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _, value: isinstance(value, int) and not isinstance(value, bool),
            "number": lambda _, value: (
                _is_number(value) and (not isinstance(value, float) or isfinite(value))
            ),
        }
    )
    strict: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=types
    )
    return strict


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _odd_floats(node: Any) -> bool:
    """Whether a float the fast check cannot judge is anywhere in the data: one written with a
    fraction of zero (an integer field's 11434.0) or one that is not finite."""
    if isinstance(node, float):
        return not isfinite(node) or node.is_integer()
    if isinstance(node, dict):
        return any(_odd_floats(value) for value in node.values())
    if isinstance(node, list):
        return any(_odd_floats(value) for value in node)
    return False


def validate_document(document: RawDocument) -> list[Diagnostic]:
    """Every schema error of one document, located and explained."""
    if not _odd_floats(document.data) and passes(compiled_for(document.kind.name), document.data):
        return []
    validator = validator_for(document.kind.name)
    problems: list[Diagnostic] = []
    for error in validator.iter_errors(document.data):
        problems.extend(_explain(document, error))
    return sorted(set(problems))


# Fast path: fastjsonschema compiles a schema to Python code, about 20x faster than
# jsonschema's interpreter. It answers only "valid or not"; jsonschema still judges every
# document it rejects (and has the last word, so a stricter fast check costs time, never a
# verdict). fastjsonschema speaks draft 7: `as_draft7` renames the two 2020-12 keywords the
# schemas use. tests/test_schemas.py checks that both agree on every fixture.
Check = Callable[[Any], Any]


@cache
def compiled_for(kind_name: str) -> Check:
    kind = KIND_BY_NAME[kind_name]
    return _compiled(kind.name, lambda: bundle(load_schema(kind.schema_file)))


@cache
def compiled_schema(file_name: str) -> Check:
    """A compiled check for any schema in schemas/ (the output schemas too)."""
    return _compiled(file_name, lambda: load_schema(file_name))


class CheckFailed(Exception):
    """Raised by a compiled check for a document it rejects (in place of fastjsonschema's own
    exceptions: importing fastjsonschema, which also imports urllib, is not needed to run one)."""

    def __init__(self, *args: Any, **details: Any) -> None:
        super().__init__(*args)


def passes(check: Check, data: Any) -> bool:
    try:
        check(data)
    except CheckFailed:
        return False
    return True


def _compiled(name: str, schema_of: Callable[[], dict[str, Any]]) -> Check:
    code = codecache.compiled(f"check-{name}", _cache_key(), lambda: _check_source(schema_of()))
    namespace: dict[str, Any] = {
        "JsonSchemaValueException": CheckFailed,
        "JsonSchemaValuesException": CheckFailed,
    }
    exec(code, namespace)  # code generated from our own schemas
    check: Check = namespace["ROOT_CHECK"]
    return check


@cache
def _cache_key() -> str:
    """What the generated code derives from: every schema, this module and fastjsonschema."""
    import importlib.util

    spec = importlib.util.find_spec("fastjsonschema")
    generator_dir = Path(spec.origin).parent if spec and spec.origin else None
    sources = [
        *sorted(schemas_dir().glob("*.schema.json")),
        Path(__file__),
        *(sorted(generator_dir.glob("*.py")) if generator_dir else []),
    ]
    return codecache.digest(path.read_bytes() for path in sources)


def _check_source(schema: dict[str, Any]) -> str:
    import fastjsonschema

    def local_schema(uri: str) -> Any:  # $refs across files resolve in schemas/, never online
        return as_draft7(load_schema(uri.rsplit("/", 1)[-1].split("#")[0]))

    handlers = {"https": local_schema, "http": local_schema}
    code = fastjsonschema.compile_to_code(
        as_draft7(schema), handlers=handlers, use_formats=False, detailed_exceptions=False
    )
    imports = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
    assert imports in code, "fastjsonschema changed the code it generates"
    root = re.search(r"^def (\w+)\(", code, re.MULTILINE)  # the schema's own function comes first
    assert root is not None
    # Only the verdict is used: skip formatting messages for the exceptions that oneOf/anyOf
    # branches raise and catch (a third of the check's time on large catalogs).
    return code.replace(imports, "").replace(".format(**locals())", "") + f"\nROOT_CHECK = {root.group(1)}\n"


def as_draft7(node: Any) -> Any:
    """The schema in draft 7 terms: prefixItems + items -> items + additionalItems,
    dependentRequired -> dependencies; patterns and `const` in the forms fastjsonschema takes."""
    if isinstance(node, list):
        return [as_draft7(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: as_draft7(value) for key, value in node.items()}
    if "$schema" in result:
        result["$schema"] = "http://json-schema.org/draft-07/schema#"
    if "prefixItems" in result:
        if "items" in result:
            result["additionalItems"] = result.pop("items")
        result["items"] = result.pop("prefixItems")
    if "dependentRequired" in result:
        result["dependencies"] = result.pop("dependentRequired")
    if "const" in result:  # same rule; fastjsonschema's terse mode fails to compile `const`
        result["enum"] = [result.pop("const")]
    if isinstance(result.get("pattern"), str):
        result["pattern"] = _escape_dollar_in_classes(result["pattern"])
    return result


def _escape_dollar_in_classes(pattern: str) -> str:
    """fastjsonschema turns every unescaped `$` into `\\Z`, which is invalid inside `[...]`."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and in_class:
            char = "\\$"
        out.append(char)
    return "".join(out)


def _explain(document: RawDocument, error: ValidationError) -> Iterator[Diagnostic]:
    parts = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        for name in sorted(set(error.instance) - set(allowed)):
            yield document.diagnostic([*parts, name], _unknown_key(name, allowed), key=True)
    elif validator == "required" and isinstance(error.instance, dict):
        for name in _as_list(error.validator_value):
            if name not in error.instance:
                yield document.diagnostic(parts, f"missing required key '{name}'")
    elif validator in ("oneOf", "anyOf") and (branch := _only_plausible_branch(error)):
        for sub in branch:
            yield from _explain(document, sub)
    else:
        yield document.diagnostic(parts, _message(error, schema))


def _only_plausible_branch(error: ValidationError) -> list[ValidationError]:
    """Of a oneOf/anyOf's branches, the errors of the only one whose shape fits, if exactly one."""
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = [errs for errs in branches.values() if all(e.relative_path for e in errs)]
    return fitting[0] if len(fitting) == 1 else []


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    value = short_repr(error.instance)
    validator = error.validator
    if "x-error" in schema and validator in ("oneOf", "anyOf", "not", "pattern"):
        scalar = isinstance(error.instance, str | int | float)
        return f"{value}: {schema['x-error']}" if scalar else str(schema["x-error"])
    if validator == "type" and isinstance(error.instance, float) and not isfinite(error.instance):
        return f"{value} is not allowed: a number here must be finite"
    if validator == "type" and isinstance(error.instance, float) and error.instance.is_integer():
        return f"{value} is not of type {_types(error.validator_value)}: write {int(error.instance)}"
    if validator == "type":
        return f"{value} is not of type {_types(error.validator_value)}"
    if validator == "enum":
        allowed = ", ".join(short_repr(v) for v in _as_list(error.validator_value))
        return f"{value} is not allowed; use one of {allowed}"
    if validator == "const":
        return f"{value} is not allowed; the only value is {short_repr(error.validator_value)}"
    if validator in ("pattern", "not", "oneOf", "anyOf", "format"):
        return f"{value} is not allowed: must be {schema.get('description', 'valid')}"
    if validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{value} is out of range: must be {_bound(validator, error.validator_value)}"
    if validator in ("minItems", "minLength", "minProperties"):
        return f"{value} is too short: needs at least {error.validator_value}"
    if validator in ("maxItems", "maxLength", "maxProperties"):
        return f"{value} is too long: at most {error.validator_value}"
    if validator == "uniqueItems":
        return f"{value} has duplicate items; each item may appear once"
    if validator == "dependentRequired":
        message = str(error.message).replace("is a dependency of", "is required with")
        missing = message.split("'")[1] if message.count("'") >= 2 else ""
        described = schema.get("properties", {}).get(missing, {}).get("description")
        return f"{message}: {described}" if described else message
    return str(error.message)


def _as_list(value: Any) -> list[Any]:
    return list(value)


def _unknown_key(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key '{name}'{hint}; allowed keys: {', '.join(allowed)}"


def _types(expected: Any) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(f"'{name}'" for name in names)


def _bound(validator: str, limit: Any) -> str:
    return {
        "minimum": f">= {limit}",
        "maximum": f"<= {limit}",
        "exclusiveMinimum": f"> {limit}",
        "exclusiveMaximum": f"< {limit}",
    }[validator]


def short_repr(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value) if isinstance(value, str) else json.dumps(plain(value), default=str)
    except ValueError:  # an integer past Python's limit of digits for str()
        return "a number too long to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."
