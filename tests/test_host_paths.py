"""The host paths and device nodes `gen doctor` holds against a host before a deploy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import generator.hosts.host_paths as host_paths_module
from generator.catalog import load_catalog
from generator.hosts.host_paths import HostPath, absent_here, host_paths, path_checks
from tests.conftest import DEFAULT_CATALOG, run_gen

CATALOG = load_catalog(DEFAULT_CATALOG)
MONITORING = CATALOG.stack_services(CATALOG.stacks["monitoring"])


def _optional(path: Path, kind: str = "device") -> HostPath:
    return HostPath(kind, str(path), "DEV_THING", ("cadvisor",), "", "OOM kills are not seen.")


def test_every_path_the_monitoring_stack_binds_is_listed_once_with_its_services() -> None:
    entries = {(e.kind, e.path): e for e in host_paths(MONITORING)}
    assert entries[("host path", "/")].services == ("cadvisor", "node-exporter")
    optional = {path: e.variable for (_, path), e in entries.items() if e.if_missing}
    assert optional == {"/dev/disk": "DEV_DISK", "/dev/kmsg": "DEV_KMSG", "/dev/zfs": "DEV_ZFS"}
    assert not entries[("host path", "/var/lib/docker")].if_missing  # cAdvisor cannot do without it


def test_a_missing_optional_device_fails_with_the_line_that_lets_the_stack_run(tmp_path: Path) -> None:
    entry = _optional(tmp_path / "zfs")
    (check,) = path_checks([entry], {}, local=True)
    assert check.status == "fail" and "Docker refuses to start it" in check.message
    assert (
        check.hint
        == "set DEV_THING=/dev/null in the stack's env file: cadvisor then runs without it: "
        + ("OOM kills are not seen.")
    )
    (left_out,) = path_checks([entry], {"DEV_THING": "/dev/null"}, local=True)
    assert left_out.status == "ok" and "left out on this host (DEV_THING=/dev/null)" in left_out.message
    (tmp_path / "zfs").mkdir()  # Docker takes a folder of device nodes too (/dev/dri)
    (present,) = path_checks([entry], {}, local=True)
    assert present.status == "ok" and present.message == f"{tmp_path / 'zfs'} is there"


def test_a_missing_required_path_fails_with_why_the_service_needs_it(tmp_path: Path) -> None:
    entry = HostPath("host path", str(tmp_path / "sock"), None, ("portainer",), "Manages Docker.", None)
    (check,) = path_checks([entry], {}, local=True)
    assert (check.status, check.hint) == ("fail", "portainer needs it: Manages Docker.")
    moved = tmp_path / "elsewhere.sock"
    moved.touch()
    entry = HostPath("host path", "/nonexistent/docker.sock", "DOCKER_SOCKET", ("portainer",), "", None)
    (check,) = path_checks([entry], {"DOCKER_SOCKET": str(moved)}, local=True)
    assert check.status == "ok" and f"DOCKER_SOCKET={moved}" in check.message  # the env file's path counts


def test_swarm_creates_nothing_and_gets_no_devices(tmp_path: Path) -> None:
    folder = HostPath("host path", str(tmp_path / "cache"), None, ("x",), "Cache.", None, create=True)
    assert next(path_checks([folder], {}, local=True)).status == "warn"  # Compose makes the folder
    (swarm,) = path_checks([folder, _optional(tmp_path / "kmsg")], {}, local=True, swarm=True)
    assert swarm.status == "fail" and "Swarm rejects its tasks" in swarm.message


def test_a_remote_engine_is_not_checked_here(tmp_path: Path) -> None:
    (check,) = path_checks([_optional(tmp_path / "zfs")], {}, local=False)
    assert check.status == "warn" and "remote engine" in check.message


def test_absent_here_names_only_the_optional_paths_this_host_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    lacking = {"/dev/disk", "/dev/zfs", "/var/lib/docker"}
    monkeypatch.setattr(host_paths_module, "_found", lambda path, kind: path not in lacking)
    assert absent_here(MONITORING, {}) == {"DEV_DISK": "/dev/null", "DEV_ZFS": "/dev/null"}
    assert absent_here(MONITORING, {"DEV_ZFS": "/dev/null"}) == {"DEV_DISK": "/dev/null"}
    assert absent_here(MONITORING, {"DEV_ZFS": ""}) == {"DEV_DISK": "/dev/null", "DEV_ZFS": "/dev/null"}


def test_what_docker_would_refuse_is_not_there(tmp_path: Path) -> None:
    """A regular file is no device node; a trailing slash on a file makes Docker's stat fail; an
    empty value in the env file is Compose's default, as ${VAR:-default} reads it."""
    (tmp_path / "file").touch()
    (not_a_device,) = path_checks([_optional(tmp_path / "file")], {}, local=True)
    assert not_a_device.status == "fail" and "is not a device node" in not_a_device.message
    slashed = HostPath("host path", "/x", "DEV_THING", ("cadvisor",), "", "Lost.")
    (check,) = path_checks([slashed], {"DEV_THING": f"{tmp_path / 'file'}/"}, local=True)
    assert check.status == "fail" and "is missing" in check.message
    (default,) = path_checks([_optional(tmp_path / "zfs")], {"DEV_THING": ""}, local=True)
    assert default.status == "fail" and str(tmp_path / "zfs") in default.message
    (remote,) = path_checks([_optional(tmp_path / "zfs")], {"DEV_THING": "/dev/null"}, local=False)
    assert remote.status == "ok" and "left out on this host" in remote.message


def test_the_env_example_says_what_each_optional_path_gives() -> None:
    example = (DEFAULT_CATALOG.parent / "dist" / "stacks" / "monitoring" / "cpu" / ".env.example").read_text()
    assert "On a host without it, set DEV_ZFS=/dev/null:" in example
    assert "DEV_DISK=/dev/disk\n" in example
    compose = (DEFAULT_CATALOG.parent / "dist" / "stacks" / "monitoring" / "cpu" / "compose.yaml").read_text()
    assert "${DEV_ZFS:-/dev/zfs}:/dev/zfs" in compose
    swarm = (DEFAULT_CATALOG.parent / "dist" / "stacks" / "monitoring" / "cpu" / "swarm.yaml").read_text()
    assert "source: ${DEV_DISK:-/dev/disk}" in swarm


def test_a_device_some_hosts_lack_must_say_what_is_lost(catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    cadvisor = catalog / "services" / "cadvisor.yaml"
    text = cadvisor.read_text()
    cadvisor.write_text(
        text.replace("  - path: /dev/kmsg\n    env_override: DEV_KMSG\n", "  - path: /dev/kmsg\n")
    )
    result = run_gen("validate")
    assert result.exit_code == 1
    assert "catalog/services/cadvisor.yaml:" in result.stderr and "devices[0]" in result.stderr
    assert "{path, env_override, if_missing}" in result.stderr


MOUNTS = """\
21 1 0:19 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
22 21 0:20 / /srv rw,relatime - ext4 /dev/sdb1 rw
23 22 0:21 / /srv/tank rw,relatime master:7 - zfs tank rw
24 21 0:22 / /mnt/my\\040disk rw,relatime - ext4 /dev/sdc1 rw
"""


def test_a_slave_bind_needs_a_shared_or_slave_mount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Docker's rule (moby's ensureSharedOrSlave, ensureShared), read from the mount table."""
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(MOUNTS)
    monkeypatch.setattr(host_paths_module, "MOUNTINFO", str(mountinfo))
    refused = host_paths_module.propagation_refused
    assert refused("/", "rslave") is None and refused("/var/lib", "rshared") is None  # under shared /
    assert refused("/srv/data", "rslave") == ("a private mount", "/srv")
    assert refused("/srv/tank/models", "rslave") is None  # a slave mount may give slaves
    assert refused("/srv/tank", "rshared") == ("a slave mount", "/srv/tank")
    assert refused("/mnt/my disk/x", "slave") == ("a private mount", "/mnt/my disk")
    assert refused("/srv/data", "rprivate") is None and refused("/srv/data", None) is None

    entry = HostPath(
        "host path", str(tmp_path), None, ("node-exporter",), "host metrics", None, propagation="rslave"
    )
    mountinfo.write_text(f"30 1 0:30 / {tmp_path} rw - tmpfs tmpfs rw\n")
    (check,) = path_checks([entry], {}, local=True)
    assert check.status == "fail", check
    assert (
        check.message
        == f"{tmp_path} is on a private mount ({tmp_path}): Docker refuses its rslave bind for node-exporter"
    )
    assert check.hint == f"make it shared, as systemd does at boot: mount --make-rshared {tmp_path}"
    mountinfo.write_text(f"30 1 0:30 / {tmp_path} rw shared:4 - tmpfs tmpfs rw\n")
    assert [c.status for c in path_checks([entry], {}, local=True)] == ["ok"]


def test_node_exporter_sees_what_the_host_mounts_later() -> None:
    """Its bind of the host root is rslave in Compose and Swarm, so datasets mounted after it
    started are measured (tests/integration/test_monitoring_engine.py mounts one)."""
    entries = {(e.kind, e.path): e for e in host_paths(MONITORING)}
    assert entries[("host path", "/")].propagation == "rslave"
    for kind in ("compose", "swarm"):
        text = (
            DEFAULT_CATALOG.parent / "dist" / "stacks" / "monitoring" / "cpu" / f"{kind}.yaml"
        ).read_text()
        (root,) = [
            v
            for v in YAML(typ="safe").load(text)["services"]["node-exporter"]["volumes"]
            if v["source"] == "/"
        ]
        assert root["bind"]["propagation"] == "rslave", kind
