"""The generated Continue config, read by Continue's own parser (npm @continuedev/config-yaml,
installed by scripts/install-continue-parser): the schema the extension applies, then its checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.components import missing
from tests.conftest import ROOT

pytestmark = [pytest.mark.node]

VERSION = "1.42.0"
PARSER = Path(
    os.environ.get("GEN_CONTINUE_PARSER_DIR", f"/var/cache/ai-stack-gen/continue-config-yaml-{VERSION}")
)
CONFIGS = sorted((ROOT / "dist" / "stacks").glob("*/*/continue-config.yaml"))


def _parse(tmp_path: Path, *paths: Path) -> dict[str, Any]:
    if shutil.which("node") is None or not (PARSER / "node_modules" / "@continuedev").is_dir():
        missing(f"Continue's parser is not installed in {PARSER} (scripts/install-continue-parser)")
    (tmp_path / "node_modules").symlink_to(PARSER / "node_modules")
    script = tmp_path / "continue_parser.mjs"
    shutil.copyfile(ROOT / "tests" / "continue_parser.mjs", script)
    result = subprocess.run(
        ["node", str(script), *map(str, paths)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_every_generated_config_passes_continues_parser(tmp_path: Path) -> None:
    assert CONFIGS
    results = _parse(tmp_path, *CONFIGS)
    assert results == {str(path): {"ok": True, "problems": []} for path in CONFIGS}


def test_the_parser_refuses_what_continue_refuses(tmp_path: Path) -> None:
    """The same run with a config Continue rejects (a role it does not know): the parser is live."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIGS[0].read_text().replace("- autocomplete", "- daydream", 1))
    result = _parse(tmp_path, bad)[str(bad)]
    assert result["ok"] is False
    assert any(issue["path"][:2] == ["models", 1] for issue in result["issues"]), result
