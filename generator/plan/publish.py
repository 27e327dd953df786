"""Where the built files are published, and whether that address is still the example one."""

from __future__ import annotations

from generator.catalog.model import Catalog, Publish

# The address catalog/publish.yaml ships with: a place to fill in, where nothing is published.
EXAMPLE_SITE_URL = "https://homelab-ai.github.io/ai-stack/"


def templates_url(publish: Publish) -> str:
    """The App Templates URL Portainer is started with (and the operator pastes into it)."""
    return f"{publish.site_url}templates.json"


def example_address_warning(catalog: Catalog) -> str | None:
    """What `gen build` says while publish.yaml still names the example address."""
    if catalog.publish is None or catalog.publish.site_url != EXAMPLE_SITE_URL:
        return None
    return (
        f"warning: publish.yaml: site_url: {EXAMPLE_SITE_URL} is the example address, where nothing "
        f"is published: Portainer's App Templates ({templates_url(catalog.publish)}) stay empty "
        "until site_url (and repository) name where you publish the site (gen site build)"
    )
