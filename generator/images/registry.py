"""Asking a registry for an image's tags over the OCI distribution API (`/v2/<name>/tags/list`).

Anonymous access first; on a 401 the registry's challenge says how to authenticate: `Bearer`
(Docker Hub, ghcr.io, quay.io: a token from the realm it names, anonymous or with the user's
credentials) or `Basic` (a registry of one's own, with the user's credentials). Credentials come
from the Docker client's configuration (`$DOCKER_CONFIG/config.json`, `~/.docker/config.json`:
the `auth` entries `docker login` writes; credential helpers are not read).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from generator.images.reference import DOCKER_HUB, ImageReference

TIMEOUT_S = 20
MAX_PAGES = 50  # a registry that pages forever is an error, not a hang
CHALLENGE_PARAMETER = re.compile(r'(\w+)="([^"]*)"')
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
NEXT_PAGE = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?")
DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


class RegistryError(Exception):
    """One line saying why the registry could not answer."""


def docker_credentials(config_dir: Path | None = None) -> dict[str, tuple[str, str]]:
    """registry host -> (user, password) from the Docker client's configuration."""
    folder = config_dir or Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        config = json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    found = {}
    auths = config.get("auths") if isinstance(config, dict) else None
    for key, entry in (auths or {}).items():
        encoded = entry.get("auth") if isinstance(entry, dict) else None
        try:
            user, _, password = base64.b64decode(str(encoded)).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            continue
        if user:
            host = DOCKER_HUB if key in DOCKER_HUB_KEYS else urllib.parse.urlparse(f"//{key}").netloc or key
            found[host] = (user, password)
    return found


MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


class Session:
    """Requests to one repository of a registry, authenticated once when it asks."""

    def __init__(
        self, reference: ImageReference, credentials: tuple[str, str] | None = None, plain_http: bool = False
    ) -> None:
        self.reference = reference
        self.credentials = credentials
        self.base = f"{'http' if plain_http else 'https'}://{reference.api_host}/v2/{reference.repository}"
        self.authorization: str | None = None

    def get(self, url: str, accept: str = "application/json") -> tuple[Any, bytes]:
        status, headers, body = _get(url, self.authorization, accept)
        if status == 401 and self.authorization is None:
            challenge = headers.get("WWW-Authenticate", "")
            self.authorization = _authorize(challenge, self.reference, self.credentials)
            status, headers, body = _get(url, self.authorization, accept)
        if status != 200:
            raise RegistryError(_status_message(status, self.credentials))
        return headers, body


def list_tags(
    reference: ImageReference,
    credentials: tuple[str, str] | None = None,
    plain_http: bool = False,
) -> list[str]:
    """Every tag of the image's repository, following the registry's pages."""
    session = Session(reference, credentials, plain_http)
    url: str | None = f"{session.base}/tags/list?n=1000"
    tags: list[str] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return tags
        headers, body = session.get(url)
        try:
            page = json.loads(body)
            tags += [str(tag) for tag in page.get("tags") or []]
        except (ValueError, AttributeError, TypeError):
            raise RegistryError(
                "the registry's answer is not the tag list it should be (malformed JSON)"
            ) from None
        following = NEXT_PAGE.search(headers.get("Link", ""))
        url = urllib.parse.urljoin(url, following.group(1)) if following else None
    raise RegistryError(f"the registry sent more than {MAX_PAGES} pages of tags")


def manifest_digest(
    reference: ImageReference,
    tag: str,
    credentials: tuple[str, str] | None = None,
    plain_http: bool = False,
) -> str:
    """The digest a tag points to: of its multi-platform index when it has one (so a pin by
    digest still gives each host its own platform's image), else of its manifest."""
    session = Session(reference, credentials, plain_http)
    headers, body = session.get(f"{session.base}/manifests/{tag}", MANIFEST_TYPES)
    digest = headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()
    if not DIGEST.match(digest):
        raise RegistryError(f"the registry's digest for {tag} is not a sha256 digest: {digest!r}")
    return str(digest)


def _get(url: str, authorization: str | None, accept: str = "application/json") -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.status, response.headers, response.read(8 * 1024 * 1024)
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryError(f"unreachable: {reason}") from None


def _authorize(challenge: str, reference: ImageReference, credentials: tuple[str, str] | None) -> str:
    """The Authorization header the registry's 401 challenge asks for."""
    scheme = challenge.split(" ", 1)[0].lower()
    basic = "Basic " + base64.b64encode(":".join(credentials).encode()).decode() if credentials else None
    if scheme == "basic":
        if basic is None:
            raise RegistryError(f"the registry needs a login: docker login {reference.registry}")
        return basic
    if scheme != "bearer":
        raise RegistryError(
            f"the registry asks for an authentication this tool does not speak: {challenge!r}"
        )
    parameters = dict(CHALLENGE_PARAMETER.findall(challenge))
    realm = parameters.pop("realm", "")
    if not realm.startswith(("https://", "http://")):
        raise RegistryError(f"the registry's token challenge has no usable realm: {challenge!r}")
    parameters.setdefault("scope", f"repository:{reference.repository}:pull")
    url = f"{realm}?{urllib.parse.urlencode(parameters)}"
    status, _, body = _get(url, basic)
    if status != 200:
        raise RegistryError(
            f"the token service answered {status}" + (" (are the credentials right?)" if basic else "")
        )
    try:
        answer = json.loads(body)
        token = answer.get("token") or answer.get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise RegistryError("the token service's answer holds no token (malformed JSON)")
    return f"Bearer {token}"


def _status_message(status: int, credentials: tuple[str, str] | None) -> str:
    if status == 401:
        return "refused (401): " + (
            "the credentials were not accepted" if credentials else "it needs a login"
        )
    if status == 404:
        return "not found (404): no such repository on this registry"
    if status == 429:
        return "rate limited (429): try again later, or log in (docker login) for a higher limit"
    return f"the registry answered {status}"
