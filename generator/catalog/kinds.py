"""The kinds of catalog entity: where their files live and which schema checks them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # singular, as in the schema file name: 'storage-class'
    folder: str  # the catalog folder: 'storage-classes'; '' for a single file at the root

    @property
    def schema_file(self) -> str:
        return f"{self.name}.schema.json"


KINDS: tuple[Kind, ...] = (
    Kind("network", "networks"),
    Kind("pool", "pools"),
    Kind("storage-class", "storage-classes"),
    Kind("dataset", "datasets"),
    Kind("gpu-generation", "gpu-generations"),
    Kind("role", "roles"),
    Kind("service", "services"),
    Kind("stack", "stacks"),
    Kind("publish", ""),
    Kind("alerts", ""),
)
KIND_BY_FOLDER = {kind.folder: kind for kind in KINDS if kind.folder}
# single files at the catalog's root, and whether the catalog must have them
ROOT_FILES = {"publish.yaml": (KINDS[-2], True), "alerts.yaml": (KINDS[-1], False)}
