"""ZFS rules: values OpenZFS accepts, unique names and mountpoints, space that adds up."""

from __future__ import annotations

from collections.abc import Iterator

from generator.catalog.checks.context import Context
from generator.diagnostics import Diagnostic
from generator.units import human_bytes, recordsize_bytes, zfs_bytes

MIN_RECORDSIZE = 512
MAX_RECORDSIZE = 16 * 1024 * 1024


def check_recordsize(context: Context) -> Iterator[Diagnostic]:
    for storage_class in context.catalog.storage_classes.values():
        value = storage_class.properties.get("recordsize")
        if value is None:
            continue
        size = recordsize_bytes(value)
        if size < MIN_RECORDSIZE or size > MAX_RECORDSIZE or size & (size - 1):
            message = f"'{value}' is not a power of two from 512 to 16M (e.g. 64K, 128K, 1M)"
            yield context.at("storage-class", storage_class.id, ["properties", "recordsize"], message)


def check_unique_datasets(context: Context) -> Iterator[Diagnostic]:
    names: dict[str, str] = {}
    mountpoints: dict[str, str] = {}
    for dataset in sorted(context.catalog.datasets.values(), key=lambda d: d.id):
        owner = names.setdefault(dataset.full_name, dataset.id)
        if owner != dataset.id:
            message = f"'{dataset.full_name}' is already the dataset '{owner}'"
            yield context.at("dataset", dataset.id, ["name"], message)
        mountpoint = dataset.mountpoint.rstrip("/") or "/"
        owner = mountpoints.setdefault(mountpoint, dataset.id)
        if owner != dataset.id:
            message = f"'{dataset.mountpoint}' is already the mountpoint of dataset '{owner}'"
            yield context.at("dataset", dataset.id, ["mountpoint"], message)


def check_space(context: Context) -> Iterator[Diagnostic]:
    """A reservation must fit under the dataset's own quota, and reservations under the pool."""
    reserved: dict[str, int] = {}
    for dataset in sorted(context.catalog.datasets.values(), key=lambda d: d.id):
        space = {key: zfs_bytes(value) for key, value in dataset.space.items()}
        for reserve, limit in (("reservation", "quota"), ("refreservation", "refquota")):
            wanted, cap = space.get(reserve), space.get(limit)
            if wanted is not None and cap is not None and wanted > cap:
                message = f"{reserve} {dataset.space[reserve]} is above the {limit} {dataset.space[limit]}"
                yield context.at("dataset", dataset.id, [reserve], message)
        guaranteed = max(space.get("reservation") or 0, space.get("refreservation") or 0)
        reserved[dataset.pool] = reserved.get(dataset.pool, 0) + guaranteed
    for pool in context.catalog.pools.values():
        capacity = zfs_bytes(pool.capacity) if pool.capacity else None
        if capacity is not None and reserved.get(pool.id, 0) > capacity:
            total = human_bytes(reserved[pool.id])
            message = f"the datasets on this pool reserve {total}, more than its capacity {pool.capacity}"
            yield context.at("pool", pool.id, ["capacity"], message)


def check_writable_ownership(context: Context) -> Iterator[Diagnostic]:
    """A container that runs as a fixed user must own the datasets it writes to."""
    datasets = context.catalog.datasets
    for service in context.catalog.services.values():
        if service.user is None:
            continue
        for index, volume in enumerate(service.volumes):
            dataset = datasets.get(volume.source) if volume.source_kind == "dataset" else None
            if dataset is None or volume.read_only or service.user == dataset.owner:
                continue
            message = (
                f"the service runs as {service.user.uid}:{service.user.gid} but dataset "
                f"'{dataset.id}' is owned by {dataset.owner.uid}:{dataset.owner.gid}; "
                "change the dataset's owner or mount it read_only"
            )
            yield context.at("service", service.id, ["volumes", index, "dataset"], message)


def check_compute_capabilities(context: Context) -> Iterator[Diagnostic]:
    owner: dict[str, str] = {}
    for generation in sorted(context.catalog.gpu_generations.values(), key=lambda g: g.id):
        for index, capability in enumerate(generation.compute_capabilities):
            first = owner.setdefault(capability, generation.id)
            if first != generation.id:
                message = f"compute capability {capability} already belongs to generation '{first}'"
                yield context.at("gpu-generation", generation.id, ["compute_capabilities", index], message)


CHECKS = (
    check_recordsize,
    check_unique_datasets,
    check_space,
    check_writable_ownership,
    check_compute_capabilities,
)
