"""`gen doctor` and `gen drift` against the real Docker Engine, with stand-in images."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen
from tests.docker_env import compose, compose_binary, docker_host, engine, prepared_host

pytestmark = [pytest.mark.docker]
CATALOG = load_catalog(DEFAULT_CATALOG)
AI = str(ROOT / "dist" / "stacks" / "ai" / "cpu" / "compose.yaml")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    client = engine()
    root = tmp_path_factory.mktemp("hosts")
    env_files = prepared_host(client, CATALOG, root)
    yield {"client": client, "env": env_files}
    compose("-f", AI, "down", "--timeout", "5", env_file=env_files["ai"], check=False)


@pytest.fixture(autouse=True)
def engine_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_host())
    monkeypatch.setenv("PATH", f"{Path(compose_binary()).parent}{os.pathsep}{os.environ['PATH']}")


def _doctor(*args: str) -> tuple[int, dict[str, dict[str, str]]]:
    result = run_gen("doctor", "--format", "json", *args)
    return result.exit_code, {check["name"]: check for check in json.loads(result.stdout)}


def _drift(env_file: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_gen("drift", "--stack", "ai", "--env-file", str(env_file), "--format", "json")
    return result.exit_code, {finding["service"]: finding for finding in json.loads(result.stdout)}


def test_doctor_passes_on_a_clean_engine(host: dict[str, Any]) -> None:
    code, checks = _doctor("--stack", "ai", "--env-file", str(host["env"]["ai"]))  # limits fit this host
    assert code == 0, checks
    assert checks["cpu limits"]["status"] == "ok"
    assert checks["engine"]["status"] == "ok"
    assert checks["compose"]["status"] == "ok"
    driver = host["client"].info()["Driver"]  # the suite's engines run vfs: a warning, not a failure
    assert checks["storage driver"]["status"] == ("warn" if driver == "vfs" else "ok")
    assert driver in checks["storage driver"]["message"]
    assert checks["network ai-net"] == {
        "name": "network ai-net",
        "status": "ok",
        "message": "172.20.0.0/24 is free",
        "hint": "",
    }
    assert checks["port 11434/tcp"]["status"] == "ok"
    assert checks["image ollama/ollama:0.32.15"]["status"] == "ok"


def test_doctor_names_each_device_and_path_this_host_lacks(host: dict[str, Any]) -> None:
    """cAdvisor's /dev/disk (udev), /dev/zfs (the ZFS module) and /dev/kmsg: where this host lacks
    one, the doctor fails it with the env line that lets the stack run without it and what is
    lost; with the test's env file (which sets exactly those lines) every path passes, and the
    monitoring stack then comes up (test_monitoring_engine.py)."""
    code, checks = _doctor("--stack", "monitoring")
    for path, variable in (("/dev/disk", "DEV_DISK"), ("/dev/zfs", "DEV_ZFS"), ("/dev/kmsg", "DEV_KMSG")):
        check = checks[f"{'host path' if path == '/dev/disk' else 'device'} {path}"]
        if Path(path).exists():
            assert check["status"] == "ok", check
        else:
            assert code == 1 and check["status"] == "fail", check
            assert check["hint"].startswith(
                f"set {variable}=/dev/null in the stack's env file: cadvisor then"
            )
    code, checks = _doctor("--stack", "monitoring", "--env-file", str(host["env"]["monitoring"]))
    paths = {name: c for name, c in checks.items() if name.startswith(("host path ", "device "))}
    assert {c["status"] for c in paths.values()} == {"ok"}, paths
    assert len(paths) == 7  # /, /dev/disk, /dev/kmsg, /dev/zfs, /sys, /var/lib/docker, /var/run


def test_doctor_refuses_a_memory_limit_above_the_hosts_memory(host: dict[str, Any], tmp_path: Path) -> None:
    """The engine's MemTotal against the env file's OLLAMA_MEMORY (a limit Docker would accept)."""
    total = host["client"].info()["MemTotal"]
    env_file = tmp_path / "ai.env"
    env_file.write_text(host["env"]["ai"].read_text() + f"OLLAMA_MEMORY={total // 2**20 + 1024}m\n")
    code, checks = _doctor("--stack", "ai", "--env-file", str(env_file))
    assert code == 1
    ollama = checks["memory limit ollama"]
    assert ollama["status"] == "fail" and "the limit protects nothing" in ollama["message"]
    assert ollama["hint"] == f"set OLLAMA_MEMORY={total * 3 // 4 // 2**20}m (or less) in the stack's env file"
    code, checks = _doctor("--stack", "ai", "--env-file", str(host["env"]["ai"]))  # the test's own file fits
    assert checks["memory limits"]["status"] in ("ok", "warn") and "memory limit ollama" not in checks


def test_doctor_refuses_a_cpu_limit_above_the_hosts_cores(host: dict[str, Any], tmp_path: Path) -> None:
    cores = host["client"].info()["NCPU"]
    env_file = tmp_path / "ai.env"
    env_file.write_text(host["env"]["ai"].read_text() + f"OLLAMA_CPUS={cores + 1}\n")
    code, checks = _doctor("--stack", "ai", "--env-file", str(env_file))
    assert code == 1
    assert checks["cpu limit ollama"] == {
        "name": "cpu limit ollama",
        "status": "fail",
        "message": f"{cores + 1} CPUs, the host has {cores}: Docker refuses the container",
        "hint": f"set OLLAMA_CPUS={cores} in the stack's env file (and pass it with --env-file)",
    }


def test_doctor_reports_a_foreign_network_a_held_port_and_a_missing_image(host: dict[str, Any]) -> None:
    client: docker.DockerClient = host["client"]
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="172.20.0.0/16")])
    foreign = client.networks.create("foreign-net", driver="bridge", ipam=ipam)
    squatter = client.containers.run(
        "ollama/ollama:0.32.15", detach=True, ports={"8080/tcp": 11434}, name="squatter"
    )
    ide = CATALOG.services["continue-dev"].image
    client.images.get(ide).tag("gen-test/backup", "code-server")
    client.images.remove(ide)
    try:
        code, checks = _doctor("--stack", "ai")
        assert code == 1
        assert checks["network ai-net"]["status"] == "fail"
        assert (
            checks["network ai-net"]["message"]
            == "172.20.0.0/24 is already used by the foreign network foreign-net"
        )
        assert checks["port 11434/tcp"]["status"] == "fail"
        assert checks["port 11434/tcp"]["message"] == "published by container squatter (needed by ollama)"
        assert checks[f"image {ide}"]["status"] == "fail"
        assert checks[f"image {ide}"]["hint"] == f"docker pull {ide}"
        assert checks["network ai-egress"]["status"] == "ok"  # the other networks are not affected
    finally:
        squatter.remove(force=True)
        foreign.remove()
        client.images.get("gen-test/backup:code-server").tag(ide)
        client.images.remove("gen-test/backup:code-server")


def test_an_ai_net_that_is_not_internal_fails_unless_compose_recreates_it(host: dict[str, Any]) -> None:
    """The AI network must stay internal (no way out for the AI services). Compose (2.31 and
    later) recreates a network it made for the stack when its configuration changed; one made
    by hand, the Compose here (2.x) refuses (5.4 and later use it as it is). Shown with the real
    Compose, `up --no-start`."""
    client: docker.DockerClient = host["client"]
    ai = CATALOG.networks["ai"]
    assert ai.internal
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(ai.subnet))])

    made_by_hand = client.networks.create(ai.name, driver="bridge", ipam=ipam, internal=False)
    try:
        code, checks = _doctor("--stack", "ai")
        assert code == 1
        assert checks[f"network {ai.name}"] == {
            "name": f"network {ai.name}",
            "status": "fail",
            "message": "exists with internal false, the catalog says true, and Compose did not make it for "
            "this stack: Compose 2.x refuses it, 5.4 and later use it as it is",
            "hint": f"docker network rm {ai.name} once no container uses it",
        }
        refused = compose("-f", AI, "up", "--no-start", env_file=host["env"]["ai"], check=False)
        assert refused.returncode != 0 and "incorrect label" in refused.stderr, refused
    finally:
        compose("-f", AI, "down", "--timeout", "5", env_file=host["env"]["ai"], check=False)
        made_by_hand.remove()

    # made by Compose for the stack from an earlier catalog (another configuration hash)
    labels = {"com.docker.compose.project": "ai", "com.docker.compose.network": "ai",
              "com.docker.compose.config-hash": "an-earlier-configuration"}  # fmt: skip
    half = docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet=str(next(ai.subnet.subnets())))]
    )
    client.networks.create(ai.name, driver="bridge", ipam=half, internal=False, labels=labels)
    try:
        code, checks = _doctor("--stack", "ai")
        assert checks[f"network {ai.name}"]["status"] == "ok", checks[f"network {ai.name}"]
        assert checks[f"network {ai.name}"]["message"].startswith(
            f"exists with subnet {next(ai.subnet.subnets())}, the catalog says {ai.subnet}, internal false, "
            "the catalog says true: Compose recreates it"
        )
        compose("-f", AI, "up", "--no-start", env_file=host["env"]["ai"])
        recreated = client.networks.get(ai.name).attrs  # as the catalog says
        assert recreated["Internal"] is True
        assert recreated["IPAM"]["Config"][0]["Subnet"] == str(ai.subnet)
    finally:
        compose("-f", AI, "down", "--timeout", "5", env_file=host["env"]["ai"], check=False)
    assert not client.networks.list(names=[ai.name])


def _recreate(client: docker.DockerClient, service: str, **changes: Any) -> None:
    """Replace a running container by one made by hand, like an operator would with docker run."""
    old = client.containers.list(filters={"label": f"ai-stack.service={service}"})[0]
    attrs = old.attrs
    network_name, settings = next(iter(attrs["NetworkSettings"]["Networks"].items()))
    binds = [
        f"{m['Source']}:{m['Destination']}:{'rw' if m['RW'] else 'ro'}"
        for m in attrs["Mounts"]
        if m["Type"] == "bind"
    ]
    env = list(attrs["Config"]["Env"]) + changes.pop("extra_env", [])
    ip = changes.pop("ip", settings["IPAddress"])
    old.remove(force=True)
    container = client.containers.create(
        attrs["Config"]["Image"],
        labels=attrs["Config"]["Labels"],
        environment=env,
        mem_limit=changes.pop("mem_limit", attrs["HostConfig"]["Memory"]),
        nano_cpus=attrs["HostConfig"]["NanoCpus"],
        restart_policy=attrs["HostConfig"]["RestartPolicy"],
        volumes=binds,
        healthcheck=attrs["Config"].get("Healthcheck"),
        network=network_name,
        user=attrs["Config"].get("User") or None,
    )
    client.api.disconnect_container_from_network(container.id, network_name)
    client.api.connect_container_to_network(container.id, network_name, ipv4_address=ip)
    container.start()


def test_drift_in_sync_then_each_difference(host: dict[str, Any]) -> None:
    client: docker.DockerClient = host["client"]
    env_file = host["env"]["ai"]
    compose("-f", AI, "up", "-d", "--wait", "--wait-timeout", "120", env_file=env_file)
    code, findings = _drift(env_file)
    assert code == 0, findings
    assert {f["status"] for f in findings.values()} == {"in-sync"}

    _recreate(client, "open-webui", mem_limit="2g")
    _recreate(client, "continue-dev", ip="172.20.0.42", extra_env=["DEBUG_TOKEN=s3cr3t-value"])
    client.containers.list(filters={"label": "ai-stack.service=ollama"})[0].stop(timeout=5)
    result = run_gen("drift", "--stack", "ai", "--env-file", str(env_file))
    code, findings = _drift(env_file)
    assert code == 1
    assert findings["ollama"]["status"] == "missing"
    webui = findings["open-webui"]
    assert webui["status"] == "drifted"
    assert "memory limit is 2147483648 bytes, the catalog says 4g" in webui["differences"]
    coder = findings["continue-dev"]["differences"]
    assert "address on ai-net is 172.20.0.42, the catalog says 172.20.0.12" in coder
    assert "extra variable DEBUG_TOKEN (not in the catalog)" in coder
    assert "s3cr3t" not in result.stdout  # names only, never values
