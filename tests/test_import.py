"""`gen import portainer`: corpora mapped or refused with reasons, round trip, no overwrites."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.render.portainer import container_template
from generator.writer import TEMP_PREFIX
from tests.conftest import SHARED, run_gen

CORPORA = SHARED / "corpora"
# (templates, mapped, refused) per corpus file, imported into the minimal fixture catalog
EXPECTED_COUNTS = {
    "lissy93_templates.json": (524, 275, 249),
    "pi-hosted_portainer-v2-amd64.json": (233, 196, 37),
    "pi-hosted_portainer-v3-amd64.json": (233, 196, 37),
    "portainer-official_master_templates-2.0.json": (68, 39, 29),
    "portainer-official_v3_templates.json": (69, 34, 35),
    "selfhostedpro_portainer-2.0_template.json": (105, 99, 6),
    "technorabilia_lsio_templates.json": (200, 197, 3),
    "xneo1_template.json": (284, 103, 181),
    "xneo1_template3.invalid-v3.json": (2, 0, 2),
}
LEGACY = [
    "portainer-official_master_templates-1.20.0.legacy-v1.json",
    "portainer-official_master_templates.legacy-v1.json",
]


def _corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(
            f"{path} is not here (the corpora of real templates.json files sit beside the repository in CI)"
        )
    return path


def _import(path: Path, *extra: str) -> dict[str, Any]:
    result = run_gen("import", "portainer", str(path), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_corpus_imports_with_every_template_mapped_or_refused(
    name: str, catalog_copy: Callable[..., Path]
) -> None:
    path = _corpus(name)
    catalog_copy()
    report = _import(path)
    counts = report["counts"]
    assert (counts["templates"], counts["mapped"], counts["refused"]) == EXPECTED_COUNTS[name]
    for outcome in report["templates"]:
        if outcome["status"] == "refused":
            assert outcome["reason"]
        else:
            assert Path("catalog", outcome["entity"]).is_file()
    validated = run_gen("validate")
    assert validated.exit_code == 0, validated.stderr


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_v1_files_are_refused_clearly(name: str, catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy()
    before = sorted(catalog.rglob("*"))
    result = run_gen("import", "portainer", str(_corpus(name)))
    assert result.exit_code == 1
    assert "is a Portainer 1.x file (a top-level list of templates)" in result.stderr
    assert sorted(catalog.rglob("*")) == before


def test_round_trip_of_the_official_v3_file(catalog_copy: Callable[..., Path]) -> None:
    """Import, build again: each mapped template equals the input but for the listed normalisations."""
    path = _corpus("portainer-official_v3_templates.json")
    catalog_dir = catalog_copy()
    report = _import(path)
    originals = json.loads(path.read_text())["templates"]
    catalog = load_catalog(catalog_dir)
    compared = 0
    for outcome in report["templates"]:
        if outcome["status"] != "mapped":
            continue
        service_id = Path(outcome["entity"]).stem
        rebuilt = container_template(catalog, catalog.services[service_id])
        original = originals[outcome["index"]]
        listed = {key for key, _ in outcome["normalised"]}
        listed |= {danger.split(":", 1)[0] for danger in outcome["dangers"]}  # flagged, left out
        differing = {k for k in set(original) | set(rebuilt) if original.get(k) != rebuilt.get(k)}
        assert differing <= listed, (original["title"], differing - listed)
        compared += 1
    assert compared == 34


def test_import_never_overwrites_unless_forced(catalog_copy: Callable[..., Path]) -> None:
    path = _corpus("portainer-official_v3_templates.json")
    catalog_copy()
    first = _import(path)
    registry = Path("catalog/services/registry.yaml")
    registry.write_text(registry.read_text().replace("Docker image registry", "Edited by hand"))
    second = _import(path)
    assert second["counts"]["mapped"] == 0
    assert any(
        o["reason"] == "services/registry.yaml exists; --force replaces it" for o in second["templates"]
    )
    assert "Edited by hand" in registry.read_text()
    forced = _import(path, "--force")
    assert forced["counts"]["mapped"] == first["counts"]["mapped"]
    assert "Edited by hand" not in registry.read_text()
    assert run_gen("validate").exit_code == 0


def test_text_report_and_bad_files(catalog_copy: Callable[..., Path], tmp_path: Path) -> None:
    catalog_copy()
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "3", "templates": [')
    result = run_gen("import", "portainer", str(bad))
    assert result.exit_code == 1 and "not a JSON file" in result.stderr
    bad.write_text('{"version": 3, "templates": []}')
    assert (
        "version 3 is not a Portainer App Templates version"
        in run_gen("import", "portainer", str(bad)).stderr
    )
    small = tmp_path / "small.json"
    small.write_text(
        json.dumps(
            {
                "version": "2",
                "templates": [
                    {
                        "type": 1,
                        "title": "Echo",
                        "description": None,
                        "image": "busybox",
                        "ports": ["8080/tcp"],
                        "env": [{"name": "MODE", "set": "fast"}],
                        "maintainer": "me",
                    },
                    {
                        "type": 3,
                        "title": "Stack",
                        "description": "d",
                        "repository": {"url": "https://x/y", "stackfile": "a.yml"},
                    },
                ],
            }
        )
    )
    text = run_gen("import", "portainer", str(small)).stdout
    assert "mapped   [0] Echo -> services/echo.yaml" in text
    assert "normalised description: None replaced by the title" in text
    assert "normalised env: MODE: legacy 'set' read as a preset default" in text
    assert "normalised maintainer: unknown key dropped (Portainer drops it too)" in text
    assert "refused  [1] Stack: a stack template deploys a compose file from another repository" in text
    assert text.endswith("2 templates, 1 mapped, 1 refused\n")
    assert run_gen("show", "echo", "--format", "json").exit_code == 0


def _templates(tmp_path: Path, *templates: dict[str, Any]) -> Path:
    path = tmp_path / "templates.json"
    path.write_text(json.dumps({"version": "3", "templates": list(templates)}))
    return path


def test_forcing_an_entry_that_others_use_is_refused_with_what_it_would_break(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The default catalog's IDE waits for Ollama to be healthy: an imported Ollama without a
    healthcheck would break it, so it is refused and nothing changes."""
    from tests.conftest import DEFAULT_CATALOG

    catalog = catalog_copy(DEFAULT_CATALOG)
    before = {p: p.read_bytes() for p in catalog.rglob("*") if p.is_file()}
    ollama = {
        "type": 1,
        "title": "ollama",
        "name": "ollama",
        "image": "ollama/ollama:0.1.0",
        "description": "x",
    }
    report = _import(_templates(tmp_path, ollama), "--force")
    assert report["counts"]["refused"] == 1
    (outcome,) = report["templates"]
    assert outcome["reason"].startswith("would break services/ollama-models.yaml: depends_on[0]:"), outcome
    assert {p: p.read_bytes() for p in catalog.rglob("*") if p.is_file()} == before


def test_forcing_over_a_linked_entry_replaces_the_link_not_its_target(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy()
    web = catalog / "services" / "web.yaml"
    original = catalog / "web-original.txt"  # what the link points to, inside the catalog
    web.rename(original)
    web.symlink_to(Path("..") / original.name)
    assert run_gen("validate").exit_code == 0
    kept = original.read_bytes()
    template = {
        "type": 1,
        "title": "web",
        "name": "web",
        "image": "example/web:3.0",
        "description": "Imported",
    }
    report = _import(_templates(tmp_path, template), "--force")
    assert report["counts"]["mapped"] == 1, report
    assert not web.is_symlink()
    assert "Imported" in web.read_text()
    assert original.read_bytes() == kept  # the link's target is untouched
    assert not list(catalog.rglob(f"{TEMP_PREFIX}*"))  # no temporary file left


@pytest.mark.parametrize(
    ("bind", "readonly", "dangerous"),
    [
        ("/var/run", True, True),  # the Docker socket is reachable through a read-only bind
        ("/run/", True, True),
        ("/run/containerd/containerd.sock", True, True),
        ("/srv/app/control.sock", True, True),
        ("/proc/1/root", True, True),
        ("/etc/cron.d", False, True),
        ("/etc/timezone", True, False),  # read-only configuration is an ordinary bind
        ("/root/.ssh", True, True),
        ("/home/admin/.ssh", True, True),
        ("/dev/sda", True, True),
        ("/", True, True),
        ("/var/lib/docker/volumes", True, True),
        ("//etc/../etc/cron.d", False, True),  # written another way, the same place
        ("/usr/local/bin", False, True),
        ("/srv/media", False, False),
        ("/mnt/photos", True, False),
        ("/home/admin/music", False, False),
    ],
)
def test_a_bind_is_dangerous_by_where_it_leads(bind: str, readonly: bool, dangerous: bool) -> None:
    from generator.importer.portainer import _dangerous_bind

    assert (_dangerous_bind(bind, readonly) is not None) is dangerous, _dangerous_bind(bind, readonly)


def test_a_lone_surrogate_in_a_key_is_printed_escaped(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """What the fuzzer found: JSON's "\\ud800" is a lone surrogate, which no output encoding
    takes. The text report names the dropped key as its escape instead of failing the command
    after the import was written, in-process and as a real process on its stdout."""
    import subprocess
    import sys

    catalog_copy()
    template = {"\ud800": 1, "type": 1, "title": "Odd", "name": "odd-keys", "image": "nginx:1.27.3"}
    path = tmp_path / "templates.json"
    path.write_text(json.dumps({"version": "3", "templates": [template]}))  # ASCII: "\ud800"
    result = run_gen("import", "portainer", str(path))
    assert result.exit_code == 0, result.stderr
    assert "\\ud800" in result.stdout and "odd-keys" in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "generator", "import", "portainer", str(path), "--force"],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr and "\\ud800" in again.stdout
