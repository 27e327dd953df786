"""The running kernel's build configuration, read where Docker's contrib/check-config.sh reads
it (a Swarm node's IPsec for encrypted overlays: deploy.ENCRYPTED_OVERLAY)."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path


def config_paths(release: str) -> list[Path]:
    """Where check-config.sh looks, in its order."""
    return [
        Path("/proc/config.gz"),
        Path(f"/boot/config-{release}"),
        Path(f"/usr/src/linux-{release}/.config"),
        Path("/usr/src/linux/.config"),
    ]


def read_config(paths: list[Path] | None = None) -> tuple[Path, dict[str, str]] | None:
    """The first readable configuration: where it was and its CONFIG_ options (y, m, a value)."""
    for path in paths if paths is not None else config_paths(os.uname().release):
        try:
            data = path.read_bytes()
            text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")
        except (OSError, EOFError, gzip.BadGzipFile, zlib.error):  # unreadable or corrupt: the next
            continue
        options = {}
        for line in text.splitlines():
            name, equals, value = line.partition("=")
            if equals and name.startswith("CONFIG_"):
                options[name.removeprefix("CONFIG_")] = value
        return path, options
    return None


def missing(options: dict[str, str], wanted: tuple[str, ...]) -> list[str]:
    """The wanted options neither built in nor a module."""
    return [f"CONFIG_{name}" for name in wanted if options.get(name) not in ("y", "m")]
