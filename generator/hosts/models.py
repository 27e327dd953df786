"""`gen models pull`: make Ollama hold every model the catalog lists for a stack.

Idempotent: the models Ollama already has (GET /api/tags) are left alone; the others are pulled
one at a time with POST /api/pull, whose NDJSON progress lines are reported as they arrive.
Ollama itself downloads (over its egress network); this only asks it to, on its API.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from generator.catalog.model import Catalog, Stack
from generator.catalog.variables import limit_variables
from generator.envfile import setting
from generator.errors import GenError
from generator.escape import terminal_text
from generator.units import docker_bytes, zfs_bytes


@dataclass(frozen=True)
class Pulled:
    model: str
    status: str  # present | pulled | failed | skipped
    message: str = ""


class OllamaUnreachable(GenError):
    """Ollama's API did not answer at all (wrong URL, stack not running)."""


def stack_models(
    catalog: Catalog, stacks: list[Stack], settings: dict[str, str] | None = None
) -> tuple[list[str], list[Pulled]]:
    """The models the stacks' Ollama servers list (model_api: ollama), in catalog order, each
    once, and those left out: a model larger than its server's memory limit (the env file's
    `settings`, else the catalog's) cannot be loaded there, so it is not pulled."""
    names: list[str] = []
    skipped: list[Pulled] = []
    for stack in stacks:
        for service in catalog.stack_services(stack):
            if service.model_api != "ollama":
                continue
            memory_name = limit_variables(service)[1]
            limit = setting(settings or {}, memory_name, service.limits.memory)
            for model in service.models:
                if model.model in names or any(s.model == model.model for s in skipped):
                    continue
                size = zfs_bytes(model.size) if model.size else None
                limit_bytes = docker_bytes(limit)
                if size is not None and limit_bytes is not None and size > limit_bytes:
                    why = (
                        f"{model.size} does not fit {memory_name}={limit}: set a larger {memory_name} in the "
                        "stack's env file (the host needs the memory) to pull it"
                    )
                    skipped.append(Pulled(model.model, "skipped", why))
                else:
                    names.append(model.model)
    return names, skipped


def canonical_name(name: str) -> str:
    """A model name as Ollama lists it: with its tag, `:latest` where none is given."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _request(url: str, body: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=timeout)


def present_models(base_url: str) -> set[str]:
    try:
        with _request(base_url + "/api/tags") as response:
            answer = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise OllamaUnreachable(f"Ollama's API did not answer at {base_url}/api/tags: {error}") from error
    models = answer.get("models") if isinstance(answer, dict) else None
    return {canonical_name(str(m.get("name", ""))) for m in models or [] if isinstance(m, dict)}


def _progress_lines(response: Any) -> Iterator[dict[str, Any]]:
    for raw in response:
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            yield line


def _describe(line: dict[str, Any]) -> str:
    status = str(line.get("status", ""))
    total, completed = line.get("total"), line.get("completed")
    if isinstance(total, int) and isinstance(completed, int) and total > 0:
        return f"{status} {completed * 100 // total}% of {total / 1e9:.1f} GB"
    return status


def pull_one(base_url: str, model: str, progress: Callable[[str], None]) -> Pulled:
    try:
        with _request(base_url + "/api/pull", {"model": model, "stream": True}, timeout=3600) as response:
            last = ""
            for line in _progress_lines(response):
                if "error" in line:
                    return Pulled(model, "failed", terminal_text(str(line["error"])))
                described = terminal_text(_describe(line))
                if described and described != last:
                    progress(f"{model}: {described}")
                    last = described
    except urllib.error.HTTPError as error:
        answer = terminal_text(error.read().decode(errors="replace")[:200])
        return Pulled(model, "failed", f"Ollama answered {error.code}: {answer}")
    except (urllib.error.URLError, OSError) as error:
        return Pulled(model, "failed", f"the pull stopped: {error}")
    if last != "success":
        return Pulled(model, "failed", f"the pull ended without success (last status: {last or 'none'})")
    return Pulled(model, "pulled")


def pulled_text(results: Sequence[Pulled]) -> str:
    """`gen models pull` as text: a line per model, its status and what went wrong."""
    return "".join(
        f"{r.status:<7} {r.model}" + (f": {r.message}" if r.message else "") + "\n" for r in results
    )


def pull_models(base_url: str, models: list[str], progress: Callable[[str], None]) -> list[Pulled]:
    base_url = base_url.rstrip("/")
    present = present_models(base_url)
    results = []
    for model in models:
        if canonical_name(model) in present:
            results.append(Pulled(model, "present"))
        else:
            results.append(pull_one(base_url, model, progress))
    return results
