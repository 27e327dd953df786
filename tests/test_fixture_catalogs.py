"""Every fixture catalog, found automatically: valid ones validate, invalid ones fail exactly so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, overlay, run_gen

VALID = sorted(p for p in (FIXTURES / "valid").iterdir() if p.is_dir())
INVALID = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


@pytest.mark.parametrize("scenario", VALID, ids=lambda p: p.name)
def test_valid_catalog_validates(scenario: Path, catalog_copy: Callable[..., Path]) -> None:
    catalog_copy(scenario)
    result = run_gen("validate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("catalog/ is valid: ")
    assert result.stderr == ""


def test_there_are_at_least_25_invalid_scenarios() -> None:
    assert len(INVALID) >= 25


@pytest.mark.parametrize("scenario", INVALID, ids=lambda p: p.name)
def test_invalid_catalog_fails_with_exact_messages(
    scenario: Path, catalog_copy: Callable[..., Path], update_golden: bool
) -> None:
    overlay(scenario, catalog_copy())
    result = run_gen("validate")
    expected_file = scenario / "expected.txt"
    if update_golden:
        expected_file.write_text(result.stderr)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr == expected_file.read_text()


@pytest.mark.parametrize("scenario", INVALID, ids=lambda p: p.name)
def test_invalid_catalog_writes_nothing(scenario: Path, catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy()
    overlay(scenario, catalog)
    result = run_gen("build", "--out", "dist")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert not (catalog.parent / "dist").exists()
    assert sorted(p.name for p in catalog.parent.iterdir()) == ["catalog"]


def test_a_catalog_read_with_an_overlay_is_the_catalog_after_the_edit_and_nothing_is_written(
    catalog_copy: Callable[..., Path],
) -> None:
    """`gen import` and `gen images pin` ask "would this edit validate?" of texts in memory."""
    from generator.catalog import load_catalog, validate_catalog

    catalog_dir = catalog_copy(FIXTURES / "valid" / "minimal")
    before = {p: p.read_bytes() for p in catalog_dir.rglob("*") if p.is_file()}
    text = (catalog_dir / "services" / "llm.yaml").read_text()
    edited = text.replace("title: LLM server", "title: Edited in memory")
    assert (
        load_catalog(catalog_dir, {"services/llm.yaml": edited}).services["llm"].title == "Edited in memory"
    )
    # a new file, read from memory, is checked as one on disk: located, at its own path
    _, problems = validate_catalog(
        catalog_dir, {"services/llm-copy.yaml": text.replace("id: llm", "id: llm-copy")}
    )
    assert problems and all(p.file.endswith("services/llm-copy.yaml") for p in problems)
    assert any(p.line == 12 and "already published by 'llm'" in p.message for p in problems)
    _, problems = validate_catalog(catalog_dir, {"services/llm.yaml": "id: [unclosed\n"})
    assert problems and all(p.file.endswith("services/llm.yaml") for p in problems)
    assert {p: p.read_bytes() for p in catalog_dir.rglob("*") if p.is_file()} == before
    with pytest.raises(ValueError, match="no catalog file"):
        validate_catalog(catalog_dir, {"elsewhere/x.yaml": "id: x\n"})


def test_a_variable_the_generator_names_cannot_be_taken_by_a_service(
    catalog_copy: Callable[..., Path],
) -> None:
    """ZFS_ALTROOT and every service's limit variables mean one thing in the stack's env file."""
    catalog_dir = catalog_copy(FIXTURES / "valid" / "minimal")
    service = catalog_dir / "services" / "llm.yaml"
    text = service.read_text()
    for name, meaning in (("LLM_MEMORY", "the memory limit of 'llm'"), ("ZFS_ALTROOT", "the ZFS altroot")):
        service.write_text(
            text.replace("  - name: MODE\n", f"  - name: {name}\n    value: x\n  - name: MODE\n")
        )
        result = run_gen("validate", "--catalog", str(catalog_dir))
        assert result.exit_code == 1
        line = service.read_text().splitlines().index(f"  - name: {name}") + 1
        assert (
            f"catalog/services/llm.yaml:{line}:11: error: env[0].name: '{name}' is the variable gen sets for"
            in (result.stderr)
        )
        assert meaning in result.stderr


def test_an_alert_secret_is_a_variable_the_alertmanager_service_writes(
    catalog_copy: Callable[..., Path],
) -> None:
    """The service writes its ALERTMANAGER_* variables to the files its configuration reads: a
    secret under another name would never arrive."""
    from tests.conftest import DEFAULT_CATALOG

    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    alerts = catalog_dir / "alerts.yaml"
    alerts.write_text(
        alerts.read_text().replace(
            "ntfy: {url: https://ntfy.home.arpa/homelab-alerts}",
            "ntfy: {url: https://ntfy.home.arpa/homelab-alerts, token_variable: NTFY_TOKEN}",
        )
    )
    result = run_gen("validate", "--catalog", str(catalog_dir))
    assert result.exit_code == 1
    assert "notify.receivers[0].ntfy.token_variable" in result.stderr and "ALERTMANAGER_" in result.stderr
