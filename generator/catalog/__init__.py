"""Load, validate and model the catalog. `load_catalog` is the entry point."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.catalog.checks import Context, run_checks
from generator.catalog.kinds import KIND_BY_NAME, KINDS
from generator.catalog.loader import RawDocument, load_documents
from generator.catalog.model import Catalog
from generator.catalog.schema import validate_document
from generator.catalog.single_line import single_line_problems
from generator.diagnostics import Diagnostic, display_path
from generator.errors import CatalogInvalid, UsageError

FIELD_BY_KIND = {kind.name: kind.field for kind in KINDS if kind.folder}  # the kinds of many entities


def validate_catalog(
    catalog_dir: Path, overlay: Mapping[str, str] | None = None
) -> tuple[Catalog, list[Diagnostic]]:
    """The catalog's valid part as a model, and every problem found (sorted). `overlay`: texts by
    path relative to the folder, read in place of its files (or as new ones): the catalog as an
    edit would leave it, checked before anything is written."""
    if not catalog_dir.is_dir():
        raise UsageError(f"catalog folder not found: {display_path(catalog_dir)}")
    loaded = load_documents(catalog_dir, examine=_examine, overlay=overlay)
    problems = loaded.problems
    valid: dict[tuple[str, str], RawDocument] = {}
    models: dict[tuple[str, str], Any] = {}
    for document, (document_problems, model) in zip(loaded.documents, loaded.examined, strict=True):
        problems.extend(document_problems)
        if not document_problems:
            valid[(document.kind.name, document.stem)] = document
            models[(document.kind.name, document.stem)] = model
    catalog = _model(valid, models)
    frozen_known = {kind.name: frozenset(loaded.found.get(kind.name, ())) for kind in KINDS}
    problems.extend(run_checks(Context(catalog, valid, frozen_known)))
    return catalog, sorted(set(problems))


def _examine(document: RawDocument) -> tuple[list[Diagnostic], Any]:
    """One document's own problems (schema, file name), and its model object when it has none."""
    problems = validate_document(document)
    problems.extend(single_line_problems(document))
    if not problems and document.data["id"] != document.stem:
        message = (
            f"id '{document.data['id']}' does not match the file name "
            f"'{document.path.name}'; rename one of them"
        )
        problems.append(document.diagnostic(["id"], message))
    return problems, None if problems else document.kind.converter(document.data)


def load_catalog(catalog_dir: Path, overlay: Mapping[str, str] | None = None) -> Catalog:
    """The whole catalog as a model; raises CatalogInvalid with every problem if there is any."""
    catalog, problems = validate_catalog(catalog_dir, overlay)
    if problems:
        raise CatalogInvalid(problems)
    return catalog


def _model(valid: dict[tuple[str, str], RawDocument], models: dict[tuple[str, str], Any]) -> Catalog:
    fields: dict[str, dict[str, Any]] = {name: {} for name in FIELD_BY_KIND.values()}
    sources: dict[str, dict[str, str]] = {kind: {} for kind in FIELD_BY_KIND}
    singletons: dict[str, Any] = {}
    for (kind, entity), document in sorted(valid.items()):
        converted = models[(kind, entity)]
        if not KIND_BY_NAME[kind].folder:
            singletons[KIND_BY_NAME[kind].field] = converted
            continue
        fields[FIELD_BY_KIND[kind]][entity] = converted
        sources[kind][entity] = document.display
    arguments: dict[str, Any] = {**fields, **singletons}
    return Catalog(**arguments, sources=sources)
