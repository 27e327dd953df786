"""The real components tests need, and what a test does when one is missing.

A test that needs a component carries that component's marker (`@pytest.mark.promtool`, or a
module's `pytestmark`); conftest adds `integration` to every such test, so `make check`
(`-m "not integration"`) runs only what needs nothing but Python. When a component is missing,
a marked test skips (fails under CI=true, where scripts/prepare-test-env provides it), and an
unmarked one fails on any machine, saying which marker it lacks.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

COMPONENTS = {
    "docker": "a Docker Engine of the tests' own (scripts/start-dockerd and the other start-* scripts)",
    "zfs": "ZFS (Debian's zfs-fuse, scripts/start-zfs-fuse)",
    "promtool": "promtool (Debian package prometheus)",
    "alertmanager": "Alertmanager and amtool (Debian package prometheus-alertmanager)",
    "open_webui": "the real Open WebUI the catalog pins (scripts/install-open-webui)",
    "caddy": "caddy (Debian package caddy)",
    "shellcheck": "shellcheck (Debian package shellcheck)",
    "node": "Node.js with the npm packages the tests install (Continue's parser, code-server, Renovate)",
    "browser": "Chromium (Debian package chromium) and Playwright",
    "registry": "an OCI registry (Debian package docker-registry)",
    "root": "root, to mount file systems",
}

_current: pytest.Item | None = None


def running(item: pytest.Item | None) -> None:
    """conftest tells which test runs now, so that `missing` can read its markers."""
    global _current
    _current = item


def missing(reason: str) -> NoReturn:
    """Skip on a developer machine without the component; fail in CI, where it must be there;
    fail anywhere when the test does not carry the marker of a component."""
    if _current is not None and not any(_current.get_closest_marker(name) for name in COMPONENTS):
        pytest.fail(
            f"{reason}, and {_current.nodeid} carries no component marker: mark it with the one it "
            f"needs ({', '.join(f'pytest.mark.{name}' for name in COMPONENTS)}) so `make check` leaves it out"
        )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: scripts/prepare-test-env should have provided it)")
    pytest.skip(reason)


def program(name: str, package: str) -> str:
    """The path of a program a test runs, or `missing`."""
    found = shutil.which(name)
    if found is None:
        missing(f"{name} (Debian package {package}) is not installed")
    return found
