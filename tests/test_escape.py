"""Prose that spans lines stays prose in every format it reaches (generator/escape.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from generator.envfile import read_assignments
from generator.escape import env_comment
from tests.conftest import DEFAULT_CATALOG, run_gen

HOSTILE = "Signs sessions.\nINJECTED=1\n  ALSO=2\n\nexport EVIL=$(id)"


def _sourced(path: Path) -> str:
    """What sh sees after sourcing the file: the names it defines."""
    script = f'set -a; . "{path}"; env'
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env={}, check=True)
    return result.stdout


def test_env_comment_comments_every_line() -> None:
    assert env_comment(HOSTILE).splitlines() == [
        "# Signs sessions.",
        "# INJECTED=1",
        "#   ALSO=2",
        "#",
        "# export EVIL=$(id)",
    ]
    assert env_comment("") == "#"


def test_a_description_with_line_breaks_defines_nothing_in_env_files(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    service = catalog / "services" / "open-webui.yaml"
    text = service.read_text()
    old = "    description: Signs sessions and encrypts tokens; must stay the same across restarts.\n"
    assert old in text
    hostile = "    description: |-\n" + "".join(f"      {line}\n" for line in HOSTILE.splitlines())
    service.write_text(text.replace(old, hostile))
    assert run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "out")).exit_code == 0
    assert (
        run_gen("secrets", "ai", "--catalog", str(catalog), "--dir", str(tmp_path / "secrets")).exit_code == 0
    )
    for path in (
        tmp_path / "out" / "stacks" / "ai" / "cpu" / ".env.example",
        tmp_path / "secrets" / "ai.env",
    ):
        assert "# INJECTED=1" in path.read_text()
        names = set(read_assignments(path))
        assert not {"INJECTED", "ALSO", "EVIL"} & names, path
        sourced = _sourced(path)
        assert "INJECTED=" not in sourced and "EVIL=" not in sourced and "uid=" not in sourced
