"""The AI stack as generated, with the REAL Open WebUI (the PyPI release the catalog pins, in an
image laid out as upstream's: tests/real_images.py) and a stand-in Ollama that speaks Ollama's
HTTP API (tests/ollama_standin.py: Ollama cannot run here, there is no GPU and no model).

What a first deploy needs: the administrator of the env file signs in, a sign-up is refused, the
models Ollama has are listed, a document upload is embedded through Ollama, and start-up never
reaches for a download (the AI network has no route out)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import compose, engine, prepared_host

pytestmark = [pytest.mark.docker]
STACK = ROOT / "dist" / "stacks" / "ai" / "cpu" / "compose.yaml"


def _container(client: Any, service: str) -> Any:
    return client.containers.list(filters={"label": f"ai-stack.service={service}"})[0]


def _curl(container: Any, *args: str) -> tuple[int, Any]:
    """An HTTP call from inside Open WebUI's container (its real curl): status and JSON body."""
    result = container.exec_run(["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", *args])
    output = result.output.decode()
    assert result.exit_code == 0, output
    body, _, status = output.rpartition("\n")
    try:
        return int(status), json.loads(body) if body.strip() else None
    except ValueError:
        return int(status), body


def _post(container: Any, url: str, payload: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    headers = ["-H", "Content-Type: application/json"]
    if token:
        headers += ["-H", f"Authorization: Bearer {token}"]
    return _curl(container, "-X", "POST", *headers, "-d", json.dumps(payload), url)


def test_first_admin_models_and_upload_with_the_real_open_webui(tmp_path: Path) -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    client = engine()
    env_files = prepared_host(client, catalog, tmp_path)
    try:
        compose("-f", str(STACK), "up", "-d", "--wait", "--wait-timeout", "300", env_file=env_files["ai"])
        webui = _container(client, "open-webui")
        version = webui.exec_run(
            ["python3", "-c", "import importlib.metadata as m; print(m.version('open-webui'))"]
        )
        assert version.output.decode().strip() == catalog.services["open-webui"].image.rsplit(":v", 1)[1]

        # the administrator of the env file exists from the first start; a visitor claims nothing
        settings = dict(
            line.split("=", 1) for line in env_files["ai"].read_text().splitlines() if "=" in line
        )
        admin = {"email": "admin@home.arpa", "password": settings["WEBUI_ADMIN_PASSWORD"]}
        assert "WEBUI_ADMIN_EMAIL" not in settings  # the catalog's default
        status, body = _post(webui, "http://localhost:8080/api/v1/auths/signin", admin)
        assert status == 200, body
        assert body["role"] == "admin"
        token = body["token"]
        intruder = {"name": "Eve", "email": "eve@example.org", "password": "second-pw"}
        status, body = _post(webui, "http://localhost:8080/api/v1/auths/signup", intruder)
        assert status == 403, body

        # the connections the catalog derives from model_api: Ollama by name, the OpenAI API off
        status, body = _curl(
            webui, "-H", f"Authorization: Bearer {token}", "http://localhost:8080/ollama/config"
        )
        assert status == 200, body
        assert body["ENABLE_OLLAMA_API"] is True and body["OLLAMA_BASE_URLS"] == ["http://ollama:11434"]
        status, body = _curl(
            webui, "-H", f"Authorization: Bearer {token}", "http://localhost:8080/openai/config"
        )
        assert status == 200, body
        assert body["ENABLE_OPENAI_API"] is False, body

        # the stack's own job had Ollama (the stand-in) pull the catalog's models, as deployed from
        # Portainer's template too, by name over the AI network
        job = _container(client, "ollama-models")  # healthy (up --wait waited) once they are there
        assert job.attrs["State"]["Health"]["Status"] == "healthy", job.logs().decode()
        models = [m.model for m in catalog.services["ollama"].models]
        log = job.logs().decode()
        assert [f"ollama-models: pulling {m} from http://ollama:11434" in log for m in models] == [
            True
        ] * len(models)
        status, body = _curl(webui, "http://ollama:11434/api/tags")
        tagged = {m if ":" in m else f"{m}:latest" for m in models}  # as Ollama names them
        assert status == 200 and {m["name"] for m in body["models"]} >= tagged, body
        status, body = _curl(
            webui, "-H", f"Authorization: Bearer {token}", "http://localhost:8080/api/models"
        )
        assert status == 200, body
        listed = {m["id"] for m in body["data"]}
        assert "llama3.1:8b" in listed, listed

        # a document upload is embedded by Ollama's embedding model, offline
        webui.exec_run(["sh", "-c", "echo 'The ai-models dataset uses recordsize 1M.' > /tmp/note.txt"])
        status, body = _curl(
            webui,
            "-H",
            f"Authorization: Bearer {token}",
            "-F",
            "file=@/tmp/note.txt;type=text/plain",
            "http://localhost:8080/api/v1/files/",
        )
        assert status == 200, body
        ollama = _container(client, "ollama")
        deadline = time.monotonic() + 90  # the upload is processed in the background
        while "POST /api/embed" not in ollama.logs().decode() and time.monotonic() < deadline:
            time.sleep(2)
        assert "POST /api/embed" in ollama.logs().decode(), webui.logs().decode()[-3000:]

        # nothing tried to download a model at start-up or upload
        log = webui.logs().decode()
        assert "huggingface.co" not in log
        cache = webui.exec_run(["ls", "/app/backend/data/cache/embedding/models"])
        assert cache.exit_code != 0 or not cache.output.strip()
    finally:
        compose("-f", str(STACK), "down", "--timeout", "5", env_file=env_files["ai"], check=False)
