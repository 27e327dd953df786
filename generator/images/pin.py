"""`gen images pin`: rewrite the catalog's image references to newer releases (and digests),
changing only those values: comments, quoting and layout stay as they are. Everything is
worked out first; nothing is written when a registry could not answer or the result would not
validate."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.catalog.model import Catalog
from generator.images.catalog_images import ImageStatus
from generator.images.reference import ImageReference, parse_reference
from generator.writer import replace_files

IMAGE_LINE = re.compile(
    r"^(?P<head>\s*(?:-\s+)?image:\s*)(?P<quote>[\"']?)(?P<value>[^\s\"'#]+)(?P=quote)", re.M
)


@dataclass(frozen=True)
class Change:
    file: Path
    line: int
    old: str
    new: str


def repinned(reference: ImageReference, tag: str, digest: str | None) -> str:
    """The reference with another tag (and digest), its registry and repository written as they were."""
    name = reference.text.split("@", 1)[0]
    if reference.tag is not None:
        name = name[: -len(reference.tag) - 1]
    return f"{name}:{tag}" + (f"@{digest}" if digest else "")


def wanted_references(
    statuses: list[ImageStatus],
    with_digest: bool,
    digest_of: Callable[[ImageReference, str], str],
) -> dict[str, str]:
    """old reference -> new one: outdated images to their newest release; with `with_digest`,
    every versioned image also to that tag's digest."""
    wanted = {}
    for status in statuses:
        if status.status not in ("outdated", "current"):
            continue
        reference = parse_reference(status.image)
        assert reference.tag is not None  # current and outdated images have a version tag
        tag = status.newer[-1] if status.newer else reference.tag
        digest = digest_of(reference, tag) if with_digest else None
        new = repinned(reference, tag, digest or (reference.digest if tag == reference.tag else None))
        if new != status.image:
            wanted[status.image] = new
    return wanted


def plan(catalog_dir: Path, wanted: dict[str, str]) -> tuple[dict[Path, str], list[Change]]:
    """The new text of every service file that names an image to change, and each change."""
    texts: dict[Path, str] = {}
    changes: list[Change] = []
    for path in sorted((catalog_dir / "services").glob("*.yaml")):
        text = path.read_text("utf-8")

        def swap(line: re.Match[str], path: Path = path, text: str = text) -> str:
            new = wanted.get(line.group("value"))
            if new is None:
                return line.group(0)
            number = text.count("\n", 0, line.start()) + 1
            changes.append(Change(path, number, line.group("value"), new))
            return f"{line.group('head')}{line.group('quote')}{new}{line.group('quote')}"

        new_text = IMAGE_LINE.sub(swap, text)
        if new_text != text:
            texts[path] = new_text
    return texts, changes


def validates(catalog_dir: Path, texts: dict[Path, str]) -> list[str]:
    """The problems `gen validate` would find in the catalog with the new texts (nothing written)."""
    from generator.catalog import validate_catalog

    overlay = {path.relative_to(catalog_dir).as_posix(): text for path, text in texts.items()}
    _, problems = validate_catalog(catalog_dir, overlay)
    return [f"{p.path}: {p.message}" for p in problems]


def diff(texts: dict[Path, str]) -> str:
    parts: list[str] = []
    for path, text in texts.items():
        old = path.read_text("utf-8").splitlines(keepends=True)
        parts += difflib.unified_diff(old, text.splitlines(keepends=True), str(path), str(path))
    return "".join(parts)


def changes_text(changes: list[Change], diff_text: str, with_digest: bool) -> str:
    """`gen images pin` as text: the diff (with --dry-run), then a line per change."""
    from generator.diagnostics import display_path

    lines = [f"{display_path(c.file)}:{c.line}: {c.old} -> {c.new}\n" for c in changes]
    if not changes:
        lines.append(
            "every image is at its newest release" + (" and pinned by digest" if with_digest else "") + "\n"
        )
    return diff_text + "".join(lines)


def pin_images(
    catalog: Catalog,
    catalog_dir: Path,
    with_digest: bool,
    dry_run: bool,
    pre_releases: bool,
    plain_http: tuple[str, ...],
) -> tuple[list[Change], str]:
    """`gen images pin`: the changes made (or, with `dry_run`, their diff and nothing written).
    Refuses, changing nothing, when an image could not be checked, a digest could not be read
    or the result would not validate."""
    from generator.errors import GenError
    from generator.escape import terminal_text
    from generator.images.catalog_images import check_images, image_uses
    from generator.images.registry import RegistryError, docker_credentials, manifest_digest

    credentials = docker_credentials()
    results = check_images(image_uses(catalog), plain_http, pre_releases, credentials)
    failed = [f"{r.image}: {r.message}" for r in results if r.status == "error"]
    if failed:
        raise GenError(
            "nothing pinned: every image must be checked first; " + terminal_text("; ".join(failed))
        )

    def digest_of(reference: ImageReference, tag: str) -> str:
        return manifest_digest(
            reference, tag, credentials.get(reference.registry), reference.registry in plain_http
        )

    try:
        wanted = wanted_references(results, with_digest, digest_of)
    except RegistryError as error:
        raise GenError(f"nothing pinned: a digest could not be read: {error}") from None
    texts, changes = plan(catalog_dir, wanted)
    problems = validates(catalog_dir, texts) if texts else []
    if problems:
        raise GenError("nothing pinned: the result would not validate: " + "; ".join(problems[:5]))
    if dry_run:
        return changes, diff(texts)
    replace_files({path: text.encode("utf-8") for path, text in texts.items()})  # all or none
    return changes, ""
