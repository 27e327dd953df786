"""A per-user cache of generated Python code, stored compiled, like Python's own .pyc files.

The schema checks are Python code generated from the schemas: generating and compiling them took
~0.15 s of every `gen validate` and `gen build`, more than the rest of a small build. The code
object is stored with marshal under $GEN_CACHE_DIR (default: $XDG_CACHE_HOME/gen or
~/.cache/gen), in a file named after a digest of everything the code derives from, and read back
on later runs. An unreadable, foreign or damaged entry is ignored and replaced; a folder that
cannot be written only means no caching. GEN_CACHE_DIR set to an empty value turns it off.
Code is only ever loaded from a folder and files this user owns that nobody else may write
(Python's rule for .pyc files): otherwise anyone who can write there could plant code that the
next `gen validate` runs, so such a cache is not used at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import CodeType

SUFFIX = ".marshal"


def cache_dir() -> Path | None:
    configured = os.environ.get("GEN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "gen"
    try:
        return Path.home() / ".cache" / "gen"
    except RuntimeError:  # no home folder to be found: no cache
        return None


def subfolder(name: str) -> Path | None:
    """A folder of the cache, made private (code is run from it); None when caching is off, the
    folder cannot be made, or it (or the cache) is not this user's alone."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        (folder / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / name if trusted(folder) and trusted(folder / name) else None


def trusted(path: Path) -> bool:
    """Owned by this user, not a link, and writable by nobody else."""
    try:
        status = path.lstat()
    except OSError:
        return False
    return (
        status.st_uid == os.geteuid()
        and not stat.S_ISLNK(status.st_mode)
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def digest(parts: Iterable[bytes]) -> str:
    """A key for code derived from `parts`; the interpreter's version is always part of it."""
    hasher = hashlib.sha256(sys.version.encode())
    for part in parts:
        hasher.update(len(part).to_bytes(8, "little"))
        hasher.update(part)
    return hasher.hexdigest()[:32]


def compiled(name: str, key: str, make_source: Callable[[], str]) -> CodeType:
    """The code object for `name` under `key`: from the cache, or made, compiled and stored."""
    folder = cache_dir()
    if folder is not None and folder.exists() and not trusted(folder):
        folder = None  # someone else could write there: no code is loaded from it, none stored
    path = folder / f"{name}-{key}{SUFFIX}" if folder else None
    if path is not None and trusted(path):
        code = _read(path)
        if code is not None:
            return code
    code = compile(make_source(), f"<generated {name}>", "exec")
    if path is not None:
        _store(path, marshal.dumps(code))
    return code


def _read(path: Path) -> CodeType | None:
    try:
        code = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def _store(path: Path, data: bytes) -> None:
    """Write atomically (a reader never sees half a file) and drop the entries it replaces."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # code is run from here
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        temporary.replace(path)
        stem = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{stem}-*{SUFFIX}"):
            if old != path and old.name.rsplit("-", 1)[0] == stem:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only home, a full disk: run without the cache
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
