"""`gen up`'s choices that need no engine: the order of the stacks and the variant."""

from __future__ import annotations

from pathlib import Path

from generator.catalog import load_catalog
from generator.up import chosen_variant, pool_options, stack_order
from tests.conftest import DEFAULT_CATALOG


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
