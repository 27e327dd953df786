"""The repository's own tooling agrees with itself: the pre-commit hooks run what `make lint` runs."""

from __future__ import annotations

import re
import tomllib

from ruamel.yaml import YAML

from tests.conftest import ROOT


def _hooks() -> dict[str, dict[str, object]]:
    config = YAML(typ="safe").load((ROOT / ".pre-commit-config.yaml").read_text())
    repos = config["repos"]
    return {hook["id"]: {**hook, "rev": repo.get("rev")} for repo in repos for hook in repo["hooks"]}


def test_pre_commit_runs_the_ruff_the_dev_extra_pins() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pins = [re.fullmatch(r"ruff==(\S+)", requirement.split("#")[0].strip()) for requirement in dev]
    pinned = [match.group(1) for match in pins if match]
    assert len(pinned) == 1, f"the dev extra must pin ruff exactly (ruff==X.Y.Z), not {dev}"
    hooks = _hooks()
    assert hooks["ruff-check"]["rev"] == hooks["ruff-format"]["rev"] == f"v{pinned[0]}"


def test_the_build_check_hook_runs_when_dist_is_edited() -> None:
    pattern = re.compile(str(_hooks()["gen-build-check"]["files"]))
    for path in ("dist/templates.json", "catalog/services/ollama.yaml", "schemas/service.schema.json"):
        assert pattern.search(path), path
    assert not pattern.search("README.md")
