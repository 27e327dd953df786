"""`gen images pin`: rewrite the catalog's image references to newer releases (and digests),
changing only those values: comments, quoting and layout stay as they are. Everything is
worked out first; nothing is written when a registry could not answer or the result would not
validate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from generator.catalog.model import Catalog, Service
from generator.editor import CatalogEditor, Edit, EditRefused
from generator.images.catalog_images import ImageStatus
from generator.images.reference import ImageReference, parse_reference


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


def written_images(service: Service) -> Iterator[tuple[tuple[str, ...], str]]:
    """Where the service's file writes an image (its keys), and the image: the cpu variant's,
    then each GPU variant's own."""
    yield ("image",), service.image
    if service.gpu and service.gpu.nvidia and service.gpu.nvidia.image:
        yield ("gpu", "nvidia", "image"), service.gpu.nvidia.image
    if service.gpu and service.gpu.amd and service.gpu.amd.image:
        yield ("gpu", "amd", "image"), service.gpu.amd.image


def plan(catalog: Catalog, catalog_dir: Path, wanted: dict[str, str]) -> tuple[CatalogEditor, list[Edit]]:
    """An editor holding the new image values (nothing written), and each change, by file and line.
    Only image values change: an equal text elsewhere (a description, a comment) stays."""
    editor = CatalogEditor(catalog_dir)
    changes = [
        edit
        for service in catalog.services.values()
        for keys, image in written_images(service)
        if image in wanted
        and (edit := editor.set_scalar(f"services/{service.id}.yaml", keys, wanted[image])) is not None
    ]
    return editor, sorted(changes, key=lambda c: (c.file, c.line))


def changes_text(changes: list[Edit], diff_text: str, with_digest: bool) -> str:
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
) -> tuple[list[Edit], str]:
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
    try:
        editor, changes = plan(catalog, catalog_dir, wanted)
    except EditRefused as refused:
        raise GenError(f"nothing pinned: {refused}") from None
    problems = editor.problems() if changes else []
    if problems:
        shown = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
        raise GenError("nothing pinned: the result would not validate: " + shown)
    if dry_run:
        return changes, editor.diff()
    editor.write()  # all or none
    return changes, ""
