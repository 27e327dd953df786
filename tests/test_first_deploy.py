"""What a first deploy on a fresh host needs from the generated files, read from the committed
dist/ (the real programs prove the behaviour in tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.catalog.checks.images import image_registry, local_only_registry
from tests.conftest import ROOT

DIST = ROOT / "dist"
STACK_FILES = sorted([*DIST.glob("stacks/*/*/compose.yaml"), *DIST.glob("stacks/*/*/swarm.yaml")])


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


def _ai(variant: str = "cpu") -> dict[str, Any]:
    services: dict[str, Any] = _load(DIST / "stacks" / "ai" / variant / "compose.yaml")["services"]
    return services


@pytest.mark.parametrize(
    ("reference", "registry", "local"),
    [
        ("ollama/ollama:0.12.6", "docker.io", False),
        ("ghcr.io/open-webui/open-webui:v0.6.34", "ghcr.io", False),
        ("registry.lan:5000/team/app:1", "registry.lan:5000", False),
        ("localhost/zfs-exporter:2.3.11", "localhost", True),
        ("localhost:5000/app:1", "localhost:5000", True),
        ("127.0.0.1:5000/app:1", "127.0.0.1:5000", True),
        ("build.localhost/app:1", "build.localhost", True),
        ("library/localhost:1", "docker.io", False),
    ],
)
def test_image_registries(reference: str, registry: str, local: bool) -> None:
    assert image_registry(reference) == registry
    assert (local_only_registry(reference) is not None) == local


def test_every_image_the_generated_files_name_can_be_pulled() -> None:
    """No file may name an image that only the deploying host could serve (nothing builds it)."""
    assert STACK_FILES
    named: list[tuple[str, str]] = []
    for path in STACK_FILES:
        for name, service in _load(path)["services"].items():
            assert "build" not in service, f"{path}: {name} is built, not pulled"
            named.append((f"{path.relative_to(DIST)}:{name}", service["image"]))
    for template in json.loads((DIST / "templates.json").read_text())["templates"]:
        if "image" in template:
            named.append((f"templates.json:{template['title']}", template["image"]))
    local = [(where, image) for where, image in named if local_only_registry(image)]
    assert not local, local


def test_nobody_can_claim_open_webui_or_portainer_first() -> None:
    """Both make their administrator at the first start from `gen secrets`' env file (Open WebUI's
    WEBUI_ADMIN_*, Portainer's --admin-password-file), and Open WebUI refuses sign-ups while
    ENABLE_SIGNUP is false; the real Open WebUI and a stand-in Portainer prove it in
    tests/integration."""
    environment = _ai()["open-webui"]["environment"]
    assert environment["WEBUI_ADMIN_PASSWORD"].startswith("${WEBUI_ADMIN_PASSWORD:?")
    assert environment["ENABLE_SIGNUP"].endswith(":-false}")
    # read at every start, not only the first (tests/integration/test_open_webui_settings.py)
    assert environment["ENABLE_PERSISTENT_CONFIG"].endswith(":-false}")
    management = _load(DIST / "stacks" / "management" / "cpu" / "compose.yaml")
    portainer = management["services"]["portainer"]
    flag = portainer["command"].index("--admin-password-file")
    (secret,) = portainer["secrets"]
    assert portainer["command"][flag + 1] == secret["target"]
    assert management["secrets"][secret["source"]] == {"environment": "PORTAINER_ADMIN_PASSWORD"}
    assert "environment" not in portainer  # a file, never a variable
    swarm = _load(DIST / "stacks" / "management" / "cpu" / "swarm.yaml")["services"]["portainer"]
    assert "--admin-password-file" not in swarm["command"] and "secrets" not in swarm


def test_open_webui_start_up_needs_no_download() -> None:
    """Its data folder is an empty dataset on a network with no route out: embeddings come from
    Ollama, and Hugging Face is never asked."""
    environment = _ai()["open-webui"]["environment"]
    assert environment["RAG_EMBEDDING_ENGINE"].endswith(":-ollama}")
    assert environment["OFFLINE_MODE"].endswith(":-true}")
    embed = environment["RAG_EMBEDDING_MODEL"].split(":-", 1)[1].rstrip("}")
    catalog = json.loads((DIST / "catalog.json").read_text())
    ollama_models = {m["model"]: m["roles"] for m in catalog["services"]["ollama"]["models"]}
    assert "embed" in ollama_models[embed]


@pytest.mark.parametrize("variant", ["cpu", "nvidia", "amd"])
def test_the_ide_starts_after_continue_is_installed(variant: str) -> None:
    services = _ai(variant)
    ide, installer = services["continue-dev"], services["continue-extension"]
    assert ide["depends_on"]["continue-extension"] == {"condition": "service_completed_successfully"}
    assert installer["restart"] == "no"
    assert installer["image"] == ide["image"]  # installed by the code-server that runs it
    assert installer["volumes"][0]["source"] == ide["volumes"][0]["source"]  # the same home
    extension = installer["environment"]["CONTINUE_EXTENSION"]
    assert extension.startswith("${CONTINUE_EXTENSION:-Continue.continue@")
    # only the installer may reach out; the IDE stays on the internal AI network
    assert set(installer["networks"]) == {"ai-egress"}
    assert set(ide["networks"]) == {"ai"}


def test_only_the_proxy_and_portainer_are_published_on_the_lan() -> None:
    """Ports that would bypass the proxy's login (Ollama's API, cAdvisor, the blackbox exporter,
    whose /probe makes requests for anyone, the NVIDIA exporter) are on 127.0.0.1 only."""
    on_the_lan = set()
    for path in DIST.glob("stacks/*/*/compose.yaml"):
        for name, service in _load(path)["services"].items():
            for spec in service.get("ports", []):  # [host_ip:]published:target/protocol
                parts = spec.split("/")[0].split(":")
                if len(parts) == 2 or parts[0] == "0.0.0.0":
                    on_the_lan.add((name, int(parts[-2])))
    assert on_the_lan == {("caddy", 443), ("caddy", 80), ("portainer", 9443)}


def test_default_limits_fit_a_four_core_host() -> None:
    """Docker refuses a CPU limit above the host's cores, and then the whole `up` fails."""
    catalog = json.loads((DIST / "catalog.json").read_text())
    cpus = {s["id"]: s["limits"]["cpus"] for s in catalog["services"].values()}
    assert max(cpus.values()) <= 4, cpus
