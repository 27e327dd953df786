"""What the host is: the facts printed beside the measurements (CPU, memory, GPU, driver, ZFS)."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"


def host_facts(docker: Callable[[], Any], compose: list[str]) -> dict[str, str]:
    return {
        "hostname": platform.node(),
        "os": _os_name(),
        "kernel": platform.release(),
        "cpu": _cpu(),
        "memory": _memory(),
        "gpu": _nvidia("name") or "none found (no nvidia-smi)",
        "gpu_driver": _nvidia("driver_version") or "none",
        "zfs": _zfs_version(),
        "docker": _docker_version(docker),
        "compose": _output([*compose, "version", "--short"]) or UNKNOWN,
    }


def _os_name() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return platform.system()
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?$', text, re.MULTILINE)
    return match.group(1) if match else platform.system()


def _cpu() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    model = match.group(1).strip() if match else platform.processor() or UNKNOWN
    return f"{model}, {os.cpu_count()} logical CPUs"


def _memory() -> str:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return UNKNOWN
    match = re.search(r"^MemTotal:\s*(\d+) kB$", text, re.MULTILINE)
    return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else UNKNOWN


def _nvidia(field: str) -> str:
    if shutil.which("nvidia-smi") is None:
        return ""
    lines = _output(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader"]).splitlines()
    return ", ".join(line.strip() for line in lines if line.strip())


def _zfs_version() -> str:
    if shutil.which("zfs") is None:
        return "not installed"
    version = _output(["zfs", "version"]).splitlines()
    if version:
        return version[0]
    pool_version = _output(["zpool", "upgrade", "-v"]).splitlines()  # zfs-fuse has no `zfs version`
    flavour = "zfs-fuse, " if shutil.which("zfs-fuse") else ""
    return f"{flavour}{pool_version[0].rstrip('.')}" if pool_version else UNKNOWN


def _docker_version(docker: Callable[[], Any]) -> str:
    try:
        version = docker().version()
    except Exception:
        return "not reachable"
    return f"{version.get('Version', UNKNOWN)} (API {version.get('ApiVersion', UNKNOWN)})"


def _output(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
