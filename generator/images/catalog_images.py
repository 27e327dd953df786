"""The images a catalog names, per service and variant, and what their registries offer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from generator.catalog.model import ACCELERATORS, Catalog
from generator.images.reference import ImageReference, parse_reference
from generator.images.registry import RegistryError, docker_credentials, list_tags
from generator.images.versions import VERSION, newer_tags


@dataclass(frozen=True)
class ImageUse:
    service: str
    variant: str
    image: ImageReference

    def to_dict(self) -> dict[str, str | None]:
        image = self.image
        return {
            "service": self.service,
            "variant": self.variant,
            "image": image.text,
            "registry": image.registry,
            "repository": image.repository,
            "tag": image.tag,
            "digest": image.digest,
        }


def uses_text(uses: list[ImageUse]) -> str:
    """`gen images` as text: service, variant, image, one per line."""
    width = max((len(u.service) for u in uses), default=0)
    return "".join(f"{u.service:<{width}}  {u.variant:<6}  {u.image.text}\n" for u in uses)


@dataclass
class ImageStatus:
    image: str
    services: list[str]
    status: str  # current, outdated, unversioned (a tag that is not a version), error
    newer: list[str] = field(default_factory=list)
    message: str = ""


def statuses_text(results: Sequence[ImageStatus]) -> str:
    """`gen images outdated` as text: a line per image, its status and its newest release (or
    what went wrong); registry text is made safe for the terminal."""
    from generator.escape import terminal_text

    def line(r: ImageStatus) -> str:
        detail = f"{r.newer[-1]} (newer: {', '.join(r.newer)})" if r.newer else r.message
        return terminal_text(f"{r.status:<11} {r.image}" + (f": {detail}" if detail else "")) + "\n"

    return "".join(line(r) for r in results)


def image_uses(catalog: Catalog) -> list[ImageUse]:
    """Every service's image in every variant it runs in, in the catalog's order."""
    return [
        ImageUse(service.id, variant, parse_reference(service.image_for(variant)))
        for service in sorted(catalog.services.values(), key=lambda s: s.id)
        for variant in ACCELERATORS
        if service.in_variant(variant)
    ]


def check_images(
    uses: Iterable[ImageUse],
    plain_http: Iterable[str] = (),
    pre_releases: bool = False,
    credentials: dict[str, tuple[str, str]] | None = None,  # default: docker login's
    tags_of: Callable[[ImageReference, tuple[str, str] | None, bool], list[str]] = list_tags,
) -> list[ImageStatus]:
    """One status per distinct image: each registry is asked once per repository, and a
    registry that fails is reported on that image's line while the others go on."""
    by_image: dict[str, tuple[ImageReference, list[str]]] = {}
    for use in uses:
        by_image.setdefault(use.image.text, (use.image, []))[1].append(use.service)
    if credentials is None:
        credentials = docker_credentials()
    insecure = set(plain_http)
    tags_cache: dict[tuple[str, str], list[str] | RegistryError] = {}
    results = []
    for text, (image, services) in by_image.items():
        users = sorted(set(services))
        if image.tag is None or VERSION.match(image.tag) is None:
            reason = f"{image.tag!r} is not a version" if image.tag else "no tag"
            results.append(ImageStatus(text, users, "unversioned", message=f"{reason}: pin a release"))
            continue
        key = (image.registry, image.repository)
        if key not in tags_cache:
            try:
                tags_cache[key] = tags_of(image, credentials.get(image.registry), image.registry in insecure)
            except RegistryError as error:
                tags_cache[key] = error
        tags = tags_cache[key]
        if isinstance(tags, RegistryError):
            results.append(ImageStatus(text, users, "error", message=str(tags)))
            continue
        newer = newer_tags(image.tag, tags, pre_releases)
        results.append(ImageStatus(text, users, "outdated" if newer else "current", newer))
    return results
