"""Results of `gen doctor` (checks) and `gen drift` (per-service findings), as text or JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from generator.escape import terminal_text


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    message: str
    hint: str = ""


@dataclass
class Finding:
    service: str
    stack: str
    status: str  # in-sync | drifted | missing | unknown
    differences: list[str] = field(default_factory=list)


# What an engine answer that is not what the Engine API documents raises while it is read.
UNEXPECTED_ANSWER = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def run_groups(groups: Iterable[tuple[str, Callable[[], Iterable[Check]]]]) -> list[Check]:
    """Each group's checks in order; a group that meets an unexpected answer becomes one warning
    and the others go on."""
    checks: list[Check] = []
    for name, group in groups:
        try:
            checks += list(group())
        except UNEXPECTED_ANSWER as error:
            checks.append(Check(name, "warn", f"could not check: an unexpected answer ({error!r})"))
    return checks


def checks_text(checks: Sequence[Check]) -> str:
    lines = [
        terminal_text(f"{c.status:<4} {c.name}: {c.message}" + (f" ({c.hint})" if c.hint else ""))
        for c in checks
    ]
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    lines.append(f"{len(checks)} checks: {failed} failed, {warned} warnings")
    return "\n".join(lines) + "\n"


def findings_text(findings: Sequence[Finding]) -> str:
    lines = []
    for f in findings:
        lines.append(terminal_text(f"{f.status:<8} {f.stack}/{f.service}"))
        lines.extend(f"         {terminal_text(difference)}" for difference in f.differences)
    drifted = sum(f.status != "in-sync" for f in findings)
    lines.append(f"{len(findings)} services: {drifted} not in sync")
    return "\n".join(lines) + "\n"
