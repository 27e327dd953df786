"""Locality: a stack's files depend only on the services it runs and what they reach over their
networks. Adding unrelated stacks (each an Ollama-like server and an IDE on a network of their
own) leaves every file of the default catalog's stacks byte-identical, and each IDE's Continue
config lists only the server it can reach."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from tests.conftest import DEFAULT_CATALOG, run_gen

COPIES = 12


def _add_unrelated_stack(catalog: Path, n: int, api: str = "ollama") -> None:
    subnet = f"10.{100 + n}.0"
    (catalog / "networks" / f"lab{n}.yaml").write_text(
        f"id: lab{n}\ntitle: Lab {n}\ndescription: A lab network.\ntype: bridge\nname: lab{n}-net\n"
        f"subnet: {subnet}.0/24\ngateway: {subnet}.1\ninternal: true\n"
    )
    common = (
        "categories: [AI]\nresources:\n  limits: {cpus: 1, memory: 8g}\nportainer:\n  standalone: false\n"
    )
    (catalog / "services" / f"llm{n}.yaml").write_text(
        f"id: llm{n}\ntitle: LLM {n}\ndescription: A model server.\nimage: example/llm:1.0\n"
        f"ports:\n  - {{name: api, container: 8000}}\nnetworks:\n  lab{n}: {{ipv4_address: {subnet}.10}}\n"
        f"model_api: {api}\nmodels:\n"
        f"  - {{model: lab{n}-model, title: Lab {n} model, roles: [chat], size: 1G}}\n"
        "healthcheck:\n  none: A test server.\n" + common
    )
    (catalog / "services" / f"ide{n}.yaml").write_text(
        f"id: ide{n}\ntitle: IDE {n}\ndescription: An IDE.\nimage: example/ide:1.0\n"
        f"networks:\n  lab{n}: {{ipv4_address: {subnet}.12}}\n"
        "volumes:\n  - {generated: continue-config.yaml, target: /etc/continue/config.yaml}\n"
        "healthcheck:\n  none: A test IDE.\n" + common
    )
    (catalog / "stacks" / f"lab{n}.yaml").write_text(
        f"id: lab{n}\ntitle: Lab {n}\ndescription: A lab stack.\nservices: [llm{n}, ide{n}]\n"
        f"template_ids: {{cpu: {500 + n}}}\nswarm_template_ids: {{cpu: {700 + n}}}\n"
    )


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "stacks").rglob("*")) if p.is_file()
    }


def test_unrelated_stacks_leave_every_existing_stack_file_unchanged(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    assert run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "before")).exit_code == 0
    before = _files(tmp_path / "before")
    for n in range(COPIES):
        _add_unrelated_stack(catalog, n, "openai" if n % 2 else "ollama")
    result = run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "after"))
    assert result.exit_code == 0, result.stderr
    after = _files(tmp_path / "after")
    assert {name: after.get(name) for name in before} == before
    assert len(after) > len(before)


def test_each_ide_lists_only_the_server_it_can_reach(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    for n in range(3):
        _add_unrelated_stack(catalog, n, "openai" if n == 1 else "ollama")
    assert run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "out")).exit_code == 0
    yaml = YAML(typ="safe")
    for n, (provider, api_base) in enumerate(
        [("ollama", "http://llm0:8000"), ("openai", "http://llm1:8000/v1"), ("ollama", "http://llm2:8000")]
    ):
        config = yaml.load(
            (tmp_path / "out" / "stacks" / f"lab{n}" / "cpu" / "continue-config.yaml").read_text()
        )
        assert [(m["model"], m["provider"], m["apiBase"]) for m in config["models"]] == [
            (f"lab{n}-model", provider, api_base)
        ]
    default = yaml.load((tmp_path / "out" / "stacks" / "ai" / "cpu" / "continue-config.yaml").read_text())
    assert {m["apiBase"] for m in default["models"]} == {"http://ollama:11434"}


def test_open_webui_connects_to_the_servers_it_reaches_by_their_api(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """Open WebUI's connection settings follow model_api: an OpenAI-compatible server added to the
    AI network becomes an OpenAI connection (and turns that API on), Ollama stays an Ollama one,
    and a server on another network changes nothing."""
    catalog = catalog_copy(DEFAULT_CATALOG)
    _add_unrelated_stack(catalog, 0, "openai")  # on its own network: Open WebUI cannot reach it
    llama = (catalog / "services" / "llm0.yaml").read_text()
    (catalog / "services" / "llama.yaml").write_text(
        llama.replace("id: llm0", "id: llama")
        .replace("lab0: {ipv4_address: 10.100.0.10}", "ai: {ipv4_address: 172.20.0.30}")
        .replace("model: lab0-model", "model: qwen2.5-coder")
    )
    stack = catalog / "stacks" / "ai.yaml"
    stack.write_text(stack.read_text().replace("services: [", "services: [llama, ", 1))
    assert "services: [llama, " in stack.read_text()
    result = run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.stderr
    compose = YAML(typ="safe").load((tmp_path / "out" / "stacks" / "ai" / "cpu" / "compose.yaml").read_text())
    environment = compose["services"]["open-webui"]["environment"]
    assert environment["OLLAMA_BASE_URLS"] == "${OLLAMA_BASE_URLS:-http://ollama:11434}"
    assert environment["OLLAMA_BASE_URL"] == "${OLLAMA_BASE_URL:-http://ollama:11434}"
    assert environment["ENABLE_OLLAMA_API"] == "${ENABLE_OLLAMA_API:-true}"
    assert environment["OPENAI_API_BASE_URLS"] == "${OPENAI_API_BASE_URLS:-http://llama:8000/v1}"
    assert environment["ENABLE_OPENAI_API"] == "${ENABLE_OPENAI_API:-true}"
    ide = YAML(typ="safe").load(
        (tmp_path / "out" / "stacks" / "ai" / "cpu" / "continue-config.yaml").read_text()
    )
    assert {(m["provider"], m["apiBase"]) for m in ide["models"]} >= {("openai", "http://llama:8000/v1")}


def test_without_an_openai_server_open_webui_keeps_that_api_off() -> None:
    compose = YAML(typ="safe").load((DEFAULT_CATALOG.parent / "dist/stacks/ai/cpu/compose.yaml").read_text())
    environment = compose["services"]["open-webui"]["environment"]
    assert environment["ENABLE_OPENAI_API"] == "${ENABLE_OPENAI_API:-false}"  # not api.openai.com
    assert environment["OPENAI_API_BASE_URLS"] == "${OPENAI_API_BASE_URLS:-}"
