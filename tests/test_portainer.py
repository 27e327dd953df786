"""Portainer App Templates: strict schemas, Portainer's decoding rules, stable ids, the corpora."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.catalog.schema import schema_validator
from generator.plan import plan as make_plan
from generator.render.portainer import build_templates
from tests.conftest import DEFAULT_CATALOG, ROOT, SHARED, run_gen
from tests.portainer_decode import portainer_errors

CORPORA = SHARED / "corpora"
V3 = "portainer-templates-v3.schema.json"
V2 = "portainer-templates-v2.schema.json"


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _schema_errors(document: Any, schema: str) -> list[str]:
    errors = schema_validator(schema).iter_errors(document)
    return sorted(f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors)


def _corpus(name: str) -> Path:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(
            f"{path} is not here (the corpora of real templates.json files sit beside the repository in CI)"
        )
    return path


@pytest.mark.parametrize(("file_name", "schema"), [("templates.json", V3), ("templates-v2.json", V2)])
def test_our_templates_pass_our_schema_and_portainers_decoder(file_name: str, schema: str) -> None:
    document = _load(ROOT / "dist" / file_name)
    assert _schema_errors(document, schema) == []
    assert portainer_errors(document) == []


def test_default_catalog_templates() -> None:
    document = _load(ROOT / "dist" / "templates.json")
    by_id = {t["id"]: t for t in document["templates"]}
    assert document["version"] == "3"
    assert sorted(by_id) == [1, 2, 3, 4, 5, 6, 7, 10, 13, 21, 22, 23, 24, 25, 26]
    nvidia = by_id[2]
    assert (nvidia["type"], nvidia["name"], nvidia["title"]) == (3, "ai", "AI stack (NVIDIA GPU)")
    assert nvidia["repository"] == {
        "url": "https://github.com/homelab-ai/ai-stack",
        "stackfile": "dist/stacks/ai/nvidia/compose.yaml",
    }
    assert (ROOT / nvidia["repository"]["stackfile"]).is_file()  # the committed compose file
    env = {e["name"]: e for e in nvidia["env"]}
    assert "default" not in env["WEBUI_SECRET_KEY"]  # the user must type the secret
    assert env["OLLAMA_KEEP_ALIVE"]["default"] == "30m"
    assert [o for o in env["DEFAULT_USER_ROLE"]["select"] if o["default"]] == [
        {"text": "pending", "value": "pending", "default": True}
    ]
    assert "ZFS_ALTROOT" not in env  # an empty default would block Portainer's form
    ollama = by_id[10]
    assert (ollama["type"], ollama["image"]) == (1, "ollama/ollama:0.32.15")
    # the API is published on 127.0.0.1 only: a template cannot say so, and "11434/tcp" would
    # publish it on a random port of every interface, so the template publishes nothing
    assert "ports" not in ollama
    assert "Not published on the host: 11434/tcp" in ollama["note"]
    assert {"container": "/root/.ollama", "bind": "/srv/ai/models"} in ollama["volumes"]


def test_v2_file_is_v3_without_ids() -> None:
    v3 = _load(ROOT / "dist" / "templates.json")["templates"]
    v2 = _load(ROOT / "dist" / "templates-v2.json")
    assert v2["version"] == "2"
    assert v2["templates"] == [{k: v for k, v in t.items() if k != "id"} for t in v3]


def test_portainer_starts_with_this_catalogs_templates_url() -> None:
    text = (ROOT / "dist" / "stacks" / "management" / "cpu" / "compose.yaml").read_text()
    assert "- --templates\n      - https://homelab-ai.github.io/ai-stack/templates.json\n" in text


def test_ids_are_stable_when_entries_are_added_removed_or_reordered(
    catalog_copy: Callable[..., Path],
) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    before = {
        t["title"]: t["id"] for t in build_templates(make_plan(load_catalog(catalog_dir)), "3")["templates"]
    }
    monitoring = catalog_dir / "stacks" / "monitoring.yaml"
    text = monitoring.read_text()
    monitoring.write_text(  # reorder the services and drop the node exporter
        text.replace(
            "services: [prometheus, alertmanager, cadvisor, portainer-probe, nvidia-exporter, node-exporter]",
            "services: [nvidia-exporter, alertmanager, portainer-probe, cadvisor, prometheus]",
        )
    )
    (catalog_dir / "services" / "node-exporter.yaml").unlink()
    extra = "id: extra\ntitle: Extra\ndescription: A new stack.\nservices: [open-webui-2]\n"
    (catalog_dir / "stacks" / "extra.yaml").write_text(extra + "template_ids: {cpu: 20}\n")
    webui = (catalog_dir / "services" / "open-webui.yaml").read_text()
    webui = re.sub(r"^depends_on:\n(?:  .*\n)+", "", webui, flags=re.M)  # in a stack without ollama
    (catalog_dir / "services" / "open-webui-2.yaml").write_text(
        webui.replace("id: open-webui", "id: open-webui-2")
        .replace("172.20.0.11", "172.20.0.21")
        .replace("expose:\n  port: http\n  host: chat\n", "expose:\n  port: http\n  host: chat-2\n")
    )
    after = {
        t["title"]: t["id"] for t in build_templates(make_plan(load_catalog(catalog_dir)), "3")["templates"]
    }
    assert after.pop("Extra") == 20
    del before["Node exporter"]
    assert after == before


def test_template_id_problems_are_refused(catalog_copy: Callable[..., Path]) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    stack = catalog_dir / "stacks" / "management.yaml"
    stack.write_text(stack.read_text().replace("template_ids: {cpu: 6}", "template_ids: {cpu: 2, amd: 7}"))
    result = run_gen("validate")
    assert result.exit_code == 1
    assert (
        "catalog/stacks/management.yaml:6:21: error: template_ids.cpu: template id 2 is already used by "
        "stack 'ai' (template_ids.nvidia); the next free id is 27"
    ) in result.stderr
    assert "template_ids.amd: the stack has no amd variant (its variants: cpu)" in result.stderr


def test_official_v3_corpus_passes_our_schema_and_decoder() -> None:
    document = _load(_corpus("portainer-official_v3_templates.json"))
    assert _schema_errors(document, V3) == []
    assert portainer_errors(document) == []


def test_invalid_v3_corpus_is_rejected_naming_the_bad_fields() -> None:
    document = _load(_corpus("xneo1_template3.invalid-v3.json"))
    errors = _schema_errors(document, V3)
    assert any(e.startswith("templates/0: 'id' is a required property") for e in errors)
    assert any(e.startswith("templates/0/type: 'container' is not one of [1, 2, 3]") for e in errors)
    assert any(e.startswith("templates/0/ports/0: {") and "is not of type 'string'" in e for e in errors)
    decoded = portainer_errors(document)
    assert "templates[0].type: cannot unmarshal str into Go value of type int" in decoded


def test_decoder_emulation_catches_what_portainer_rejects() -> None:
    good = {
        "version": "3",
        "templates": [{"id": 1, "type": 1, "title": "t", "description": "d", "image": "x:1"}],
    }
    assert portainer_errors(good) == []
    for key, value in [("privileged", "true"), ("type", "1"), ("id", 1.5), ("categories", "AI")]:
        bad = json.loads(json.dumps(good))
        bad["templates"][0][key] = value
        assert portainer_errors(bad), key
        assert _schema_errors(bad, V3), key
    assert portainer_errors({"version": 3, "templates": []})
    assert portainer_errors({**good, "version": "4"}) == ["version '4': Unsupported template version"]
