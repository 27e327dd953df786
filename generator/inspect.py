"""`gen list` and `gen show`: the catalog model as rows and documents."""

from __future__ import annotations

import difflib
from typing import Any

from generator.catalog import FIELD_BY_KIND
from generator.catalog.kinds import KINDS
from generator.catalog.model import Catalog
from generator.errors import UsageError
from generator.render.serialize import plain_data

# a kind by its name, its folder or its Catalog field: service, services; storage-class, storage_classes
ALIASES = {
    alias: kind.name for kind in KINDS if kind.folder for alias in (kind.name, kind.folder, kind.field)
}


def _entities(catalog: Catalog, kind: str) -> dict[str, Any]:
    return dict(getattr(catalog, FIELD_BY_KIND[kind]))


def _kind(name: str) -> str:
    kind = ALIASES.get(name.replace("_", "-")) or ALIASES.get(name)
    if kind is None:
        raise UsageError(f"unknown kind '{name}'; use one of {', '.join(sorted(FIELD_BY_KIND))}")
    return kind


def list_rows(catalog: Catalog, kind_name: str | None) -> list[dict[str, str]]:
    kinds = [_kind(kind_name)] if kind_name else list(FIELD_BY_KIND)
    rows = []
    for kind in kinds:
        for entity_id, entity in sorted(_entities(catalog, kind).items()):
            rows.append({"kind": kind, "id": entity_id, "title": getattr(entity, "title", "")})
    return rows


def find(catalog: Catalog, reference: str) -> dict[str, Any]:
    """The entity named by 'id' or 'kind/id', as plain data with its kind."""
    if "/" in reference:
        kind_name, entity_id = reference.split("/", 1)
        kinds = [_kind(kind_name)]
    else:
        entity_id, kinds = reference, list(FIELD_BY_KIND)
    matches = [(k, _entities(catalog, k)[entity_id]) for k in kinds if entity_id in _entities(catalog, k)]
    if len(matches) > 1:
        options = ", ".join(f"{k}/{entity_id}" for k, _ in matches)
        raise UsageError(f"'{entity_id}' names several entities; use one of {options}")
    if not matches:
        every = [i for k in kinds for i in _entities(catalog, k)]
        close = difflib.get_close_matches(entity_id, every, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `gen list` shows every id"
        raise UsageError(f"no entity '{reference}'{hint}")
    kind, entity = matches[0]
    return {"kind": kind, **plain_data(entity)}


def to_yaml_text(data: Any) -> str:
    """YAML as `gen build` writes it (the project's own emitter, round-tripped in its tests)."""
    from generator.render.yaml_text import to_yaml

    return to_yaml(data).decode("utf-8")
