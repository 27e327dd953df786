"""`gen doctor`'s memory check: each service's limit (the env file's per-host value first) against
the memory the engine reports."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from generator.catalog import load_catalog
from generator.hosts.limits import memory_limits
from generator.hosts.report import Check
from generator.units import docker_bytes
from tests.conftest import DEFAULT_CATALOG

CATALOG = load_catalog(DEFAULT_CATALOG)
AI = CATALOG.stack_services(CATALOG.stacks["ai"])
GIB = 2**30


def _checks(memory: object, settings: dict[str, str] | None = None) -> dict[str, Check]:
    engine = SimpleNamespace(info=lambda: {"MemTotal": memory})
    return {c.name: c for c in memory_limits(engine, AI, settings or {})}


@pytest.mark.parametrize(
    ("text", "size"),
    [("48g", 48 * GIB), ("1.5G", 3 * GIB // 2), ("512mb", 512 * 2**20), ("1024", 1024), ("2GiB", 2 * GIB)],
)
def test_memory_sizes_read_as_docker_reads_them(text: str, size: int) -> None:
    assert docker_bytes(text) == size


@pytest.mark.parametrize("text", ["", "lots", "1.2.3g", "-1g", "5x"])
def test_what_docker_refuses_is_no_size(text: str) -> None:
    assert docker_bytes(text) is None


def test_a_limit_above_the_hosts_memory_fails_with_the_line_that_fits() -> None:
    checks = _checks(8 * GIB)  # a small host; the catalog's Ollama limit is larger
    ollama = checks["memory limit ollama"]
    assert ollama.status == "fail" and ollama.message.startswith(
        f"{CATALOG.services['ollama'].limits.memory}, "
    )
    assert ollama.hint == "set OLLAMA_MEMORY=6144m (or less) in the stack's env file"
    assert "memory limits" not in checks  # no summary while one fails


def test_the_default_limits_fit_a_common_16_gb_host() -> None:
    checks = _checks(16 * GIB)
    assert not [c for c in checks.values() if c.status == "fail"], checks


def test_the_env_files_value_counts_and_limits_may_add_up_past_the_host() -> None:
    checks = _checks(16 * GIB, {"OLLAMA_MEMORY": "12g"})
    assert list(checks) == ["memory limits"]
    assert (
        checks["memory limits"].status == "warn" and "together they reach" in checks["memory limits"].message
    )
    assert _checks(64 * GIB)["memory limits"].status == "ok"
    assert _checks(64 * GIB, {"OLLAMA_MEMORY": "much"})["memory limit ollama"].status == "fail"
    assert _checks("unknown")["memory limits"].status == "warn"
