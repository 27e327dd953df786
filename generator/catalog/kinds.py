"""The kinds of catalog entity, in one table: where their files live, which schema checks them,
which converter turns a document into its model, and which field of the Catalog holds them.
Adding a kind: a row here, its schema, its model class and its converter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator.catalog import convert


@dataclass(frozen=True)
class Kind:
    name: str  # singular, as in the schema file name: 'storage-class'
    folder: str  # the catalog folder: 'storage-classes'; '' for a single file at the root
    field: str  # the Catalog field that holds them (a single file's model, or id -> model)
    converter: Callable[[convert.Data], Any]
    root_file: str = ""  # a single-file kind: its file at the catalog's root
    required: bool = False  # a single-file kind: whether the catalog must have it

    @property
    def schema_file(self) -> str:
        return f"{self.name}.schema.json"


KINDS: tuple[Kind, ...] = (
    Kind("network", "networks", "networks", convert.network),
    Kind("pool", "pools", "pools", convert.pool),
    Kind("storage-class", "storage-classes", "storage_classes", convert.storage_class),
    Kind("dataset", "datasets", "datasets", convert.dataset),
    Kind("gpu-generation", "gpu-generations", "gpu_generations", convert.gpu_generation),
    Kind("role", "roles", "roles", convert.role),
    Kind("service", "services", "services", convert.service),
    Kind("stack", "stacks", "stacks", convert.stack),
    Kind("publish", "", "publish", convert.publish, root_file="publish.yaml", required=True),
    Kind("alerts", "", "alerts", convert.alerts, root_file="alerts.yaml"),
)
KIND_BY_NAME = {kind.name: kind for kind in KINDS}
KIND_BY_FOLDER = {kind.folder: kind for kind in KINDS if kind.folder}
ROOT_FILES = {kind.root_file: kind for kind in KINDS if kind.root_file}
