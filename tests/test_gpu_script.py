"""The GPU bootstrap script: scenario tests with stand-in commands replaying recorded outputs
(tests/fixtures/gpu/README.md), and a real run on this machine, which has no GPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_CATALOG, FIXTURES, ROOT, run_gen

SCRIPT = ROOT / "dist" / "scripts" / "gpu-bootstrap.sh"
SCENARIOS = FIXTURES / "gpu"
TOOLS = (
    "sh",
    "awk",
    "sed",
    "grep",
    "cut",
    "tr",
    "head",
    "tail",
    "date",
    "dirname",
    "mkdir",
    "cat",
    "ls",
    "basename",
    "touch",
    "printf",
)
MUTATING = ("apt-get", "systemctl", "nvidia-ctk runtime", "curl", "gpg", "docker run")


@dataclass
class Outcome:
    code: int
    out: str
    calls: list[str]
    state: Path


def _run(scenario: str, tmp_path: Path, *args: str, script: Path = SCRIPT) -> Outcome:
    folder = SCENARIOS / scenario
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    for command in (folder / "commands").read_text().split():
        (bin_dir / command).symlink_to(SCENARIOS / "replay")
    state_dir = tmp_path / "stub-state"
    state_dir.mkdir()
    log = tmp_path / "calls.log"
    log.touch()
    state = tmp_path / "var" / "gpu-variant"
    env = {
        "PATH": str(bin_dir),
        "GPU_BOOTSTRAP_ROOT": str(folder / "root"),
        "GPU_SCENARIO": str(folder),
        "GPU_STUB_LOG": str(log),
        "GPU_STUB_STATE": str(state_dir),
    }
    result = subprocess.run(
        [str(bin_dir / "sh"), str(script), *args, "--state-file", str(state)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return Outcome(result.returncode, result.stdout + result.stderr, log.read_text().splitlines(), state)


def _changed_nothing(outcome: Outcome) -> bool:
    return not outcome.state.exists() and not [c for c in outcome.calls if c.startswith(MUTATING)]


def test_hopper_ready(tmp_path: Path) -> None:
    outcome = _run("hopper-ready", tmp_path)
    assert outcome.code == 0, outcome.out
    assert (
        "NVIDIA GPU: NVIDIA H200 (1 found), 143771 MiB, driver 570.124.06, "
        "compute capability 9.0, open kernel modules" in outcome.out
    )
    assert "generation: Hopper: needs driver 520.61.05 or later" in outcome.out
    assert "verify: a CUDA container sees the same GPU (NVIDIA H200, driver 570.124.06)" in outcome.out
    assert "within the target (GPU init < 10 s)" in outcome.out
    assert "result: use the nvidia variant" in outcome.out
    state = outcome.state.read_text()
    assert "VARIANT=nvidia" in state and "GENERATION=hopper" in state


@pytest.mark.parametrize(
    ("scenario", "card", "driver"),
    [
        ("geforce-550", "NVIDIA GeForce RTX 3090", "550.144.03"),
        ("geforce-560", "NVIDIA GeForce RTX 4070", "560.35.03"),
    ],
)
def test_geforce_on_a_driver_older_than_the_cuda_image_is_ready(
    tmp_path: Path, scenario: str, card: str, driver: str
) -> None:
    """The recorded runtime refuses the CUDA image's NVIDIA_REQUIRE_CUDA on these drivers; Ollama
    runs there, so the script must test the container without that gate."""
    outcome = _run(scenario, tmp_path)
    assert outcome.code == 0, outcome.out
    assert f"verify: a CUDA container sees the same GPU ({card}, driver {driver})" in outcome.out
    assert "result: use the nvidia variant" in outcome.out
    assert "VARIANT=nvidia" in outcome.state.read_text()
    runs = [call for call in outcome.calls if call.startswith("docker run")]
    assert runs and all("NVIDIA_DISABLE_REQUIRE=1" in call for call in runs)


def test_the_replayed_runtime_refuses_the_cuda_requirement(tmp_path: Path) -> None:
    """The stand-in itself: without NVIDIA_DISABLE_REQUIRE it answers as the runtime does."""
    env = {"GPU_SCENARIO": str(SCENARIOS / "geforce-550"), "GPU_STUB_LOG": str(tmp_path / "log")}
    docker = tmp_path / "docker"
    docker.symlink_to(SCENARIOS / "replay")
    argv = [str(docker), "run", "--rm", "--gpus", "all", "img"]
    plain = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert plain.returncode == 125
    assert "requirement error: unsatisfied condition: cuda>=12.8" in plain.stderr


def test_check_mode_changes_nothing(tmp_path: Path) -> None:
    outcome = _run("hopper-ready", tmp_path, "--check")
    assert outcome.code == 0
    assert "verify: skipped (--check runs no container)" in outcome.out
    assert _changed_nothing(outcome)


@pytest.mark.parametrize("mode", ["--check", None])
def test_toolkit_missing(tmp_path: Path, mode: str | None) -> None:
    outcome = _run("toolkit-missing", tmp_path, *([mode] if mode else []))
    assert outcome.code == 10
    assert (
        "Docker has no nvidia runtime and no NVIDIA CDI devices: run this script with --install"
        in outcome.out
    )
    assert not [c for c in outcome.calls if c.startswith(("apt-get", "nvidia-ctk runtime", "systemctl"))]
    if mode == "--check":
        assert _changed_nothing(outcome)
    else:
        assert "VARIANT=cpu" in outcome.state.read_text()


def test_install_sets_up_the_toolkit_then_verifies(tmp_path: Path) -> None:
    outcome = _run("toolkit-missing", tmp_path, "--install")
    assert outcome.code == 0, outcome.out
    calls = outcome.calls
    for expected in (
        "apt-get install -y nvidia-container-toolkit",
        "nvidia-ctk runtime configure --runtime=docker",
        "systemctl restart docker",
    ):
        assert expected in calls, calls
    assert calls.index("nvidia-ctk runtime configure --runtime=docker") < calls.index(
        "systemctl restart docker"
    )
    assert "result: use the nvidia variant" in outcome.out


def test_runtime_through_cdi(tmp_path: Path) -> None:
    outcome = _run("ada-cdi", tmp_path, "--check")
    assert outcome.code == 0, outcome.out
    assert "container runtime: CDI devices (nvidia.com/gpu)" in outcome.out
    assert "generation: Ada Lovelace" in outcome.out
    assert _changed_nothing(outcome)


def test_blackwell_with_a_driver_too_old(tmp_path: Path) -> None:
    outcome = _run("blackwell-old-driver", tmp_path, "--check")
    assert outcome.code == 10
    assert "nvidia-smi: No devices were found" in outcome.out
    assert "kernel log: 'RmInitAdapter failed'" in outcome.out
    assert "kernel log: this driver release does not support the card" in outcome.out
    assert (
        "driver 560.35.03 is older than 570.26, the minimum for Blackwell (consumer) "
        "(NVIDIA Corporation GB203 [GeForce RTX 5070 Ti]): "
        "install 570.26 or later with the OPEN kernel modules"
    ) in outcome.out
    assert _changed_nothing(outcome)


def test_blackwell_with_the_proprietary_modules(tmp_path: Path) -> None:
    outcome = _run("blackwell-proprietary", tmp_path, "--check")
    assert outcome.code == 10
    assert "driver 575.57.08 is loaded; the card's compute capability is 12.0 (from its name)" in outcome.out
    needs_open = "Blackwell (consumer) cards need the OPEN NVIDIA kernel modules"
    assert f"{needs_open} and this host runs the proprietary ones" in outcome.out
    assert _changed_nothing(outcome)


def test_driver_without_compute_cap_falls_back_to_the_name(tmp_path: Path) -> None:
    outcome = _run("t4-old-driver", tmp_path, "--check")
    assert outcome.code == 10
    assert (
        "nvidia-smi cannot report compute_cap (driver 470.256.02): guessed 7.5 from the card name"
        in outcome.out
    )
    assert "driver 470.256.02 is older than 550, which the catalog's GPU services need" in outcome.out


def test_no_gpu(tmp_path: Path) -> None:
    outcome = _run("no-gpu", tmp_path)
    assert outcome.code == 20
    assert "result: use the cpu variant: no NVIDIA or AMD GPU found" in outcome.out
    assert "VARIANT=cpu" in outcome.state.read_text()


def test_amd(tmp_path: Path) -> None:
    outcome = _run("amd", tmp_path, "--check")
    assert outcome.code == 0
    assert "AMD GPU: Advanced Micro Devices, Inc. [AMD/ATI] Navi 31 [Radeon RX 7900 XTX]" in outcome.out
    assert "result: use the amd variant" in outcome.out
    assert _changed_nothing(outcome)


def test_for_real_on_this_machine_without_a_gpu(tmp_path: Path) -> None:
    """No stand-ins: the real commands of this machine (no NVIDIA or AMD GPU here)."""
    if Path("/dev/nvidia0").exists() or Path("/dev/kfd").exists():
        pytest.skip("this machine has a GPU")
    state = tmp_path / "gpu-variant"
    result = subprocess.run(
        ["sh", str(SCRIPT), "--state-file", str(state)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ},
    )
    assert result.returncode == 20, result.stdout + result.stderr
    assert (
        "result: use the cpu variant: no NVIDIA or AMD GPU found; the services run on the CPU"
        in result.stdout
    )
    assert state.read_text().startswith("VARIANT=cpu\n")


def test_catalog_text_in_the_script_is_data(catalog_copy: Callable[..., Path], tmp_path: Path) -> None:
    """A generation's title and example cards with quotes and command substitutions are printed,
    never run (they reach the script inside single quotes, each quote escaped)."""
    catalog = catalog_copy(DEFAULT_CATALOG)
    marker = tmp_path / "pwned"  # the script runs in tmp_path (catalog_copy works from there)
    hostile = "Hopper's $(touch pwned) `touch pwned` '; touch pwned; '"
    hopper = catalog / "gpu-generations" / "hopper.yaml"
    text = hopper.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    hopper.write_text(text.replace(title, "title: " + json.dumps(hostile)))
    out = tmp_path / "out"
    assert run_gen("build", "--catalog", str(catalog), "--out", str(out)).exit_code == 0
    outcome = _run("hopper-ready", tmp_path, script=out / "scripts" / "gpu-bootstrap.sh")
    assert outcome.code == 0, outcome.out
    assert f"generation: {hostile}: needs driver" in outcome.out
    assert not marker.exists()
