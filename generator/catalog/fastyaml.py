"""A fast YAML 1.2 reader for catalog files: libyaml (PyYAML's C parser) with YAML 1.2 rules.

ruamel.yaml's round-trip loader keeps line numbers but is slow (most of `gen validate`
on large catalogs). Files are read with this loader; ruamel only parses a file again when its line
numbers are needed for a message (see loader.py). To give the same data as ruamel, implicit types
follow YAML 1.2's core schema: only true/false are booleans (not yes/no/on/off), integers are
decimal, 0o octal or 0x hex (017 is 17), and there are no sexagesimal numbers; duplicate keys are
refused like ruamel refuses them.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml

BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
INT = re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)$")  # as ruamel reads them
FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class DuplicateKey(yaml.YAMLError):  # type: ignore[misc]
    """Raised for a key that appears twice; the caller re-reads the file for the located message."""


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_BASE):  # type: ignore[misc,valid-type]
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}


def _add(tag: str, pattern: re.Pattern[str], first: str) -> None:
    Loader.add_implicit_resolver(tag, pattern, list(first))


_add("tag:yaml.org,2002:bool", BOOL, "tTfF")
_add("tag:yaml.org,2002:int", INT, "-+0123456789")
_add("tag:yaml.org,2002:float", FLOAT, "-+0123456789.")
_add("tag:yaml.org,2002:null", NULL, "~nN")
Loader.add_implicit_resolver("tag:yaml.org,2002:null", NULL, [""])
for _tag, _pattern in (
    (t, p)
    for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    for t, p in entries
    if t in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge")
):
    Loader.add_implicit_resolver(_tag, _pattern, list("0123456789<"))


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    return _int(str(loader.construct_scalar(node)))


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):  # `? [a]: b`: the located reader says where
            raise yaml.YAMLError("a key that is a list or a mapping")
        if key in mapping:
            raise DuplicateKey(f"duplicate key {key!r}")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def load(text: str) -> Any:
    """The document's data; raises yaml.YAMLError (DuplicateKey included) for anything wrong."""
    if "&" not in text and "!" not in text:  # no anchors, aliases or tags: the common case
        try:
            return _convert(yaml.compose(text, Loader=_Composer))
        except _NeedsFullLoader:
            pass
    return yaml.load(text, Loader=Loader)


# Fast path: libyaml builds the node tree (with a resolver that resolves nothing) and `_convert`
# types the plain scalars (style '' or None) with the rules above in one tight pass, about 3x
# faster than PyYAML's constructor machinery. Anything unusual (timestamps, complex keys) goes
# to the full Loader.
class _Composer(getattr(yaml, "CBaseLoader", yaml.BaseLoader)):  # type: ignore[misc]
    """Builds nodes and resolves no tags: `_convert` types the scalars."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return _DEFAULT_TAGS[kind]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_DEFAULT_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


class _NeedsFullLoader(Exception):
    pass


def _convert(node: Any) -> Any:
    kind = type(node)
    if kind is yaml.ScalarNode:
        return node.value if node.style else _scalar(node.value)
    if kind is yaml.SequenceNode:
        return [_convert(item) for item in node.value]
    if node is None:
        return None
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if type(key_node) is not yaml.ScalarNode or key_node.value == "<<":
            raise _NeedsFullLoader
        key = key_node.value if key_node.style else _scalar(key_node.value)
        if key in mapping:
            raise DuplicateKey(f"duplicate key {key!r}")
        if type(value_node) is yaml.ScalarNode:  # most values: saves a call
            mapping[key] = value_node.value if value_node.style else _scalar(value_node.value)
        else:
            mapping[key] = _convert(value_node)
    return mapping


def _scalar(value: str) -> Any:
    """A plain scalar typed by YAML 1.2's core schema, as the Loader above types it."""
    first = value[:1]
    if not value or (first in "~nN" and NULL.match(value)):
        return None
    if first in "tTfF" and BOOL.match(value):
        return first in "tT"
    if first in "-+0123456789.":
        if INT.match(value):
            return _int(value)
        if FLOAT.match(value):
            return _float(value)
        if TIMESTAMP.match(value):
            raise _NeedsFullLoader
    return value


def _int(text: str) -> int:
    text = text.replace("_", "")
    for prefix, base in (("0o", 8), ("0x", 16), ("0b", 2)):
        if text.startswith(prefix):
            return int(text[2:], base)
    return int(text, 10)


def _float(text: str) -> float:
    text = text.replace("_", "").lower()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-")
    if text == ".inf":
        return sign * float("inf")
    if text == ".nan":
        return float("nan")
    return sign * float(text)


def shape_problem(text: str, max_depth: int, max_nodes: int) -> tuple[tuple[int, int], str] | None:
    """((line, column), message) when the text nests deeper than `max_depth`, or would make more
    than `max_nodes` values once its aliases (*name) are expanded. Read as events (libyaml, no
    objects built), so neither an alias bomb nor thousands of nested brackets cost more than one
    pass over the text."""
    indent = " " * (2 * max_depth)
    if "&" not in text and text.count("[") + text.count("{") <= max_depth and indent not in text:
        return None  # no anchor to expand and too few openings to nest that deep: nothing to scan
    counts = [0]  # values under each open collection, aliases expanded
    total = 0  # values in the document so far, aliases expanded
    anchors: dict[str, int] = {}  # anchor -> how many values its node stands for
    open_anchors: list[str | None] = []
    try:
        for event in yaml.parse(text, Loader=Loader):
            where = (event.start_mark.line + 1, event.start_mark.column + 1)
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if len(counts) > max_depth:
                    return where, f"nested more than {max_depth} levels deep; a catalog entry is flat YAML"
                counts.append(1)
                open_anchors.append(event.anchor)
                added = 1
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                size, anchor = counts.pop(), open_anchors.pop()
                counts[-1] += size
                if anchor:
                    anchors[anchor] = size
                continue  # its values were counted as they came
            elif isinstance(event, yaml.ScalarEvent):
                added = 1
                counts[-1] += 1
                if event.anchor:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                added = anchors.get(event.anchor, 1)
                counts[-1] += added
            else:
                continue
            total += added
            if total > max_nodes:
                return where, (
                    f"more than {max_nodes} values once its aliases (*name) are expanded; "
                    "write the values out instead"
                )
    except yaml.MarkedYAMLError as error:
        if "nesting depth" in str(error.problem) and error.problem_mark is not None:  # libyaml's own bound
            where = (error.problem_mark.line + 1, error.problem_mark.column + 1)
            return where, f"nested more than {max_depth} levels deep; a catalog entry is flat YAML"
        return None  # a syntax error: the loaders report it with its place
    except yaml.YAMLError:
        return None
    return None
