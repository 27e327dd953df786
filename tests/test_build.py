"""`gen build`: deterministic output, --check/--diff/--dry-run, and atomic replacement."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import writer
from generator.artifact import MARKER, Artifact, with_marker
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen


def _snapshot(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    catalog = str(DEFAULT_CATALOG)
    assert run_gen("build", "--catalog", catalog, "--out", str(tmp_path / "a")).exit_code == 0
    assert run_gen("build", "--catalog", catalog, "--out", str(tmp_path / "b")).exit_code == 0
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")


def test_files_get_their_modes_whatever_the_umask(tmp_path: Path) -> None:
    artifacts = with_marker(
        [Artifact("scripts/run.sh", b"#!/bin/sh\n", 0o755), Artifact("a/b/c.yaml", b"x: 1\n")]
    )
    previous = os.umask(0o077)
    try:
        writer.write_output(tmp_path / "out", artifacts)
    finally:
        os.umask(previous)
    modes = {a.path: (tmp_path / "out" / a.path).stat().st_mode & 0o777 for a in artifacts}
    assert modes == {MARKER: 0o644, "a/b/c.yaml": 0o644, "scripts/run.sh": 0o755}
    assert _snapshot(tmp_path / "out") == {a.path: a.content for a in artifacts}


def test_a_rebuild_links_unchanged_files_and_writes_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer.write_output(out, with_marker([Artifact("a/same.txt", b"same\n"), Artifact("b.txt", b"1\n")]))
    before = {name: (out / name).stat().st_ino for name in ("a/same.txt", "b.txt")}
    (tmp_path / "elsewhere.txt").write_bytes(b"linked\n")
    (out / "c.txt").symlink_to(tmp_path / "elsewhere.txt")  # same bytes as the new c.txt
    new = [Artifact("a/same.txt", b"same\n"), Artifact("b.txt", b"2\n"), Artifact("c.txt", b"linked\n")]
    changes = writer.write_output(out, with_marker(new))
    assert {c.path: c.status for c in changes}["b.txt"] == "changed"
    assert (out / "a/same.txt").stat().st_ino == before["a/same.txt"]  # linked, not rewritten
    assert (out / "b.txt").stat().st_ino != before["b.txt"] and (out / "b.txt").read_bytes() == b"2\n"
    assert not (out / "c.txt").is_symlink() and (out / "c.txt").read_bytes() == b"linked\n"
    assert (out / "a/same.txt").stat().st_nlink == 1  # the previous output is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere.txt", "out"]


def test_build_then_check_passes_and_stale_output_fails(catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy()
    first = run_gen("build")
    assert first.exit_code == 0, first.stderr
    assert "created" in first.stdout
    check = run_gen("build", "--check")
    assert check.exit_code == 0
    assert "up to date" in check.stdout
    again = run_gen("build")
    assert "nothing changed" in again.stdout

    stack = catalog / "stacks" / "ai.yaml"
    stack.write_text(stack.read_text().replace("The AI stack.", "The renamed AI stack."))
    stale = run_gen("build", "--check")
    assert stale.exit_code == 1
    assert stale.stdout.splitlines() == [
        "changed   dist/catalog.json",
        "changed   dist/templates-v2.json",
        "changed   dist/templates.json",
    ]
    assert "dist/ is stale: 3 file(s) differ" in stale.stderr


def test_check_reports_missing_and_extra_files(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    assert run_gen("build").exit_code == 0
    Path("dist/catalog.json").unlink()
    Path("dist/stray.txt").write_text("left behind\n")
    stale = run_gen("build", "--check")
    assert stale.exit_code == 1
    assert "created   dist/catalog.json" in stale.stdout
    assert "removed   dist/stray.txt" in stale.stdout
    assert run_gen("build").exit_code == 0
    assert not Path("dist/stray.txt").exists()


def test_dry_run_and_diff_write_nothing(catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy()
    dry = run_gen("build", "--dry-run")
    assert dry.exit_code == 0
    assert "created   dist/catalog.json" in dry.stdout
    assert not Path("dist").exists()
    assert run_gen("build").exit_code == 0
    before = _snapshot(Path("dist"))
    stack = catalog / "stacks" / "ai.yaml"
    stack.write_text(stack.read_text().replace("The AI stack.", "Renamed."))
    diff = run_gen("build", "--diff")
    assert diff.exit_code == 0
    assert '-      "description": "The AI stack.",' in diff.stdout
    assert '+      "description": "Renamed.",' in diff.stdout
    assert _snapshot(Path("dist")) == before


def test_build_refuses_a_folder_it_did_not_make(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    precious = Path("photos")
    precious.mkdir()
    (precious / "holiday.jpg").write_bytes(b"\xff\xd8")
    result = run_gen("build", "--out", "photos")
    assert result.exit_code == 1
    assert "was not made by `gen build`" in result.stderr
    assert (precious / "holiday.jpg").read_bytes() == b"\xff\xd8"


def test_catalog_index_holds_the_model(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    assert run_gen("build").exit_code == 0
    index = json.loads(Path("dist/catalog.json").read_text())
    assert index["services"]["llm"]["accelerators"] == ["cpu", "nvidia"]
    assert index["services"]["llm"]["networks"][0]["ipv4_address"] == "172.30.0.10"
    assert index["datasets"]["webdata"]["full_name"] == "tank/apps/web"
    assert index["stacks"]["ai"]["accelerators"] == ["cpu", "nvidia"]


def test_interrupted_write_leaves_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "dist"
    old = with_marker([Artifact("a.txt", b"old\n"), Artifact("b/c.txt", b"old\n")])
    writer.write_output(out, old)
    new = with_marker([Artifact(f"f{i}.txt", b"new\n") for i in range(10)])
    written = 0
    real_write_file = writer._write_file

    def failing_write_file(root: str, artifact: Artifact) -> None:
        nonlocal written
        written += 1
        if written == 5:
            raise KeyboardInterrupt
        real_write_file(root, artifact)

    monkeypatch.setattr(writer, "_write_file", failing_write_file)
    with pytest.raises(KeyboardInterrupt):
        writer.write_output(out, new)
    monkeypatch.undo()
    assert _snapshot(out) == {a.path: a.content for a in old}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]  # no temporary folder left


KILL_SCRIPT = """
import sys
from pathlib import Path
from generator import writer
from generator.artifact import Artifact, with_marker
label = sys.argv[2].encode()
files = [Artifact(f"d{i % 50}/f{i}.txt", label * 200) for i in range(4000)]
writer.write_output(Path(sys.argv[1]), with_marker(files))
"""


def test_build_killed_midway_leaves_old_or_new_output(tmp_path: Path) -> None:
    """SIGKILL a real writer process at several moments: the output is always whole."""
    out = tmp_path / "dist"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(out), "A"], check=True, env=env)
    interrupted = 0
    for delay in (0.0, 0.005, 0.02, 0.05, 0.1):  # after the writer starts its staging folder
        process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out), "B"], env=env)
        started = time.monotonic()  # a busy machine starts Python late: wait for the writer itself
        while not any(tmp_path.glob(f"{writer.TEMP_PREFIX}*")) and process.poll() is None:
            assert time.monotonic() - started < 60, "the writer did not start within a minute"
            time.sleep(0.001)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        snapshot = _snapshot(out)
        labels = {content[:1] for name, content in snapshot.items() if name != MARKER}
        assert len(snapshot) == 4001, "the output folder lost files"
        assert labels in ({b"A"}, {b"B"}), "the output mixes two builds"
        interrupted += any(tmp_path.glob(f"{writer.TEMP_PREFIX}*"))
        subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(out), "A"], check=True, env=env)
    assert interrupted, "no kill landed while the writer was working: lengthen the write"
    # a later build cleans the temporary folders killed builds left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist"]


def test_committed_dist_is_up_to_date(tmp_path: Path, update_golden: bool) -> None:
    """dist/ is committed (Portainer pulls compose files from the repository): it must be fresh.

    `pytest --update-golden` rewrites it; review the change with `git diff dist/`."""
    committed = ROOT / "dist"
    if update_golden:
        assert run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(committed)).exit_code == 0
    result = run_gen("build", "--catalog", str(DEFAULT_CATALOG), "--out", str(committed), "--check")
    assert result.exit_code == 0, result.stdout + result.stderr
