"""Image references as Docker reads them: `[registry/]repository[:tag][@digest]`."""

from __future__ import annotations

from dataclasses import dataclass

DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class ImageReference:
    text: str  # as the catalog writes it
    registry: str  # host[:port]; docker.io for Docker Hub
    repository: str  # library/<name> for Docker Hub's official images
    tag: str | None
    digest: str | None

    @property
    def api_host(self) -> str:
        """Where the registry's HTTP API answers (Docker Hub's is not docker.io)."""
        return "registry-1.docker.io" if self.registry == DOCKER_HUB else self.registry


def parse_reference(text: str) -> ImageReference:
    """Split an image reference the way Docker does: the first component names a registry when
    it has a '.' or a ':' or is 'localhost'; otherwise the image is on Docker Hub."""
    rest, _, digest = text.partition("@")
    name, tag = rest, None
    if ":" in rest.rsplit("/", 1)[-1]:
        name, tag = rest.rsplit(":", 1)
    first, _, remainder = name.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, name
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return ImageReference(text, registry, repository, tag, digest or None)
