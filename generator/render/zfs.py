"""The ZFS dataset script and its plan: per-workload properties, space, owner, required features."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator.artifact import Artifact
from generator.catalog.model import Catalog, Dataset
from generator.escape import record_field
from generator.plan import Plan
from generator.render.serialize import to_json
from generator.render.text import render_text
from generator.units import recordsize_bytes, zfs_bytes

SCRIPT = "scripts/zfs-datasets.sh"
PLAN = "zfs/plan.json"
TARGET_SECONDS = 5  # the deployment report's target: dataset creation < 5 s
SIZE_PROPERTIES = ("quota", "refquota", "reservation", "refreservation")
DEFAULT_MAX_RECORDSIZE = 128 * 1024
OLD_MAX_RECORDSIZE = 1024 * 1024  # zfs_max_recordsize before OpenZFS 2.2
FEATURE_CHECKSUMS = ("sha512", "skein", "edonr", "blake3")


@dataclass(frozen=True)
class Requirement:
    setting: str  # property=value
    kind: str  # feature | zpl | maxrecordsize
    argument: str

    def __str__(self) -> str:
        return f"{self.setting}:{self.kind}:{self.argument}"


def dataset_properties(catalog: Catalog, dataset: Dataset) -> dict[str, str]:
    """Every property the script sets: the storage class's, then the space settings."""
    properties = dict(catalog.storage_classes[dataset.storage_class].properties)
    properties.update(dataset.space)
    return properties


def expected_value(key: str, value: str) -> str:
    """What `zfs get -Hp -o value` prints once the property is set to `value`."""
    if key == "recordsize":
        return str(recordsize_bytes(value))
    if key in SIZE_PROPERTIES:
        return str(zfs_bytes(value) or 0)
    return value


def requirements(properties: dict[str, str]) -> list[Requirement]:
    """What the pool or kernel must support for these values (checked before any change)."""
    needs: list[Requirement] = []
    record = properties.get("recordsize")
    if record and recordsize_bytes(record) > DEFAULT_MAX_RECORDSIZE:
        needs.append(Requirement(f"recordsize={record}", "feature", "large_blocks"))
    if record and recordsize_bytes(record) > OLD_MAX_RECORDSIZE:
        needs.append(Requirement(f"recordsize={record}", "maxrecordsize", str(recordsize_bytes(record))))
    compression = properties.get("compression", "")
    if compression == "lz4":
        needs.append(Requirement("compression=lz4", "feature", "lz4_compress"))
    if compression.startswith("zstd"):
        needs.append(Requirement(f"compression={compression}", "feature", "zstd_compress"))
    if properties.get("xattr") == "sa":
        needs.append(Requirement("xattr=sa", "zpl", "5"))
    if properties.get("checksum") in FEATURE_CHECKSUMS:
        needs.append(Requirement(f"checksum={properties['checksum']}", "feature", properties["checksum"]))
    return needs


def build_plan(catalog: Catalog) -> dict[str, Any]:
    datasets = []
    for dataset in sorted(catalog.datasets.values(), key=lambda d: d.full_name):
        properties = dataset_properties(catalog, dataset)
        datasets.append(
            {
                "id": dataset.id,
                "name": dataset.full_name,
                "pool": dataset.pool,
                "storage_class": dataset.storage_class,
                "mountpoint": dataset.mountpoint,
                "owner": {"uid": dataset.owner.uid, "gid": dataset.owner.gid},
                "mode": dataset.mode,
                "properties": properties,
                "requires": [
                    {"setting": r.setting, "kind": r.kind, "argument": r.argument}
                    for r in requirements(properties)
                ],
                "capacity_note": dataset.capacity_note,
            }
        )
    return {"target_seconds": TARGET_SECONDS, "pools": sorted(catalog.pools), "datasets": datasets}


def _line(catalog: Catalog, dataset: Dataset) -> str:
    properties = dataset_properties(catalog, dataset)
    props = " ".join(f"{k}={v}={expected_value(k, v)}" for k, v in properties.items())
    needs = " ".join(str(r) for r in requirements(properties))
    fields = [
        dataset.full_name,
        dataset.mountpoint,
        str(dataset.owner.uid),
        str(dataset.owner.gid),
        dataset.mode or "",
        props,
        needs,
    ]
    return "|".join(record_field(f, quoted=False) for f in fields)  # the template quotes the line


def render_script(catalog: Catalog) -> str:
    datasets = sorted(catalog.datasets.values(), key=lambda d: d.full_name)
    reserved: dict[str, int] = {}
    for dataset in datasets:
        guaranteed = max(
            zfs_bytes(dataset.space.get(k, "none")) or 0 for k in ("reservation", "refreservation")
        )
        reserved[dataset.pool] = reserved.get(dataset.pool, 0) + guaranteed
    used_pools = sorted({d.pool for d in datasets})
    return render_text(
        "zfs-datasets.sh.j2",
        target_seconds=TARGET_SECONDS,
        pools=used_pools,
        datasets=[{"line": _line(catalog, d)} for d in datasets],
        reserved=sorted(reserved.items()),
    )


def render(plan: Plan) -> list[Artifact]:
    catalog = plan.catalog
    if not catalog.datasets:
        return []
    return [
        Artifact(SCRIPT, render_script(catalog).encode("utf-8"), 0o755),
        Artifact(PLAN, to_json(build_plan(catalog))),
    ]
