"""Sizes as the catalog writes them ('512m', '150G'), in bytes."""

from __future__ import annotations

import re

_FACTORS = {"k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def memory_bytes(text: str) -> int:
    """'512m' -> 536870912: a size the catalog's schema has checked (Docker's units, binary)."""
    size = docker_bytes(text)
    if size is None:
        raise ValueError(f"not a memory size: {text!r}")
    return size


_DOCKER_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?(?:([kmgtp])(?:i?b)?|b)?", re.IGNORECASE | re.ASCII)


def docker_bytes(text: str) -> int | None:
    """A memory size as Docker reads it (go-units RAMInBytes: '48g', '1.5G', '512mb', '1024'),
    in bytes; None when Docker would refuse it."""
    match = _DOCKER_SIZE.fullmatch(text.strip())
    if match is None:
        return None
    return int(float(match[1]) * _FACTORS.get((match[2] or "").lower(), 1))


def zfs_bytes(text: str) -> int | None:
    """'150G' -> bytes; 'none' -> None. ZFS sizes are binary too."""
    if text == "none":
        return None
    return int(text[:-1]) * _FACTORS[text[-1].lower()]


def recordsize_bytes(text: str) -> int:
    """'128K' -> 131072, '1M' -> 1048576, '4096' -> 4096."""
    if text[-1] in "KM":
        return int(text[:-1]) * _FACTORS[text[-1].lower()]
    return int(text)


def human_bytes(size: int) -> str:
    """1610612736 -> '1.5G' (binary units, as ZFS prints them)."""
    value = float(size)
    for unit in ("B", "K", "M", "G", "T"):
        if value < 1024:
            return f"{value:.3g}{unit}"
        value /= 1024
    return f"{value:.3g}P"
