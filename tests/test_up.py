"""`gen up`'s choices that need no engine: the order of the stacks, the variant, the datasets and
what Compose is asked to wait for."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.catalog.model import Port
from generator.errors import GenError
from generator.hosts.engine import remote_host
from generator.plan import plan as make_plan
from generator.plan import stack_order
from generator.up import (
    UpOptions,
    UpOutcome,
    _addresses,
    _datasets,
    _reachable_ollama,
    _stack_up,
    chosen_variant,
    pool_options,
)
from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, run_gen


def test_the_stack_with_the_proxy_starts_after_what_it_proxies() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    order = [s.id for s in stack_order(catalog, list(catalog.stacks.values()))]
    assert order[-1] == "edge" and any(catalog.services[i].proxy for i in catalog.stacks["edge"].services)
    assert order[:-1] == sorted(order[:-1])


def test_the_variant_is_the_gpu_scripts_verdict_unless_one_is_asked_for(tmp_path: Path) -> None:
    state = tmp_path / "gpu-variant"
    assert (
        chosen_variant("auto", state)[0] == "cpu" and "gpu-bootstrap.sh" in chosen_variant("auto", state)[1]
    )
    state.write_text("VARIANT=nvidia\nREASON=driver 570, toolkit ready\n")
    assert chosen_variant("auto", state) == ("nvidia", f"the GPU script's verdict ({state})")
    assert chosen_variant("cpu", state)[0] == "cpu"
    state.write_text("garbage\n")
    assert chosen_variant("auto", state)[0] == "cpu"


def test_the_zfs_script_gets_the_env_files_pool_mapping() -> None:
    """ZFS_POOLS in a stack's env file (service-pool=tank ...) reaches the ZFS script as --pool
    options; tests/integration/test_zfs_script.py proves the script with one real pool."""
    settings = {"ZFS_POOLS": "service-pool=tank media-pool=tank  staging-pool=scratch"}
    assert pool_options(settings) == [
        "--pool", "media-pool=tank", "--pool", "service-pool=tank", "--pool", "staging-pool=scratch",
    ]  # fmt: skip
    assert pool_options({}) == []


@pytest.mark.root
def test_plain_folders_are_made_once_with_their_owner(tmp_path: Path) -> None:
    """--plain-folders on a host without ZFS: each dataset a folder with the dataset's owner and
    mode, below ZFS_ALTROOT; a second run finds them right."""
    plan = make_plan(load_catalog(DEFAULT_CATALOG))
    stacks = list(plan.catalog.stacks.values())
    options = UpOptions(tmp_path / "dist", tmp_path / "secrets", "cpu", plain_folders=True, dry_run=False)
    settings = {"ZFS_ALTROOT": str(tmp_path / "root")}

    def refused(command: list[str]) -> object:
        raise AssertionError(f"no command runs for plain folders: {command}")

    outcomes = [UpOutcome(), UpOutcome()]
    for outcome in outcomes:
        assert _datasets(plan, stacks, lambda _: "cpu", options, settings, refused, outcome)  # type: ignore[arg-type]
    assert [(s.status, s.message) for s in outcomes[1].steps] == [("ok", "every dataset folder is there")]
    assert outcomes[0].steps[0].status == "changed"
    mounted = {
        v.source for s in plan.catalog.services.values() for v in s.volumes if v.source_kind == "dataset"
    }
    made = [
        f"{tmp_path / 'root' / plan.catalog.datasets[d].mountpoint.lstrip('/')} (made)"
        for d in sorted(mounted)
    ]
    assert sorted(outcomes[0].steps[0].details) == sorted(made)
    for dataset in (plan.catalog.datasets[d] for d in mounted):
        folder = tmp_path / "root" / dataset.mountpoint.lstrip("/")
        assert (folder.stat().st_uid, folder.stat().st_gid) == (dataset.owner.uid, dataset.owner.gid)


def test_a_refused_secrets_folder_stops_gen_up_before_anything(tmp_path: Path) -> None:
    """Secrets inside the build output would be published: gen up says so in one line and
    changes nothing, not even the output it would build (it does not reach the engine)."""
    out = tmp_path / "dist"
    env = {"DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}"}
    result = run_gen(
        "up", "--out", str(out), "--secrets-dir", str(out / "secrets"), "--plain-folders", env=env
    )
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    where = f"{out} (the output of `gen build`)"
    assert failed == [f"failed   secrets: {out / 'secrets'} is inside {where}: keep secrets outside it"]
    assert not out.exists()


@pytest.mark.parametrize("stack_id", ["ai", "edge"])
def test_the_model_puller_is_started_but_not_waited_for(stack_id: str, tmp_path: Path) -> None:
    """The puller is healthy only when gigabytes are downloaded: `up --wait` (with its time limit)
    names every other service, and the puller is started after it without a wait; the models step
    then shows Ollama's progress. tests/integration/test_up.py runs this with the real Compose."""
    plan = make_plan(load_catalog(DEFAULT_CATALOG))
    deployment = plan.variant(plan.catalog.stacks[stack_id], "cpu")
    commands: list[list[str]] = []

    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        commands.append(list(command))
        return subprocess.CompletedProcess(list(command), 0, "", "")

    options = UpOptions(tmp_path / "dist", tmp_path / "secrets", "cpu", plain_folders=False, dry_run=False)
    assert _stack_up(deployment, tmp_path / "ai.env", options, False, print, run, UpOutcome())
    ups = [c[c.index("up") :] for c in commands if "up" in c]
    everyone = [s.id for s in deployment.services]
    if stack_id == "edge":  # no puller: the whole stack, waited for
        assert ups == [["up", "-d", "--wait", "--wait-timeout", "600"]]
        return
    assert deployment.model_pullers == ("ollama-models",)
    awaited = [s for s in everyone if s != "ollama-models"]
    assert ups == [["up", "-d", "--wait", "--wait-timeout", "600", *awaited], ["up", "-d", "ollama-models"]]


@pytest.mark.parametrize(
    ("docker_host", "host"),
    [("ssh://admin@nas.home.arpa", "nas.home.arpa"), ("tcp://192.168.1.20:2376", "192.168.1.20")],
)
def test_on_a_remote_engine_nothing_of_that_host_is_made_or_asked_from_here(
    docker_host: str, host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ZFS script, plain folders and Ollama's port bound to 127.0.0.1 are that host's: gen up
    says what to do there instead of making folders or pulling models on this machine."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    assert remote_host() == host
    plan = make_plan(load_catalog(DEFAULT_CATALOG))
    stacks = list(plan.catalog.stacks.values())
    for plain_folders in (False, True):
        options = UpOptions(tmp_path / "dist", tmp_path / "secrets", "cpu", plain_folders, dry_run=False)
        outcome = UpOutcome()

        def refused(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
            raise AssertionError(f"nothing runs here for a remote host: {command}")

        settings = {"ZFS_ALTROOT": str(tmp_path / "root")}
        assert _datasets(plan, stacks, lambda _: "cpu", options, settings, refused, outcome)
        (step,) = outcome.steps
        assert step.status == "skipped" and f"the engine is on {host}: run " in step.message
        assert not (tmp_path / "root").exists()
    ai = plan.catalog.stacks["ai"]
    assert _reachable_ollama(plan.catalog, ai) is None  # published on 127.0.0.1: that host's own
    addresses, _ = _addresses(plan.catalog, [ai])
    assert any(a.endswith(f"http://127.0.0.1:11434/ (on {host} only)") for a in addresses), addresses
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert remote_host() is None and _reachable_ollama(plan.catalog, ai) == "http://127.0.0.1:11434"


@pytest.mark.parametrize(
    ("docker_host", "remote"),
    [
        ("", None),
        ("unix:///var/run/docker.sock", None),
        ("npipe:////./pipe/docker_engine", None),
        ("fd://", None),
        ("tcp://127.0.0.1:2375", None),  # this machine, over TCP
        ("tcp://localhost:2375", None),
        ("tcp://[::1]:2375", None),
        ("ssh://admin@nas:22", "nas"),
        ("tcp://[fd00::5]:2376", "fd00::5"),
    ],
)
def test_which_engines_are_remote(
    docker_host: str, remote: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # no Docker context chosen
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    assert remote_host() == remote


@pytest.mark.docker
def test_the_docker_context_names_the_engine_where_docker_host_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`docker context use nas` sends Compose (and the docker SDK) to that engine: gen up's idea
    of where the engine runs follows it. The contexts are made by the real docker CLI."""
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        missing("the docker CLI (Debian package docker.io) is not installed")
    config = ["--config", str(tmp_path)]
    for command in (
        ["context", "create", "nas", "--docker", "host=tcp://nas.home.arpa:2376"],
        ["context", "create", "here", "--docker", "host=unix:///run/docker.sock"],
        ["context", "use", "nas"],
    ):
        subprocess.run([docker_cli, *config, *command], check=True, capture_output=True)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    assert remote_host() == "nas.home.arpa"
    monkeypatch.setenv("DOCKER_CONTEXT", "here")  # the variable before `docker context use`
    assert remote_host() is None
    monkeypatch.setenv("DOCKER_CONTEXT", "nosuch")
    with pytest.raises(GenError, match=r"the Docker context 'nosuch' \(DOCKER_CONTEXT\) does not exist"):
        remote_host()
    monkeypatch.setenv("DOCKER_HOST", "ssh://admin@other")  # DOCKER_HOST before any context
    assert remote_host() == "other"


def test_a_remote_engines_addresses_are_written_as_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """An IPv6 host in brackets; a port bound to a LAN address is reachable from here, one bound
    to the remote host's loopback is not."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://[fd00::5]:2376")
    catalog = load_catalog(DEFAULT_CATALOG)
    every = Port("api", 11434, 11434, None, "tcp", None)
    lan = Port("api", 11434, 11434, "192.168.1.20", "tcp", None)
    ollama = next(s for s in catalog.services.values() if s.model_api == "ollama")
    for port, expected in [(every, "http://[fd00::5]:11434"), (lan, "http://192.168.1.20:11434")]:
        changed = replace(ollama, ports=(port,))
        services = {**catalog.services, ollama.id: changed}
        assert _reachable_ollama(replace(catalog, services=services), catalog.stacks["ai"]) == expected
