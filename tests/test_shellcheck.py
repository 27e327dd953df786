"""Every generated script, and the project's own, pass the real shellcheck."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.components import missing
from tests.conftest import MINIMAL, ROOT, run_gen

pytestmark = [pytest.mark.shellcheck]

OWN_SCRIPTS = [*sorted((ROOT / "scripts").iterdir()), ROOT / ".ci" / "run"]


def _shellcheck(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    if shutil.which("shellcheck") is None:
        missing("shellcheck (Debian package shellcheck) is not installed")
    return subprocess.run(["shellcheck", "--norc", *map(str, paths)], capture_output=True, text=True)


def _scripts(folder: Path) -> list[Path]:
    return sorted(folder.glob("scripts/*.sh"))


def test_generated_scripts_of_the_default_catalog() -> None:
    scripts = _scripts(ROOT / "dist")
    assert scripts, "dist/ holds no scripts"
    result = _shellcheck(scripts)
    assert result.returncode == 0, result.stdout


def test_generated_scripts_of_the_minimal_catalog(tmp_path: Path) -> None:
    assert run_gen("build", "--catalog", str(MINIMAL), "--out", str(tmp_path / "dist")).exit_code == 0
    result = _shellcheck(_scripts(tmp_path / "dist"))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "script", [p for p in OWN_SCRIPTS if p.read_text().startswith("#!")], ids=lambda p: p.name
)
def test_project_scripts(script: Path) -> None:
    result = _shellcheck([script])
    assert result.returncode == 0, result.stdout
