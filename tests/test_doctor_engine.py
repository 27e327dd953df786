"""`gen doctor`'s engine checks: the API version's start_interval and the storage driver."""

from __future__ import annotations

from typing import Any

import pytest

from generator.hosts.doctor import _engine


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
