"""scripts/install-docker-engine, which gives the Swarm nodes and the overlay2 engine their newer
Docker Engine: without the network (a restart of the test engines offline) it keeps to the
newest engine it installed before, and says so; with nothing installed it fails, saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.components import missing
from tests.conftest import ROOT

pytestmark = [pytest.mark.root]

INSTALLER = ROOT / "scripts" / "install-docker-engine"
INSTALLED = Path(os.environ.get("GEN_DOCKER_ENGINE_ROOT", "/var/cache/ai-stack-gen"))


def _offline(root: Path) -> subprocess.CompletedProcess[str]:
    """The installer in a network namespace of its own: no route to Debian's archive."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        missing("root and unshare, for a network namespace without the network")
    env = {**os.environ, "GEN_DOCKER_ENGINE_ROOT": str(root)}
    return subprocess.run(
        ["unshare", "--net", str(INSTALLER)], capture_output=True, text=True, env=env, timeout=120
    )


def test_offline_the_newest_engine_installed_before_is_kept(tmp_path: Path) -> None:
    engines = sorted(INSTALLED.glob("docker-engine-*/dockerd"))
    if not engines:
        missing(f"no engine in {INSTALLED} (scripts/prepare-test-env installs one)")
    for version in ("25.0.3", "26.1.5", "26.1.10", "27.0.1"):  # sort -V: 26.1.10 after 26.1.5
        folder = tmp_path / f"docker-engine-{version}"
        folder.mkdir()
        (folder / "dockerd").symlink_to(engines[-1])
        if version != "27.0.1":  # the newest was cut off while being copied: no docker-proxy
            (folder / "docker-proxy").symlink_to(engines[-1].with_name("docker-proxy"))
    result = _offline(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"install-docker-engine: trixie's docker.io is not reachable; "
        f"{tmp_path}/docker-engine-26.1.10 is ready (the newest here)"
    )
    assert f"removing {tmp_path}/docker-engine-27.0.1 (not a whole engine)" in result.stderr
    assert not (tmp_path / "docker-engine-27.0.1").exists()  # the start scripts take the newest


def test_offline_with_no_engine_installed_it_fails_saying_why(tmp_path: Path) -> None:
    empty = tmp_path / "nothing-here"
    result = _offline(empty)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "install-docker-engine: trixie's docker.io is not reachable (or not in its list) and no engine "
        f"is in {empty}"
    )
