"""A per-user cache of generated Python code, stored compiled, like Python's own .pyc files (#11).

The schema checks are Python code generated from the schemas: generating and compiling them took
~0.15 s of every `gen validate` and `gen build`, more than the rest of a small build. The code
object is stored with marshal under $GEN_CACHE_DIR (default: $XDG_CACHE_HOME/gen or
~/.cache/gen), in a file named after a digest of everything the code derives from, and read back
on later runs. An unreadable, foreign or damaged entry is ignored and replaced; a folder that
cannot be written only means no caching. GEN_CACHE_DIR set to an empty value turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
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
    """A folder of the cache, made private (code is run from it); None when caching is off or
    the folder cannot be made."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        (folder / name).mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder / name


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
    path = folder / f"{name}-{key}{SUFFIX}" if folder else None
    if path is not None:
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
        temporary.write_bytes(data)
        temporary.replace(path)
        stem = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{stem}-*{SUFFIX}"):
            if old != path and old.name.rsplit("-", 1)[0] == stem:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only home, a full disk: run without the cache
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
