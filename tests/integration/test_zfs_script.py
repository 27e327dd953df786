"""The generated ZFS dataset script on a real (userspace) ZFS: zfs-fuse, pool version 23."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.catalog.variables import pool_map
from generator.hosts.doctor import pool_checks
from tests.conftest import DEFAULT_CATALOG, MINIMAL, run_gen
from tests.zfs_env import datasets_of, pools, snapshot, unique_name, zfs_available, zfs_get

pytestmark = [pytest.mark.zfs]
SCRIPT = "scripts/zfs-datasets.sh"


def _catalog_for(source: Path, target: Path, pool_names: dict[str, str]) -> Path:
    """A copy of `source` with its pools renamed (unique per run) and sizes that fit a test pool."""
    shutil.copytree(source, target)
    for old, new in pool_names.items():
        (target / "pools" / f"{old}.yaml").rename(target / "pools" / f"{new}.yaml")
        pool_file = target / "pools" / f"{new}.yaml"
        text = re.sub(r"^capacity: .*$", "capacity: 250M", pool_file.read_text(), flags=re.M)
        pool_file.write_text(text.replace(f"id: {old}\n", f"id: {new}\n"))
        for dataset in (target / "datasets").glob("*.yaml"):
            dataset.write_text(dataset.read_text().replace(f"pool: {old}\n", f"pool: {new}\n"))
    for dataset in (target / "datasets").glob("*.yaml"):  # GB-sized space settings -> MB
        dataset.write_text(
            re.sub(r"^(\w*(?:quota|reservation)): (\d+)[GT]$", r"\1: \2M", dataset.read_text(), flags=re.M)
        )
    return target


def _fuse_friendly(catalog: Path) -> None:
    """Properties zfs-fuse (pool version 23) supports: recordsize <= 128K, gzip, no xattr=sa."""
    for path in (catalog / "storage-classes").glob("*.yaml"):
        text = re.sub(r"recordsize: \d+[KM]", "recordsize: 128K", path.read_text())
        text = re.sub(r"compression: \w+", "compression: gzip", text)
        path.write_text(text.replace("  xattr: sa\n", ""))


def _build(catalog: Path, out: Path) -> Path:
    result = run_gen("build", "--catalog", str(catalog), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return out / SCRIPT


def _run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(script), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def fuse_catalog(tmp_path: Path) -> Iterator[tuple[Path, str, Path]]:
    """The minimal catalog on a fresh pool, with zfs-fuse-friendly properties: (script, pool, altroot)."""
    zfs_available()
    pool = unique_name("gentest")
    catalog = _catalog_for(MINIMAL, tmp_path / "catalog", {"tank": pool})
    _fuse_friendly(catalog)
    script = _build(catalog, tmp_path / "dist")
    with pools(tmp_path, [pool]) as roots:
        yield script, pool, roots[pool]


def test_creates_every_dataset_then_changes_nothing(fuse_catalog: tuple[Path, str, Path]) -> None:
    script, pool, altroot = fuse_catalog
    first = _run(script)
    assert first.returncode == 0, first.stderr
    assert f"created {pool}/models at /srv/models" in first.stdout
    assert "within the target (dataset creation < 5 s)" in first.stdout
    models = zfs_get(f"{pool}/models", "recordsize", "compression", "atime", "refquota", "reservation")
    assert models == {
        "recordsize": "131072",
        "compression": "gzip",
        "atime": "off",
        "refquota": str(100 * 1024**2),
        "reservation": str(50 * 1024**2),
    }
    assert zfs_get(f"{pool}/apps/web", "mountpoint", parsable=False) == {"mountpoint": f"{altroot}/srv/web"}
    web = altroot / "srv" / "web"
    assert (web.stat().st_uid, web.stat().st_gid) == (1000, 1000)
    before = snapshot(pool)
    second = _run(script)
    assert second.returncode == 0, second.stderr
    assert "run:" not in second.stdout
    assert f"unchanged {pool}/models" in second.stdout and f"unchanged {pool}/apps/web" in second.stdout
    assert "0 created, 0 changed, 2 unchanged" in second.stdout
    assert snapshot(pool) == before


def test_check_reports_drift_and_apply_repairs_it(fuse_catalog: tuple[Path, str, Path]) -> None:
    script, pool, altroot = fuse_catalog
    assert _run(script).returncode == 0
    subprocess.run(["zfs", "set", "compression=off", f"{pool}/models"], check=True)
    os.chown(altroot / "srv" / "web", 5, 5)
    check = _run(script, "--check")
    assert check.returncode == 1
    assert f"drift {pool}/models: compression is off, the catalog says gzip" in check.stdout
    assert (
        f"drift {pool}/apps/web: {altroot}/srv/web is owned by 5:5, the catalog says 1000:1000"
        in check.stdout
    )
    assert zfs_get(f"{pool}/models", "compression")["compression"] == "off"  # --check changed nothing
    repair = _run(script)
    assert repair.returncode == 0
    assert f"run: zfs set compression=gzip {pool}/models" in repair.stdout
    assert _run(script, "--check").returncode == 0


def test_dry_run_prints_the_commands_and_changes_nothing(fuse_catalog: tuple[Path, str, Path]) -> None:
    script, pool, _ = fuse_catalog
    before = snapshot(pool)
    dry = _run(script, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        f"would run: zfs create -p -o recordsize=128K -o compression=gzip -o atime=off -o refquota=100M "
        f"-o reservation=50M -o mountpoint=/srv/models {pool}/models"
    ) in dry.stdout
    assert snapshot(pool) == before
    assert datasets_of(pool) == [pool]


def test_the_default_catalog_is_refused_by_the_preflight(tmp_path: Path) -> None:
    """zfs-fuse lacks large_blocks, lz4, zstd and xattr=sa: the script refuses and creates nothing."""
    zfs_available()
    names = {p: unique_name(p.split("-")[0]) for p in ("service-pool", "staging-pool", "media-pool")}
    catalog = _catalog_for(DEFAULT_CATALOG, tmp_path / "catalog", names)
    script = _build(catalog, tmp_path / "dist")
    with pools(tmp_path, list(names.values())):
        before = {name: snapshot(name) for name in names.values()}
        result = _run(script)
        assert result.returncode == 3
        service, media = names["service-pool"], names["media-pool"]
        for message in (
            f"refused: dataset {service}/ai-models: recordsize=1M needs the pool feature 'large_blocks'",
            f"refused: dataset {service}/ai-models: compression=lz4 needs the pool feature 'lz4_compress'",
            f"refused: dataset {service}/ai-models: xattr=sa needs filesystem version 5 or later",
            f"refused: dataset {media}/ai-datasets: recordsize=2M needs the pool feature 'large_blocks'",
            f"refused: dataset {media}/ai-datasets: compression=zstd needs the pool feature 'zstd_compress'",
            "nothing was changed",
        ):
            assert message in result.stderr
        assert {name: snapshot(name) for name in names.values()} == before


def test_a_missing_pool_is_refused(tmp_path: Path) -> None:
    zfs_available()
    pool = unique_name("absent")
    catalog = _catalog_for(MINIMAL, tmp_path / "catalog", {"tank": pool})
    result = _run(_build(catalog, tmp_path / "dist"))
    assert result.returncode == 3
    assert f"refused: pool '{pool}' does not exist (this script never creates pools)" in result.stderr
    assert "nothing was changed" in result.stderr


def test_a_non_empty_mountpoint_is_refused(fuse_catalog: tuple[Path, str, Path]) -> None:
    script, pool, altroot = fuse_catalog
    folder = altroot / "srv" / "models"
    folder.mkdir(parents=True)
    (folder / "old-model.gguf").write_text("weights")
    result = _run(script)
    assert result.returncode == 3
    assert f"refused: dataset {pool}/models: its mountpoint {folder} is a non-empty folder" in result.stderr
    assert datasets_of(pool) == [pool]


def test_one_host_pool_holds_the_three_pools_of_the_catalog(tmp_path: Path) -> None:
    """A homelab with a single pool maps the catalog's service-pool, media-pool and staging-pool
    onto it (--pool, or ZFS_POOLS from the env file) without editing the catalog; two datasets
    that would land on one name are refused before anything changes."""
    zfs_available()
    catalog = _catalog_for(DEFAULT_CATALOG, tmp_path / "catalog", {})
    _fuse_friendly(catalog)
    for dataset in (catalog / "datasets").glob("*.yaml"):  # what one 256 MB test pool holds
        dataset.write_text(re.sub(r"^(\w*reservation): \d+M$", r"\1: 8M", dataset.read_text(), flags=re.M))
    script = _build(catalog, tmp_path / "dist")
    tank = unique_name("gentank")
    mapping = [f"{pool}={tank}" for pool in ("service-pool", "media-pool", "staging-pool")]
    with pools(tmp_path, [tank]):
        refused = _run(script)
        assert refused.returncode == 3 and "refused: pool 'service-pool' does not exist" in refused.stderr
        assert (
            "map the catalog's pool onto one of this host's (--pool CATALOG_POOL=HOST_POOL" in refused.stderr
        )
        options = [arg for pair in mapping for arg in ("--pool", pair)]
        first = _run(script, *options)
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"created {tank}/ai-models at /srv/ai/models" in first.stdout
        assert f"created {tank}/ai-datasets at " in first.stdout  # media-pool's dataset
        assert set(datasets_of(tank)) >= {f"{tank}/ai-models", f"{tank}/ai-datasets", f"{tank}/ai-temp"}
        environment = {**os.environ, "ZFS_POOLS": " ".join(mapping)}
        again = subprocess.run(
            ["sh", str(script), "--check"], capture_output=True, text=True, env=environment
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "summary: 0 dataset(s) drifted" in again.stdout
        # gen doctor reads the same mapping from the env file: one pool, holding all three
        catalog_pools = sorted(load_catalog(catalog).pools)
        (check,) = pool_checks(load_catalog(catalog), pool_map(" ".join(mapping)))
        assert check.name == f"pool {tank} (for {', '.join(catalog_pools)})" and check.status == "ok", check
        unmapped = list(pool_checks(load_catalog(catalog), {}))
        assert [c.status for c in unmapped] == ["warn"] * 3 and "ZFS_POOLS" in unmapped[0].hint
    # staging-pool/ai-models beside service-pool/ai-models: both would be tank/ai-models
    temp = catalog / "datasets" / "ai-temp.yaml"
    temp.write_text(temp.read_text().replace("name: ai-temp", "name: ai-models"))
    clashing = _build(catalog, tmp_path / "clash")
    clash = _run(clashing, *options)
    assert clash.returncode == 3
    assert f"refused: two datasets of the catalog would both be {tank}/ai-models on this host" in clash.stderr
