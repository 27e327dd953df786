"""A stand-in for Ollama's HTTP API (Ollama itself cannot be installed here: no GPU, no model).

Standard library only: it runs inside the stand-in `ollama/ollama` image (tests/real_images.py)
as `ollama serve`. It speaks the part of the API that Open WebUI, Continue and `gen verify` call,
as Ollama documents it (docs/api.md, checked against Ollama 0.12): GET / ("Ollama is running"),
/api/version, /api/tags, /api/ps; POST /api/pull (NDJSON progress, ends with "success"),
/api/show, /api/generate and /api/chat (a fixed answer; streamed as NDJSON unless "stream":
false), /api/embed and /api/embeddings; DELETE /api/delete. Unknown models answer 404
{"error": "model '<name>' not found"}; a pull of a name starting with "no-such-model" fails as a
pull of a name missing from Ollama's library does. Pulled models are kept in $OLLAMA_MODELS (default
~/.ollama/models) so they survive a restart, as real pulls do; nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

VERSION = os.environ.get("STANDIN_OLLAMA_VERSION", "0.32.15")
ANSWER = "Hello from the stand-in Ollama."
UNKNOWN_PREFIX = "no-such-model"  # pulls of these fail, as pulls of a name not in Ollama's library do


def _models_file() -> Path:
    folder = Path(os.environ.get("OLLAMA_MODELS", Path.home() / ".ollama" / "models"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "standin-models.json"


def _load() -> dict[str, Any]:
    path = _models_file()
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _save(models: dict[str, Any]) -> None:
    path = _models_file()
    path.with_suffix(".tmp").write_text(json.dumps(models))
    path.with_suffix(".tmp").replace(path)


def _full_name(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def _entry(name: str) -> dict[str, Any]:
    family = name.split(":")[0].split("/")[-1]
    return {
        "name": name,
        "model": name,
        "modified_at": _now(),
        "size": 1024,
        "digest": "0" * 64,
        "details": {
            "format": "gguf",
            "family": family,
            "parameter_size": "1B",
            "quantization_level": "Q4_K_M",
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._send(200, b"", "text/plain")

    def do_GET(self) -> None:
        if self.path == "/":
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif self.path == "/api/version":
            self._json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            self._json(200, {"models": list(_load().values())})
        elif self.path == "/api/ps":
            self._json(200, {"models": []})
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_DELETE(self) -> None:
        body = self._body()
        models = _load()
        name = _full_name(str(body.get("model") or body.get("name") or ""))
        if self.path != "/api/delete" or name not in models:
            self._json(404, {"error": f"model '{name}' not found"})
            return
        del models[name]
        _save(models)
        self._send(200, b"", "text/plain")

    def do_POST(self) -> None:
        body = self._body()
        name = _full_name(str(body.get("model") or body.get("name") or ""))
        stream = body.get("stream", True) is not False
        if self.path == "/api/pull":
            self._pull(name, stream)
            return
        known = _load()
        if name not in known:
            self._json(404, {"error": f"model '{name}' not found"})
        elif self.path == "/api/show":
            self._json(
                200, {"modelfile": f"FROM {name}", "details": known[name]["details"], "model_info": {}}
            )
        elif self.path in ("/api/generate", "/api/chat"):
            self._answer(name, self.path == "/api/chat", stream)
        elif self.path == "/api/embed":
            self._json(200, {"model": name, "embeddings": [[0.1, 0.2, 0.3] for _ in _inputs(body)]})
        elif self.path == "/api/embeddings":
            self._json(200, {"embedding": [0.1, 0.2, 0.3]})
        else:
            self._send(404, b"404 page not found", "text/plain")

    def _pull(self, name: str, stream: bool) -> None:
        if name.startswith(UNKNOWN_PREFIX):  # as Ollama answers for a name its library lacks
            error = {"error": "pull model manifest: file does not exist"}
            self._ndjson([{"status": "pulling manifest"}, error]) if stream else self._json(500, error)
            return
        steps: list[dict[str, Any]] = [
            {"status": "pulling manifest"},
            {
                "status": f"pulling {'0' * 12}",
                "digest": "sha256:" + "0" * 64,
                "total": 1024,
                "completed": 1024,
            },
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "success"},
        ]
        models = _load()
        models[name] = _entry(name)
        _save(models)
        if stream:
            self._ndjson(steps)
        else:
            self._json(200, steps[-1])

    def _answer(self, name: str, chat: bool, stream: bool) -> None:
        def part(text: str, done: bool) -> dict[str, Any]:
            key = {"message": {"role": "assistant", "content": text}} if chat else {"response": text}
            return {"model": name, "created_at": _now(), **key, "done": done}

        if stream:
            words = ANSWER.split(" ")
            self._ndjson([*(part(w + " ", False) for w in words), {**part("", True), "done_reason": "stop"}])
        else:
            self._json(200, {**part(ANSWER, True), "done_reason": "stop", "total_duration": 1000})

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json; charset=utf-8")

    def _ndjson(self, lines: list[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        self._send(200, data, "application/x-ndjson")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        print(
            f"stand-in ollama: {self.command} {self.path} -> {args[1] if len(args) > 1 else ''}", flush=True
        )


def _inputs(body: dict[str, Any]) -> list[Any]:
    value = body.get("input", "")
    return value if isinstance(value, list) else [value]


def main() -> None:
    host, _, port = os.environ.get("OLLAMA_HOST", "127.0.0.1:11434").rpartition(":")
    server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
    print(f"stand-in ollama {VERSION} listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
