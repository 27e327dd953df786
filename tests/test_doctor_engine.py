"""`gen doctor`'s engine checks: the API version's start_interval and the storage driver; an engine
that cannot be reached."""

from __future__ import annotations

from typing import Any

import pytest

from generator.errors import GenError
from generator.hosts.doctor import _engine
from generator.hosts.engine import connect


class Engine:
    """Answers as the Engine API's /version and /info do (only the keys the checks read)."""

    def __init__(self, api: str, driver: str | None) -> None:
        self.api, self.driver = api, driver

    def version(self) -> dict[str, Any]:
        return {"Version": "26.1.5", "ApiVersion": self.api}

    def info(self) -> dict[str, Any]:
        return {} if self.driver is None else {"Driver": self.driver}


@pytest.mark.parametrize(
    ("driver", "expected"),
    [("overlay2", ("ok", "overlay2")), ("vfs", ("warn", "vfs copies")), ("zfs", ("ok", "zfs")), (None, None)],
)
def test_the_storage_driver_is_reported_and_vfs_warns(
    driver: str | None, expected: tuple[str, str] | None
) -> None:
    checks = {c.name: c for c in _engine(Engine("1.45", driver))}
    if expected is None:  # an engine that does not say: nothing claimed
        assert "storage driver" not in checks
        return
    check = checks["storage driver"]
    assert check.status == expected[0] and check.message.startswith(expected[1])
    assert bool(check.hint) == (driver == "vfs")


@pytest.mark.parametrize(("api", "faster"), [("1.43", False), ("1.44", True), ("1.45", True)])
def test_start_interval_is_used_from_api_1_44(api: str, faster: bool) -> None:
    message = {c.name: c for c in _engine(Engine(api, "overlay2"))}["start interval"].message
    assert ("gen up adds" in message) == faster


@pytest.mark.parametrize(
    ("docker_host", "reason"),
    [
        ("unix:///nonexistent/docker.sock", "no socket there"),
        ("tcp://127.0.0.1:1", "connection refused"),  # port 1: nothing listens
    ],
)
def test_an_unreachable_engine_is_one_line_with_what_to_do(
    docker_host: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docker SDK's own errors (no engine needed), as a person reads them."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    with pytest.raises(GenError) as raised:
        connect()
    message = str(raised.value)
    assert message.startswith(f"cannot reach the Docker Engine at {docker_host}: {reason}")
    assert "\n" not in message and "Error" not in message
