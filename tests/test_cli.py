"""The command line: help with examples, exit codes, list/show, output formats."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import cli
from tests.conftest import FIXTURES, overlay, run_gen

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = run_gen(command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [c for c in COMMANDS if f"gen {c}" not in readme]
    assert missing == []


def test_group_help_lists_commands() -> None:
    result = run_gen("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_unknown_option_is_a_usage_error() -> None:
    assert run_gen("build", "--no-such-option").exit_code == 2


def test_missing_catalog_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run_gen("validate", "--catalog", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "catalog folder not found" in result.stderr


def test_validate_json_reports_located_errors(catalog_copy: Callable[..., Path]) -> None:
    overlay(FIXTURES / "invalid" / "wrong-type", catalog_copy())
    result = run_gen("validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["errors"] == [
        {
            "file": "catalog/services/llm.yaml",
            "line": 12,
            "column": 11,
            "path": "ports[0].host",
            "message": "'eighty' is not of type 'integer'",
        }
    ]


def test_validate_json_on_a_valid_catalog(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    result = run_gen("validate", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "errors": []}


def test_list_and_show(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    listed = run_gen("list", "services")
    assert listed.exit_code == 0
    assert [line.split()[1] for line in listed.stdout.splitlines()] == ["llm", "web"]
    rows = json.loads(run_gen("list", "--format", "json").stdout)
    assert {"kind": "stack", "id": "ai", "title": "AI"} in rows
    shown = json.loads(run_gen("show", "web", "--format", "json").stdout)
    assert shown["kind"] == "service"
    assert shown["restart"] == "unless-stopped"  # defaults applied
    assert shown["depends_on"] == [{"service": "llm", "condition": "service_healthy"}]
    assert "ipv4_address: 172.30.0.11" in run_gen("show", "service/web").stdout


def test_show_ambiguous_and_unknown_ids(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    ambiguous = run_gen("show", "ai")
    assert ambiguous.exit_code == 2
    assert "network/ai, stack/ai" in ambiguous.stderr
    unknown = run_gen("show", "wbe")
    assert unknown.exit_code == 2
    assert "did you mean web" in unknown.stderr
    assert run_gen("list", "widgets").exit_code == 2


def test_build_flags_are_exclusive(catalog_copy: Callable[..., Path]) -> None:
    catalog_copy()
    result = run_gen("build", "--check", "--dry-run")
    assert result.exit_code == 2


def test_no_colour_when_not_a_tty(catalog_copy: Callable[..., Path]) -> None:
    overlay(FIXTURES / "invalid" / "wrong-type", catalog_copy())
    assert "\x1b[" not in run_gen("validate").stderr
