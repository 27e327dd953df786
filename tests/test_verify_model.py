"""`gen verify`'s model_load baseline against a stand-in Ollama API (no GPU or model here).

The stand-in answers /api/generate the way Ollama documents it: `keep_alive: 0` unloads the model
(done_reason "unload"), an empty prompt loads it (done_reason "load") and takes LOAD_S when it is
not loaded yet, an unknown model is a 404 with {"error": ...}. What is checked is gen's side: the
unload-then-load sequence, the timing, the report and its errors, in Python and in the shell script.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator.catalog.schema import schema_validator
from tests.conftest import ROOT, run_gen

LOAD_S = 0.2
MODEL = "tiny:1b"
EVAL_COUNT, TOKENS_PER_SECOND = 48, 80.0  # what the stand-in generates, and how fast


class StandInOllama(ThreadingHTTPServer):
    loaded: set[str]
    requests: list[dict[str, Any]]


class Handler(BaseHTTPRequestHandler):
    server: StandInOllama

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        model = body.get("model")
        if self.path != "/api/generate":
            return self._answer(404, {"error": "404 page not found"})
        if model != MODEL:
            return self._answer(404, {"error": f"model '{model}' not found"})
        if body.get("keep_alive") == 0:
            self.server.loaded.discard(model)
            return self._answer(200, {"model": model, "response": "", "done": True, "done_reason": "unload"})
        load_ns = 1_000_000  # Ollama's load_duration (nanoseconds): already loaded, a millisecond
        if model not in self.server.loaded:
            time.sleep(LOAD_S)
            self.server.loaded.add(model)
            load_ns = int(LOAD_S * 1e9)
        if not body.get("prompt"):
            answer = {
                "model": model,
                "response": "",
                "done": True,
                "done_reason": "load",
                "load_duration": load_ns,
            }
            return self._answer(200, answer)
        # a generation: Ollama's counters (eval_count tokens in eval_duration nanoseconds)
        tokens = min(body.get("options", {}).get("num_predict", 128), EVAL_COUNT)
        return self._answer(
            200,
            {
                "model": model,
                "response": "one, two, three",
                "done": True,
                "done_reason": "length",
                "load_duration": load_ns,
                "eval_count": tokens,
                "eval_duration": int(tokens / TOKENS_PER_SECOND * 1e9),
            },
        )

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ollama() -> Iterator[StandInOllama]:
    server = StandInOllama(("127.0.0.1", 0), Handler)
    server.loaded, server.requests = set(), []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: StandInOllama) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/"


def measure(runner: str, *args: str) -> tuple[int, dict[str, Any]]:
    """Run model_load with `gen verify` or with dist/scripts/verify-baselines.sh: exit code and
    the baseline's entry of the (schema-valid) JSON report, with the report's model figures."""
    common = ["--only", "model_load", *args]
    if runner == "gen":
        result = run_gen("verify", "--format", "json", *common)
        code, output = result.exit_code, result.stdout
    else:
        script = ROOT / "dist" / "scripts" / "verify-baselines.sh"
        command = ["sh", str(script), "--json", *common]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        code, output = done.returncode, done.stdout
    report = json.loads(output)
    assert not list(schema_validator("verify-report.schema.json").iter_errors(report))
    return code, {
        **next(b for b in report["baselines"] if b["id"] == "model_load"),
        "model": report.get("model"),
    }


RUNNERS = pytest.mark.parametrize("runner", ["gen", "script"])


@RUNNERS
def test_each_load_is_timed_after_an_unload(ollama: StandInOllama, runner: str) -> None:
    ollama.loaded.add(MODEL)  # loaded before: the first run must unload it, or it times nothing
    code, baseline = measure(runner, "--model", MODEL, "--ollama-url", url(ollama), "--runs", "3")
    assert code == 0, baseline
    assert baseline["status"] == "passed"
    assert len(baseline["runs_s"]) == 3
    assert all(LOAD_S <= run < LOAD_S + 2 for run in baseline["runs_s"])
    unload, load = {"model": MODEL, "keep_alive": 0}, {"model": MODEL, "prompt": "", "stream": False}
    if runner == "gen":  # after each load, a short generation for the model's speed
        generate = {
            "model": MODEL,
            "prompt": "Count from one to twenty in words, separated by commas.",
            "stream": False,
            "options": {"num_predict": 64},
        }
        assert ollama.requests == [unload, load, generate] * 3 + [unload]
        assert baseline["model"] == {
            "name": MODEL,
            "load_s": [LOAD_S] * 3,  # Ollama's own load_duration, not gen's clock
            "median_load_s": LOAD_S,
            "tokens_per_second": [TOKENS_PER_SECOND] * 3,
            "median_tokens_per_second": TOKENS_PER_SECOND,
        }
    else:  # the script times the load only
        assert ollama.requests == [unload, load, unload, load, unload, load, unload]
        assert baseline["model"] is None
    assert ollama.loaded == set()  # left unloaded


@RUNNERS
def test_a_missed_target_fails(ollama: StandInOllama, runner: str) -> None:
    target = "model_load=0.01"
    code, baseline = measure(runner, "--model", MODEL, "--ollama-url", url(ollama), "--target", target)
    assert code == 1
    assert baseline["status"] == "failed"
    assert len(baseline["runs_s"]) == 3


@RUNNERS
def test_an_unknown_model_fails_with_ollamas_answer(ollama: StandInOllama, runner: str) -> None:
    code, baseline = measure(runner, "--model", "nope:1b", "--ollama-url", url(ollama))
    assert code == 1
    assert (baseline["status"], baseline["runs_s"]) == ("failed", [])
    assert baseline["reason"] == 'Ollama answered 404: {"error": "model \'nope:1b\' not found"}'


@RUNNERS
def test_an_unreachable_api_is_skipped_with_the_address(runner: str) -> None:
    code, baseline = measure(runner, "--model", MODEL, "--ollama-url", "http://127.0.0.1:9/")
    assert code == 0
    assert baseline["status"] == "skipped"
    assert baseline["reason"].startswith("the Ollama API is not reachable at http://127.0.0.1:9/api/generate")


def test_the_script_writes_the_textfile_as_gen_verify_does(ollama: StandInOllama, tmp_path: Path) -> None:
    """verify-baselines.sh --textfile: the same metrics, help texts and labels as `gen verify
    --textfile`, for the measured baselines only, in a file replaced whole."""
    from generator.verify.report import TEXTFILE, TEXTFILE_METRICS

    script = ROOT / "dist" / "scripts" / "verify-baselines.sh"
    command = ["sh", str(script), "--only", "model_load", "--model", MODEL, "--ollama-url", url(ollama)]
    done = subprocess.run([*command, "--textfile", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    written = tmp_path / TEXTFILE
    assert oct(written.stat().st_mode & 0o777) == "0o644"
    assert sorted(p.name for p in tmp_path.iterdir()) == [TEXTFILE]  # no partial file left
    lines = written.read_text().splitlines()
    for name, help_text in TEXTFILE_METRICS.items():
        assert f"# HELP {name} {help_text}" in lines and f"# TYPE {name} gauge" in lines
    values = {line.split("{")[0]: line.rsplit(" ", 1)[1] for line in lines if not line.startswith("#")}
    labels = 'baseline="model_load",measured_stack="ai",variant="cpu"'
    assert all(f"{{{labels}}}" in line for line in lines if not line.startswith("#"))
    assert len([line for line in lines if not line.startswith("#")]) == 4  # the skipped ones have none
    assert LOAD_S <= float(values["ai_stack_baseline_seconds"]) < LOAD_S + 2
    assert (values["ai_stack_baseline_target_seconds"], values["ai_stack_baseline_passed"]) == ("300", "1")
