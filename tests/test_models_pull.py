"""`gen models pull` against the stand-in Ollama API (tests/ollama_standin.py; Ollama itself
cannot run here): pulls what is missing with progress, keeps what is there, reports failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.hosts.models import stack_models
from tests import ollama_standin
from tests.conftest import DEFAULT_CATALOG, run_gen


@dataclass
class StandIn:
    url: str
    requests: list[str]


@pytest.fixture
def ollama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "models"))
    requests: list[str] = []

    class Logged(ollama_standin.Handler):
        def log_message(self, format: str, *args: object) -> None:
            requests.append(f"{self.command} {self.path}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Logged)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield StandIn(f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()


def _pull(url: str, *extra: str) -> tuple[int, str, str]:
    result = run_gen("models", "pull", "--catalog", str(DEFAULT_CATALOG), "--ollama-url", url, *extra)
    return result.exit_code, result.stdout, result.stderr


def test_pulls_what_is_missing_then_keeps_it(ollama: StandIn) -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    expected, skipped = stack_models(catalog, [catalog.stacks["ai"]])
    assert "llama3.1:8b" in expected and "nomic-embed-text" in expected
    code, out, err = _pull(ollama.url)
    assert code == 0, err
    assert out.splitlines() == [f"pulled  {model}" for model in expected] + [
        f"skipped {s.model}: {s.message}" for s in skipped
    ]
    assert "llama3.1:8b: pulling manifest" in err and "llama3.1:8b: success" in err
    assert "llama3.1:8b: pulling 000000000000 100% of 0.0 GB" in err
    assert ollama.requests.count("POST /api/pull") == len(expected)
    code, out, err = _pull(ollama.url, "--format", "json")
    assert code == 0
    assert json.loads(out)[: len(expected)] == [
        {"model": m, "status": "present", "message": ""} for m in expected
    ]
    assert err == ""
    assert ollama.requests.count("POST /api/pull") == len(expected)  # nothing pulled again


def test_a_model_ollama_cannot_find_fails_and_the_others_are_pulled(
    ollama: StandIn, catalog_copy: Callable[..., Path]
) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    service = catalog / "services" / "ollama.yaml"
    service.write_text(service.read_text().replace("model: qwen2.5-coder:1.5b", "model: no-such-model:1b"))
    result = run_gen("models", "pull", "--catalog", str(catalog), "--ollama-url", ollama.url)
    assert result.exit_code == 1
    assert "failed  no-such-model:1b: pull model manifest: file does not exist" in result.stdout
    assert "pulled  llama3.1:8b" in result.stdout


def test_an_unreachable_ollama_is_one_clear_line() -> None:
    code, _, err = _pull("http://127.0.0.1:9")
    assert code == 1
    assert err.startswith("error: Ollama's API did not answer at http://127.0.0.1:9/api/tags")
    assert "Traceback" not in err


def test_a_model_larger_than_its_servers_memory_limit_is_not_pulled(ollama: StandIn, tmp_path: Path) -> None:
    """Ollama takes its container's memory limit as the host's memory: a model that does not
    fit the limit the host's env file sets would be loaded anyway and fail, so it is left out,
    with how to get it."""
    env_file = tmp_path / "ai.env"
    env_file.write_text("OLLAMA_MEMORY=4g\n")
    code, out, _ = _pull(ollama.url, "--env-file", str(env_file))
    assert code == 0
    assert "skipped llama3.1:8b: 5G does not fit OLLAMA_MEMORY=4g: set a larger OLLAMA_MEMORY" in out
    assert "pulled  qwen2.5-coder:1.5b" in out and "pulled  llama3.1:8b" not in out
    env_file.write_text("OLLAMA_MEMORY=\n")  # empty: the catalog's limit, which holds it
    code, out, _ = _pull(ollama.url, "--env-file", str(env_file))
    assert code == 0 and "pulled  llama3.1:8b" in out
