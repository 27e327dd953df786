"""`gen up`'s choices that need no engine: the order of the stacks and the variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.plan import plan as make_plan
from generator.plan import stack_order
from generator.up import UpOptions, UpOutcome, _datasets, chosen_variant, pool_options
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
    changes nothing (it does not even reach the engine)."""
    out = tmp_path / "dist"
    assert run_gen("build", "--out", str(out)).exit_code == 0
    env = {"DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}"}
    result = run_gen(
        "up", "--out", str(out), "--secrets-dir", str(out / "secrets"), "--plain-folders", env=env
    )
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    where = f"{out} (the output of `gen build`)"
    assert failed == [f"failed   secrets: {out / 'secrets'} is inside {where}: keep secrets outside it"]
    assert not (out / "secrets").exists()
