"""The repository's own tooling agrees with itself: the pre-commit hooks run what `make lint` runs."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

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


# The pipeline, in order: a module never imports one of a later stage. The commands (hosts,
# verify, images, the importer, the catalog editor they write with, the command line) come after
# all of them; the helpers before.
STAGES = {"catalog": 1, "plan": 2, "render": 3, "writer": 4}
COMMANDS = {
    "hosts",
    "verify",
    "images",
    "importer",
    "editor",
    "cli",
    "build",
    "sitebuild",
    "envfile",
    "inspect",
    "reporting",
    "__main__",
    "up",
}


def _stage(module: str) -> int:
    """0 for a helper (errors, escape, artifact, ...), 5 for a command."""
    top = module.split(".")[1] if module.startswith("generator.") else module
    return STAGES.get(top, 5 if top in COMMANDS else 0)


def _imports(path: Path) -> set[str]:
    """Every generator module the file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("generator"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "generator")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("generator"))
    return found


def test_no_import_runs_back_up_the_pipeline() -> None:
    package = ROOT / "generator"
    against = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(("generator", *path.relative_to(package).with_suffix("").parts))
        own = _stage(module)
        against += [
            f"{module} imports {imported}"
            for imported in sorted(_imports(path))
            if imported != "generator" and _stage(imported) > own
        ]
    assert not against, "imports against catalog -> plan -> render -> writer -> commands:\n" + "\n".join(
        against
    )
