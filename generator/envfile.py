"""`gen secrets`: env files with strong random values for every secret a stack reads.

The files live outside the build output (default secrets/<stack>.env, mode 0600, git-ignored).
A value already in the file is never replaced; only missing secrets are added.
"""

from __future__ import annotations

import os
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.artifact import MARKER
from generator.errors import OutputRefused, UsageError
from generator.escape import env_comment
from generator.plan import Plan
from generator.plan.rules import Variable

ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$")
PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate(kind: str, length: int) -> str:
    if kind == "hex":
        return secrets.token_hex(length)
    if kind == "base64url":
        return secrets.token_urlsafe(length)
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def setting(settings: dict[str, str], variable: str, default: str) -> str:
    """A variable as Compose's `${VAR:-default}` reads it: an empty value is the default too."""
    return settings.get(variable) or default


def read_assignments(path: Path) -> dict[str, str]:
    """NAME=value pairs of an env file (comments and blank lines ignored)."""
    if not path.exists():
        return {}
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:  # left as it is: it may hold secrets
        reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror or error
        raise UsageError(f"cannot read the env file {path}: {reason}; it is left as it is") from None
    found = {}
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match and not line.lstrip().startswith("#"):
            found[match.group(1)] = match.group(2).strip().strip("'\"")
    return found


@dataclass(frozen=True)
class SecretsResult:
    path: Path
    added: tuple[str, ...]
    kept: tuple[str, ...]


def write_stack_secrets(plan: Plan, stack_ids: Iterable[str], folder: Path) -> list[SecretsResult]:
    """`gen secrets`: <folder>/<stack>.env for each stack (every stack when none is named), with
    a value for each secret any variant of the stack reads."""
    refuse_secrets_place(folder, [folder / f"{s.id}.env" for s in plan.chosen_stacks(stack_ids)])
    return [
        write_secrets(folder / f"{stack.id}.env", stack.id, plan.stack_variables(stack))
        for stack in plan.chosen_stacks(stack_ids)
    ]


def secrets_text(results: list[SecretsResult]) -> str:
    """`gen secrets` as text: per env file, the variables added and how many were kept."""
    return "".join(
        f"{r.path}: added {', '.join(r.added) or 'none'}; kept {len(r.kept)} existing\n" for r in results
    )


def write_secrets(path: Path, stack_id: str, variables: Iterable[Variable]) -> SecretsResult:
    """Add a generated value for each secret missing from `path`; keep everything else. The file
    is replaced whole (a private temporary file beside it, then a rename): never written
    through a symbolic link, never half-written."""
    refuse_secrets_place(path.parent, [path])
    existing = read_assignments(path)
    added, kept, lines = [], [], []
    for variable in variables:
        if variable.secret is None:
            continue
        if existing.get(variable.name):
            kept.append(variable.name)
            continue
        lines.append(env_comment(f"{variable.description} (used by {', '.join(variable.used_by)})"))
        lines.append(f"{variable.name}={generate(variable.secret, variable.secret_length)}")
        added.append(variable.name)
    header = f"# Secrets of the {stack_id} stack, written by `gen secrets`. Keep private; never commit.\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text("utf-8") if path.exists() else header
        if lines:
            separator = "" if not text or text.endswith("\n") else "\n"
            text += separator + "\n".join(lines) + "\n"
        _replace_private(path, text)
    except OSError as error:  # a full or read-only disk: the file stays as it was
        raise OutputRefused(f"could not write {path}: {error.strerror or error}; it is unchanged") from None
    return SecretsResult(path, tuple(added), tuple(kept))


def _replace_private(path: Path, text: str) -> None:
    """Write `text` to a new file (mode 0600, never through a link) beside `path`, then rename it
    over `path`."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _refuse_build_output(path: Path) -> None:
    for folder in path.resolve().parents:
        if (folder / MARKER).exists():
            raise OutputRefused(
                f"{path} is inside the build output {folder}; secrets never go there: choose another --dir"
            )


def refuse_secrets_place(folder: Path, files: Iterable[Path]) -> None:
    """Secrets never go where they would be published (inside a build output, a built site or
    the docs site's source), nor through a link: raised before anything is written."""
    from generator.errors import UsageError
    from generator.writer import published_place

    inside = published_place(folder)
    if inside is not None:
        raise UsageError(f"{folder} is inside {inside}: keep secrets outside it")
    for path in files:
        _refuse_build_output(path)
        if path.is_symlink():
            raise OutputRefused(
                f"{path} is a symbolic link; secrets are written to a plain file only: remove the link"
            )
