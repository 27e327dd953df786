"""Pools for the ZFS tests: sparse files in a temporary folder, unique names, an altroot."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.components import missing


def zfs_available() -> None:
    if (
        shutil.which("zpool") is None
        or subprocess.run(["zpool", "list"], capture_output=True).returncode != 0
    ):
        missing("no ZFS here (scripts/start-zfs-fuse starts Debian's zfs-fuse)")


def unique_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"


@contextmanager
def pools(folder: Path, names: list[str], size: str = "256M") -> Iterator[dict[str, Path]]:
    """Create pools on sparse files with an altroot each; destroy them afterwards."""
    roots: dict[str, Path] = {}
    try:
        for name in names:
            image = folder / f"{name}.img"
            subprocess.run(["truncate", "-s", size, str(image)], check=True)
            roots[name] = folder / f"altroot-{name}"
            subprocess.run(
                ["zpool", "create", "-R", str(roots[name]), name, str(image)], check=True, capture_output=True
            )
        yield roots
    finally:
        for name in roots:
            subprocess.run(["zfs", "unmount", "-a"], capture_output=True)
            subprocess.run(["zpool", "destroy", "-f", name], capture_output=True)


def zfs_get(dataset: str, *properties: str, parsable: bool = True) -> dict[str, str]:
    flags = ["-H", "-p"] if parsable else ["-H"]
    out = subprocess.run(
        ["zfs", "get", *flags, "-o", "property,value", ",".join(properties), dataset],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("\t", 1) for line in out.splitlines())


def snapshot(pool: str) -> str:
    """Every property of every dataset of the pool, with its source: changes show up here."""
    return subprocess.run(
        ["zfs", "get", "-H", "-p", "-r", "-o", "name,property,value,source", "all", pool],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def datasets_of(pool: str) -> list[str]:
    out = subprocess.run(
        ["zfs", "list", "-H", "-r", "-o", "name", pool], capture_output=True, text=True, check=True
    )
    return out.stdout.split()
