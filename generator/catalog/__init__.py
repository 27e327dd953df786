"""Load, validate and model the catalog. `load_catalog` is the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generator.catalog.checks import Context, run_checks
from generator.catalog.convert import CONVERTERS
from generator.catalog.kinds import KINDS
from generator.catalog.loader import RawDocument, load_documents
from generator.catalog.model import Catalog
from generator.catalog.schema import validate_document
from generator.diagnostics import Diagnostic, display_path
from generator.errors import CatalogInvalid, UsageError

FIELD_BY_KIND = {
    "network": "networks",
    "pool": "pools",
    "storage-class": "storage_classes",
    "dataset": "datasets",
    "gpu-generation": "gpu_generations",
    "role": "roles",
    "service": "services",
    "stack": "stacks",
}


def validate_catalog(catalog_dir: Path) -> tuple[Catalog, list[Diagnostic]]:
    """The catalog's valid part as a model, and every problem found (sorted)."""
    if not catalog_dir.is_dir():
        raise UsageError(f"catalog folder not found: {display_path(catalog_dir)}")
    loaded = load_documents(catalog_dir)
    problems = loaded.problems
    valid: dict[tuple[str, str], RawDocument] = {}
    for document in loaded.documents:
        document_problems = validate_document(document)
        if not document_problems and document.data["id"] != document.stem:
            message = (
                f"id '{document.data['id']}' does not match the file name "
                f"'{document.path.name}'; rename one of them"
            )
            document_problems.append(document.diagnostic(["id"], message))
        problems.extend(document_problems)
        if not document_problems:
            valid[(document.kind.name, document.stem)] = document
    catalog = _model(valid)
    frozen_known = {kind.name: frozenset(loaded.found.get(kind.name, ())) for kind in KINDS}
    problems.extend(run_checks(Context(catalog, valid, frozen_known)))
    return catalog, sorted(set(problems))


def load_catalog(catalog_dir: Path) -> Catalog:
    """The whole catalog as a model; raises CatalogInvalid with every problem if there is any."""
    catalog, problems = validate_catalog(catalog_dir)
    if problems:
        raise CatalogInvalid(problems)
    return catalog


def _model(valid: dict[tuple[str, str], RawDocument]) -> Catalog:
    fields: dict[str, dict[str, Any]] = {name: {} for name in FIELD_BY_KIND.values()}
    sources: dict[str, dict[str, str]] = {kind: {} for kind in FIELD_BY_KIND}
    singletons: dict[str, Any] = {}
    for (kind, entity), document in sorted(valid.items()):
        converted = CONVERTERS[kind](document.data)  # already plain dicts and lists
        if kind in ("publish", "alerts"):
            singletons[kind] = converted
            continue
        fields[FIELD_BY_KIND[kind]][entity] = converted
        sources[kind][entity] = document.display
    arguments: dict[str, Any] = {**fields, **singletons}
    return Catalog(**arguments, sources=sources)
