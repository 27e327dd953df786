"""The one way gen edits the catalog (`gen images pin`, `gen import`): every edit is made on the
files' text in memory, located by the round-trip parser (ruamel.yaml), so that only the value
changes and comments, quoting, order and layout stay as they are; the catalog as the edits would
leave it is validated from memory (nothing copied, nothing written), and only then are the
files written, all or none."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator.diagnostics import Diagnostic, display_path
from generator.errors import GenError
from generator.writer import replace_files

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import Node, ScalarNode

STRING_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class Edit:
    """One value changed: where it was and what it became."""

    file: Path
    line: int
    old: str
    new: str


class EditRefused(GenError):
    """An edit the editor cannot make where the value is written (a block scalar, a value
    from elsewhere): nothing is changed."""


class CatalogEditor:
    """Edits to the files of one catalog folder, held as texts by relative path
    ("services/ollama.yaml") until `write`."""

    def __init__(self, catalog_dir: Path) -> None:
        self.catalog_dir = catalog_dir
        self._texts: dict[str, str] = {}

    def text(self, relative: str) -> str:
        """The file's text as the edits so far leave it."""
        if relative not in self._texts:
            self._texts[relative] = (self.catalog_dir / relative).read_text("utf-8")
        return self._texts[relative]

    def put(self, relative: str, text: str) -> None:
        """A whole file, new or replacing the one there."""
        self._texts[relative] = text

    def drop(self, relative: str) -> None:
        """Forget what was put or edited in the file: it stays as it is on disk."""
        self._texts.pop(relative, None)

    def set_scalar(self, relative: str, keys: tuple[str, ...], value: str) -> Edit | None:
        """Give the string at `keys` (e.g. ("gpu", "amd", "image")) the new value, written in
        the style the old one was (plain, 'single' or "double" quoted; double where the plain
        form would read as something else). None when it already has that value."""
        text = self.text(relative)
        node = _scalar_at(_compose(text), keys, self._place(relative, keys))
        if node.value == value:
            return None
        start, end = node.start_mark.index, node.end_mark.index
        for written in _spellings(node.style, value):
            edited = text[:start] + written + text[end:]
            found = _scalar_at(_compose(edited), keys, self._place(relative, keys))
            if found.value == value and found.tag == STRING_TAG:
                self._texts[relative] = edited
                return Edit(self.catalog_dir / relative, node.start_mark.line + 1, node.value, value)
        raise EditRefused(f"{self._place(relative, keys)}: cannot be written as {value!r}")

    def _place(self, relative: str, keys: tuple[str, ...]) -> str:
        return f"{display_path(self.catalog_dir / relative)}: {'.'.join(keys)}"

    @property
    def overlay(self) -> dict[str, str]:
        """The changed files' texts, by relative path: what `validate_catalog` reads in place of
        the disk's."""
        return {relative: text for relative, text in self._texts.items() if text != self._on_disk(relative)}

    def problems(self) -> list[Diagnostic]:
        """What `gen validate` would find in the catalog with the edits made."""
        from generator.catalog import validate_catalog

        return validate_catalog(self.catalog_dir, self.overlay)[1]

    def diff(self) -> str:
        """The edits as a unified diff, file by file."""
        parts: list[str] = []
        for relative, text in sorted(self.overlay.items()):
            name = display_path(self.catalog_dir / relative)
            old = (self._on_disk(relative) or "").splitlines(keepends=True)
            parts += difflib.unified_diff(old, text.splitlines(keepends=True), name, name)
        return "".join(parts)

    def write(self) -> list[str]:
        """Write every changed file, all or none; their relative paths. A full disk or a
        read-only catalog is one GenError, and the catalog is then as it was."""
        changed = self.overlay
        try:
            replace_files({self.catalog_dir / r: text.encode("utf-8") for r, text in changed.items()})
        except OSError as error:
            raise GenError(
                f"could not write {', '.join(sorted(changed))}: {error.strerror or error}; "
                "the catalog is unchanged"
            ) from error
        return sorted(changed)

    def _on_disk(self, relative: str) -> str | None:
        try:
            return (self.catalog_dir / relative).read_text("utf-8")
        except FileNotFoundError:
            return None


@cache
def _yaml() -> YAML:
    from ruamel.yaml import YAML

    return YAML(typ="rt")


def _compose(text: str) -> Node:
    root: Node = _yaml().compose(text)
    return root


def _scalar_at(root: Node, keys: tuple[str, ...], place: str) -> ScalarNode:
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    node = root
    for key in keys:
        value = _lookup(node, key) if isinstance(node, MappingNode) else None
        if value is None:
            raise EditRefused(f"{place}: not found in the file")
        node = value
    if not isinstance(node, ScalarNode) or node.style in ("|", ">"):
        raise EditRefused(f"{place}: not a one-line value; edit it by hand")
    return node


def _lookup(mapping: Node, key: str) -> Node | None:
    """The value of `key` in a mapping node, also where a merge key (<<) brings it: the edit is
    then made where the value is written."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    merged: list[Node] = []
    value_node: Node
    for key_node, value_node in mapping.value:
        if key_node.value == key and key_node.tag != "tag:yaml.org,2002:merge":
            return value_node
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged += value_node.value if isinstance(value_node, SequenceNode) else [value_node]
    for source in merged:
        found = _lookup(source, key) if isinstance(source, MappingNode) else None
        if found is not None:
            return found
    return None


def _spellings(style: str | None, value: str) -> list[str]:
    """The ways to write the value, the old value's style first; a JSON string is a valid YAML
    double-quoted scalar, the fallback that reads back as exactly the value."""
    double = json.dumps(value, ensure_ascii=False)
    if style == "'":
        return ["'" + value.replace("'", "''") + "'", double]
    if style == '"':
        return [double]
    return [value, double]
