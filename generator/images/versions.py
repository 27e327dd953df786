"""Which tags of an image are newer releases of the same variant.

A tag reads as an optional `v`, a version of one to four numbers, and a suffix (`-rocm`,
`-alpine`, `-cuda12`): a newer release keeps the `v`, the count of numbers (so `0.12.6` is not
compared with a moving `0.12`) and the suffix. Pre-releases (`-rc1`, `-beta.2`) are left out
unless asked for, then they may carry the pre-release mark before the suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

VERSION = re.compile(r"^(v?)(\d+(?:\.\d+){0,3})(.*)$")
PRE_RELEASE = re.compile(r"^[-.+_]?(?:rc|alpha|beta|pre|preview|dev)[-.]?\d*", re.IGNORECASE)


def _split(tag: str) -> tuple[str, tuple[int, ...], str] | None:
    found = VERSION.match(tag)
    if found is None:
        return None
    return found.group(1), tuple(int(n) for n in found.group(2).split(".")), found.group(3)


def newer_tags(current: str, tags: Iterable[str], pre_releases: bool = False) -> list[str]:
    """The tags newer than `current` in the same variant, oldest first; [] when `current` is not
    a version (`latest`, a date) or nothing is newer."""
    mine = _split(current)
    if mine is None:
        return []
    prefix, numbers, suffix = mine
    found = []
    for tag in tags:
        theirs = _split(tag)
        if theirs is None or theirs[0] != prefix or len(theirs[1]) != len(numbers):
            continue
        other = theirs[2]
        if other != suffix:
            mark = PRE_RELEASE.match(other)
            if not (pre_releases and mark and other[mark.end() :] == suffix):
                continue
        if theirs[1] > numbers:
            found.append((theirs[1], other != suffix, tag))
    return [tag for _, _, tag in sorted(found)]
