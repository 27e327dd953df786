"""Shared test helpers: fixture catalogs, running `gen`, golden files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL = FIXTURES / "valid" / "minimal"
DEFAULT_CATALOG = ROOT / "catalog"
SHARED = ROOT.parent / "shared"


def pytest_report_header(config: pytest.Config) -> str:
    from tests.test_fuzz import EXAMPLES, SEED

    return f"fuzzer: {EXAMPLES} examples per test, seed {SEED} (FUZZ_EXAMPLES, FUZZ_SEED)"


def pytest_configure(config: pytest.Config) -> None:
    """Compiled schema checks are cached in a folder of this run, never in the user's home."""
    import os
    import tempfile

    os.environ["GEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="gen-test-cache-")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked with a component it needs (tests/components.py) is an integration test:
    `make check` (`-m "not integration"`) leaves it out."""
    from tests.components import COMPONENTS

    for item in items:
        if any(item.get_closest_marker(name) for name in COMPONENTS):
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests.components import running

    running(item)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    from tests.components import running

    running(None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files (and expected messages) from the current output; review with git diff",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@dataclass
class GenResult:
    exit_code: int
    stdout: str
    stderr: str


def run_gen(*args: str, env: dict[str, str] | None = None) -> GenResult:
    """Run `gen` in-process (with `env` added to the environment meanwhile). Any exception other
    than the CLI's own exit is a bug: re-raise it."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return GenResult(result.exit_code, result.stdout, result.stderr)


def overlay(scenario: Path, catalog: Path) -> None:
    """Apply an invalid scenario onto a copy of the minimal catalog: its files replace or add,
    the paths listed in its DELETE file are removed."""
    for source in sorted(scenario.rglob("*")):
        relative = source.relative_to(scenario)
        if source.is_dir() or relative.name in ("expected.txt", "DELETE"):
            continue
        target = catalog / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    deletions = scenario / "DELETE"
    if deletions.exists():
        for line in deletions.read_text().split():
            (catalog / line).unlink()


@pytest.fixture
def catalog_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Copy a catalog to <tmp>/catalog and work from <tmp>, so messages read 'catalog/...'."""
    monkeypatch.chdir(tmp_path)

    def copy(source: Path = MINIMAL) -> Path:
        target = tmp_path / "catalog"
        shutil.copytree(source, target)
        return target

    return copy


def encrypt_network(catalog_dir: Path, network_id: str = "monitoring") -> None:
    """Mark a network of a catalog copy `encrypted` (its Swarm overlay; the default catalog has none)."""
    network_file = catalog_dir / "networks" / f"{network_id}.yaml"
    network_file.write_text(network_file.read_text() + "encrypted: true\n")


def build_default_site(out: Path, config: Path = ROOT / "mkdocs.yml") -> Path:
    """`gen site build` of the default catalog into `out` (the site tests share it); `config`'s
    folder holds the hand-written pages (site/)."""
    result = run_gen(
        "site", "build", "--catalog", str(DEFAULT_CATALOG), "--config", str(config), "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    return out
