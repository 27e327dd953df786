"""`gen build`: render the catalog and write the output folder, or only compare with it."""

from __future__ import annotations

from pathlib import Path

from generator import writer
from generator.errors import UsageError
from generator.plan import Plan
from generator.render import render_all


def build_output(
    plan: Plan, catalog_dir: Path, out_dir: Path, check: bool, show_diff: bool, dry_run: bool
) -> tuple[str, str | None]:
    """What `gen build` prints, and with --check, why the output is stale (None when it is not).
    --diff and --dry-run only report; otherwise the folder is replaced as a whole."""
    if sum((check, show_diff, dry_run)) > 1:
        raise UsageError("use only one of --check, --diff and --dry-run")
    artifacts = render_all(plan)
    if show_diff:
        return writer.diff(out_dir, artifacts), None
    if check or dry_run:
        changes = [c for c in writer.plan(out_dir, artifacts) if c.status != "unchanged"]
        listing = "".join(f"{change.status:<9} {out_dir / change.path}\n" for change in changes)
        if check and changes:
            return listing, f"{out_dir}/ is stale: {len(changes)} file(s) differ; run `gen build`"
        return listing or f"{out_dir}/ is up to date ({len(artifacts)} files)\n", None
    changes = writer.write_output(out_dir, artifacts, sources=catalog_dir)
    counts = {s: sum(c.status == s for c in changes) for s in ("created", "changed", "removed")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing changed"
    return f"wrote {out_dir}/: {len(artifacts)} files ({summary})\n", None
