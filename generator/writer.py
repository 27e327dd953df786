"""The one place that writes build output: deterministic bytes, atomic folder swap, check/diff.

A build renders every artifact in memory, writes them into a temporary sibling folder and then
swaps it with the output folder in one step (renameat2 RENAME_EXCHANGE on Linux), so an
interrupted build leaves the previous output untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import difflib
import fcntl
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.artifact import MARKER, Artifact
from generator.errors import OutputRefused

TEMP_PREFIX = ".gen-tmp-"

Status = Literal["created", "changed", "removed", "unchanged"]


@dataclass(frozen=True)
class Change:
    path: str
    status: Status


def replace_file(path: Path, content: bytes) -> None:
    """Replace one file whole or not at all, through a temporary file beside it: a link at the
    path is replaced by a file, never written through (its target may be anywhere). The
    temporary file is new (O_EXCL, never a link), so nothing planted in the folder is written."""
    replace_files({path: content})


def replace_files(contents: Mapping[Path, bytes]) -> None:
    """Replace several files, all or none: each is written to a new temporary file beside it
    first (a full disk stops here, with nothing changed), then each is renamed over its path;
    should a rename fail (or the run be interrupted), those done are put back (the old file, or
    no file)."""
    staged: dict[Path, Path] = {}
    kept: dict[Path, Path | None] = {}  # path -> a copy of its old file, None when there was none
    try:
        for path, content in contents.items():
            staged[path], descriptor = _new_file(path)
            with os.fdopen(descriptor, "wb") as stream:  # the new file itself, never a link
                stream.write(content)
        for path, temporary in staged.items():
            kept[path] = None
            if os.path.lexists(path):
                kept[path] = _keep_old(path)
            temporary.replace(path)
    except BaseException:
        for path, previous in kept.items():
            try:
                if previous is not None:
                    previous.replace(path)
                elif not staged[path].exists():  # renamed over: there was no file before
                    path.unlink(missing_ok=True)
            except OSError:
                continue  # put back what can be; the error that stopped the writes is raised
        raise
    finally:
        for leftover in [*staged.values(), *(p for p in kept.values() if p is not None)]:
            leftover.unlink(missing_ok=True)


def _keep_old(path: Path) -> Path:
    """The old file beside itself, to put back: a hard link where the file system allows one,
    else a copy (a link stays a link)."""
    old = _new_name(path, "old-")
    try:
        os.link(path, old, follow_symlinks=False)
    except OSError:
        shutil.copy2(path, old, follow_symlinks=False)
    return old


def _new_name(path: Path, kind: str) -> Path:
    for _ in range(100):
        candidate = path.with_name(f"{TEMP_PREFIX}{kind}{path.name}-{secrets.token_hex(8)}")
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(f"no free temporary name beside {path}")


def _new_file(path: Path) -> tuple[Path, int]:
    """A new file beside `path`, open for writing (O_EXCL: never a file or link planted there)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(100):
        temporary = path.with_name(f"{TEMP_PREFIX}{path.name}-{secrets.token_hex(8)}")
        try:
            return temporary, os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def plan(out_dir: Path, artifacts: Sequence[Artifact]) -> list[Change]:
    """What writing `artifacts` would do to `out_dir`, file by file, sorted by path."""
    current = _existing(out_dir)
    changes = []
    for artifact in artifacts:
        old = current.pop(artifact.path, None)
        if old is None:
            status: Status = "created"
        elif not _regular(old) or old.read_bytes() != artifact.content or _mode(old) != artifact.mode:
            status = "changed"
        else:
            status = "unchanged"
        changes.append(Change(artifact.path, status))
    changes.extend(Change(path, "removed") for path in current)
    return sorted(changes, key=lambda c: c.path)


def diff(out_dir: Path, artifacts: Sequence[Artifact]) -> str:
    """A unified diff from what is in `out_dir` to what the build would write."""
    by_path = {a.path: a for a in artifacts}
    chunks: list[str] = []
    for change in plan(out_dir, artifacts):
        if change.status == "unchanged":
            continue
        old = _text(out_dir / change.path) if change.status != "created" else []
        new = _lines(by_path[change.path].content) if change.path in by_path else []
        a = f"a/{change.path}" if change.status != "created" else "/dev/null"
        b = f"b/{change.path}" if change.status != "removed" else "/dev/null"
        chunks.extend(difflib.unified_diff(old, new, a, b))
        if old == new:  # only the mode differs
            chunks.append(f"mode of {change.path} changes to {by_path[change.path].mode:o}\n")
    return "".join(chunks)


SITE_MARKER = ".gen-site"  # in a folder `gen site build` made


def published_place(folder: Path, include_itself: bool = True) -> str | None:
    """What publishes `folder`, when it lies in a build output, a built site or the docs site's
    source (site/ beside a mkdocs.yml): secrets and outputs never go there."""
    try:
        resolved = folder.resolve()
        places = [resolved, *resolved.parents] if include_itself else list(resolved.parents)
        for place in places:
            if (place / MARKER).is_file():
                return f"{place} (the output of `gen build`)"
            if (place / SITE_MARKER).is_file():
                return f"{place} (a site `gen site build` made)"
            if place.name == "site" and (place.parent / "mkdocs.yml").is_file():
                return f"{place} (the docs site's source: `gen site build` publishes it)"
    except (OSError, RuntimeError) as error:  # a link loop, a folder this user cannot read
        raise OutputRefused(f"cannot tell where {folder} leads: {error}") from None
    return None


def write_output(out_dir: Path, artifacts: Sequence[Artifact], sources: Path | None = None) -> list[Change]:
    """Replace `out_dir` with exactly `artifacts`, atomically; builds into the same folder take
    turns (a lock on the folder that holds it). `sources` (the catalog) may not be inside it,
    nor it inside them. Returns what changed; on a write error the previous output stays whole."""
    if sources is not None:
        _refuse_overlap(out_dir, sources)
    inside = published_place(out_dir, include_itself=False)
    if inside is not None:
        raise OutputRefused(f"{out_dir} is inside {inside}: choose an --out outside it")
    _refuse_foreign(out_dir)
    blocking = next((p for p in out_dir.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise OutputRefused(f"cannot write {out_dir}: {blocking} is a file, not a folder")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            return _replace(out_dir, artifacts)
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputRefused(
            f"could not write {out_dir}: {reason}; the previous output is unchanged"
        ) from error


def _replace(out_dir: Path, artifacts: Sequence[Artifact]) -> list[Change]:
    _remove_leftovers(out_dir)
    changes = plan(out_dir, artifacts)
    if all(change.status == "unchanged" for change in changes) and out_dir.is_dir():
        return changes
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f"{TEMP_PREFIX}{out_dir.name}-{os.getpid()}"
    unchanged = {change.path for change in changes if change.status == "unchanged"}
    try:
        staging.mkdir()
        _write_files(staging, artifacts, out_dir, unchanged)
        _swap_into_place(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return changes


def _write_files(folder: Path, artifacts: Sequence[Artifact], previous: Path, unchanged: set[str]) -> None:
    """Write `artifacts` into the new, empty `folder`. Files `unchanged` since the `previous`
    output are hard-linked from it: no new inode or data, and a rebuild after editing one
    service writes only what changed. Plain strings and os calls: a build of 1,000
    services writes 750 files, and pathlib's overhead showed in the profile."""
    root, old_root = f"{folder}/", f"{previous}/"
    folders: set[str] = set()
    for artifact in artifacts:
        name = os.path.dirname(artifact.path)  # noqa: PTH120
        while name and name not in folders:
            folders.add(name)
            name = os.path.dirname(name)  # noqa: PTH120
    for name in sorted(folders):  # parents sort before their children
        os.mkdir(root + name)  # noqa: PTH102
    for artifact in artifacts:
        if artifact.path in unchanged and not os.path.islink(old_root + artifact.path):  # noqa: PTH114
            try:
                os.link(old_root + artifact.path, root + artifact.path)
                continue
            except OSError:  # a file system without hard links: write it
                pass
        _write_file(root, artifact)


def _write_file(root: str, artifact: Artifact) -> None:
    descriptor = os.open(root + artifact.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        os.fchmod(descriptor, artifact.mode)  # exactly this mode, whatever the umask
        view = memoryview(artifact.content)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
    elif not _exchange(staging, out_dir):
        # No atomic exchange here: two renames, with the old folder kept until the second is done.
        old = out_dir.parent / f"{TEMP_PREFIX}{out_dir.name}-old-{os.getpid()}"
        out_dir.rename(old)
        staging.rename(out_dir)
        shutil.rmtree(old)
    # after an exchange, `staging` holds the previous output; the caller removes it


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """An exclusive lock on the folder that holds the output (flock works on folders, and no
    lock file is left behind): a second build there waits for the first."""
    descriptor = os.open(out_dir.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _refuse_overlap(out_dir: Path, sources: Path) -> None:
    out, source = out_dir.resolve(), sources.resolve()
    if out == source or source.is_relative_to(out) or out.is_relative_to(source):
        raise OutputRefused(
            f"{out_dir} and the catalog {sources} overlap: a build replaces its whole output "
            "folder, so neither may hold the other; choose another --out"
        )


def _refuse_foreign(out_dir: Path) -> None:
    if out_dir.is_symlink():
        raise OutputRefused(f"{out_dir} is a symbolic link; give the real folder with --out")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputRefused(f"{out_dir} is a file, not a folder; choose another --out")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise OutputRefused(
            f"{out_dir} is not empty and was not made by `gen build` (no {MARKER} file); "
            "refusing to replace it: choose an empty or new folder with --out"
        )


def _remove_leftovers(out_dir: Path) -> None:
    """Remove temporary folders an interrupted earlier build left beside the output."""
    if not out_dir.parent.is_dir():
        return
    for leftover in out_dir.parent.glob(f"{TEMP_PREFIX}{out_dir.name}-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)


def _existing(out_dir: Path) -> dict[str, Path]:
    """Files of the output, links included (a link is never followed: it is replaced)."""
    if not out_dir.is_dir():
        return {}
    found = {}
    for folder, folders, files in os.walk(out_dir):  # never into a linked folder
        base = Path(folder)
        names = files + [name for name in folders if (base / name).is_symlink()]
        for name in names:
            path = base / name
            found[path.relative_to(out_dir).as_posix()] = path
    return dict(sorted(found.items()))


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _lines(content: bytes) -> list[str]:
    return content.decode("utf-8", errors="replace").splitlines(keepends=True)


def _text(path: Path) -> list[str]:
    if path.is_symlink():  # its target is never read: it could be any file of the host
        return [f"(a symbolic link to {path.readlink()}; the build replaces it with a file)\n"]
    if not _regular(path):  # a FIFO would wait for a writer forever, a device never end
        return ["(not a regular file; the build replaces it with a file)\n"]
    return _lines(path.read_bytes())


def _regular(path: Path) -> bool:
    """A plain file, itself (a link, a FIFO, a socket or a device is not read)."""
    return stat.S_ISREG(path.lstat().st_mode)
