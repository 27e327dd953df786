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

from generator.catalog import load_catalog
from generator.render.gpu import TOOLKIT_VERSION
from tests.conftest import DEFAULT_CATALOG, FIXTURES, ROOT, run_gen

SCRIPT = ROOT / "dist" / "scripts" / "gpu-bootstrap.sh"
OLLAMA_IMAGE = load_catalog(DEFAULT_CATALOG).services["ollama"].image_for("nvidia")
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
    "mktemp",
    "cp",
    "rm",
)
MUTATING = ("apt-get", "systemctl", "nvidia-ctk runtime", "curl", "gpg", "docker run")


@dataclass
class Outcome:
    code: int
    out: str
    calls: list[str]
    state: Path


def _run(
    scenario: str, tmp_path: Path, *args: str, script: Path = SCRIPT, recorded: dict[str, str] | None = None
) -> Outcome:
    """The script on a copy of the scenario's host (what --install writes lands in the copy's
    root), with `recorded` outputs added to it."""
    folder = tmp_path / "host"
    shutil.copytree(SCENARIOS / scenario, folder, symlinks=True)
    for name, text in (recorded or {}).items():
        (folder / name).write_text(text)
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
    assert "verify: a GPU container sees the same GPU (NVIDIA H200, driver 570.124.06)" in outcome.out
    # in the stack's own GPU image (Ollama's), pinned with the stack, not a CUDA tag NVIDIA deletes
    (run,) = [call for call in outcome.calls if call.startswith("docker run")]
    assert run.startswith(f"docker run --rm --gpus all --entrypoint nvidia-smi {OLLAMA_IMAGE} --query-gpu=")
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
    runs there, and the check runs in Ollama's image, which has no such gate."""
    outcome = _run(scenario, tmp_path)
    assert outcome.code == 0, outcome.out
    assert f"verify: a GPU container sees the same GPU ({card}, driver {driver})" in outcome.out
    assert "result: use the nvidia variant" in outcome.out
    assert "VARIANT=nvidia" in outcome.state.read_text()
    runs = [call for call in outcome.calls if call.startswith("docker run")]
    assert runs and all(f" {OLLAMA_IMAGE} " in call for call in runs)


def test_an_image_that_cannot_be_pulled_is_no_verdict_on_the_gpu(tmp_path: Path) -> None:
    """A registry out of reach is told apart from a GPU that fails in a container: exit 11, and
    the state file keeps what an earlier run found."""
    denied = (
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": '
        "dial tcp: lookup registry-1.docker.io: no such host\n"
    )
    outcome = _run(
        "hopper-ready",
        tmp_path,
        recorded={"docker-image-inspect.rc": "1\n", "docker-pull": denied, "docker-pull.rc": "1\n"},
    )
    assert outcome.code == 11, outcome.out
    assert f"verify: pulling {OLLAMA_IMAGE} (the stack's GPU image)" in outcome.out
    assert "verify: could not pull" in outcome.out and "no such host" in outcome.out
    assert (
        f"stopped: the GPU was not checked in a container: {OLLAMA_IMAGE} could not be pulled" in outcome.out
    )
    assert not outcome.state.exists()
    assert not [call for call in outcome.calls if call.startswith("docker run")]
    # a container that fails once pulled is the GPU's failure: the cpu variant, exit 10
    failed = _run(
        "hopper-ready",
        tmp_path / "again",
        recorded={
            "docker-run": "nvidia-container-cli: initialization error: nvml error: driver not loaded\n",
            "docker-run.rc": "125\n",
        },
    )
    assert failed.code == 10 and "VARIANT=cpu" in failed.state.read_text()
    assert "the GPU works on the host but not in a container" in failed.out


def test_the_replayed_runtime_refuses_the_cuda_requirement(tmp_path: Path) -> None:
    """The stand-in itself: without NVIDIA_DISABLE_REQUIRE it answers as the runtime does."""
    env = {"GPU_SCENARIO": str(SCENARIOS / "geforce-550"), "GPU_STUB_LOG": str(tmp_path / "log")}
    docker = tmp_path / "docker"
    docker.symlink_to(SCENARIOS / "replay")
    argv = [str(docker), "run", "--rm", "--gpus", "all", "nvidia/cuda:12.8.1-base-ubuntu24.04"]
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
    """NVIDIA's apt steps in order, its prerequisites first, the toolkit at the pinned version."""
    outcome = _run("toolkit-missing", tmp_path, "--install")
    assert outcome.code == 0, outcome.out
    calls = outcome.calls
    version = TOOLKIT_VERSION
    pinned = (
        f"apt-get install -y nvidia-container-toolkit={version} nvidia-container-toolkit-base={version} "
        f"libnvidia-container-tools={version} libnvidia-container1={version}"
    )
    steps = [
        "apt-get install -y --no-install-recommends ca-certificates curl gnupg2",
        "curl -fsSL -o",  # the key, then the source list, into a temporary file each
        pinned,
        "nvidia-ctk runtime configure --runtime=docker",
        "systemctl restart docker",
    ]
    positions = [next(i for i, call in enumerate(calls) if call.startswith(step)) for step in steps]
    assert positions == sorted(positions), calls
    source_list = (
        tmp_path / "host" / "root" / "etc" / "apt" / "sources.list.d" / "nvidia-container-toolkit.list"
    )
    assert source_list.exists()  # written below GPU_BOOTSTRAP_ROOT, never on the machine itself
    assert "result: use the nvidia variant" in outcome.out


@pytest.mark.parametrize(
    ("failing", "step"),
    [
        ("apt-get", "apt-get update"),
        ("curl", "downloading NVIDIA's signing key"),
        ("systemctl", "restarting Docker"),
    ],
)
def test_a_failed_install_step_stops_with_its_own_exit_code(tmp_path: Path, failing: str, step: str) -> None:
    outcome = _run("toolkit-missing", tmp_path, "--install", recorded={f"{failing}.rc": "100\n"})
    assert outcome.code == 12, outcome.out
    assert f"stopped: --install: {step} failed (exit 100); the steps after it were not run" in outcome.out
    assert not outcome.state.exists()


def test_pascal_needs_a_driver_of_the_580_branch_at_most(tmp_path: Path) -> None:
    """NVIDIA's R580 branch is the last for Maxwell, Pascal and Volta: a newer driver cannot use
    the card, and the script says which to install."""
    query = "NVIDIA GeForce GTX 1080 Ti, 11264, 590.44.01, 6.1\n"
    outcome = _run("hopper-ready", tmp_path, "--check", recorded={"nvidia-smi-query": query})
    assert outcome.code == 10, outcome.out
    assert "generation: Pascal: needs driver 570 to the 580 branch (its last)" in outcome.out
    assert (
        "driver 590.44.01 is newer than the 580 branch, the last that supports Pascal cards "
        "(NVIDIA GeForce GTX 1080 Ti): install a 580 driver"
    ) in outcome.out
    older = _run(
        "hopper-ready",
        tmp_path / "older",
        "--check",
        recorded={"nvidia-smi-query": query.replace("590.44.01", "560.35.03")},
    )
    assert "install 570 to the 580 branch (the last that supports it)" in older.out


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
