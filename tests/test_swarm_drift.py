"""`gen drift --swarm`'s comparison on recorded answers of a real swarm (tests/fixtures/swarm:
`docker service inspect`, the tasks and the networks of the AI stack's cpu variant as the
three-node test cluster ran it, Docker 26.1; variable values left out; `python -m
tests.swarm_record` records it again after a change to that stack). The same command runs
against the live cluster in tests/integration/test_swarm_cluster.py; here, each kind of drift."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.hosts.drift import deployed_variants
from generator.hosts.swarm_drift import run_swarm_drift
from generator.plan import plan as make_plan
from tests.conftest import DEFAULT_CATALOG, ROOT

CATALOG = load_catalog(DEFAULT_CATALOG)
PLAN = make_plan(CATALOG)
RECORDED: dict[str, Any] = json.loads((ROOT / "tests/fixtures/swarm/ai-services.json").read_text())


class Item:
    def __init__(self, attrs: dict[str, Any]) -> None:
        self.attrs = attrs
        self.id = attrs.get("ID") or attrs.get("Id")
        self.name = attrs.get("Name")


class Listing:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def list(self, **_: Any) -> list[Item]:
        return [Item(attrs) for attrs in self.items]


class Api:
    def __init__(self, tasks: dict[str, list[dict[str, Any]]]) -> None:
        self._tasks = tasks

    def tasks(self) -> list[dict[str, Any]]:
        return [task for listed in self._tasks.values() for task in listed]


class RecordedManager:
    def __init__(self, recorded: dict[str, Any]) -> None:
        self.services = Listing(recorded["services"])
        self.networks = Listing(recorded["networks"])
        self.api = Api(recorded["tasks"])


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """The recorded deploy's per-host settings (its altroot, CPUs capped at that machine's cores)."""
    path = tmp_path / "ai.env"
    path.write_text("".join(f"{name}={value}\n" for name, value in RECORDED["settings"].items()))
    return path


def _drift(recorded: dict[str, Any], env_file: Path | None) -> dict[str, Any]:
    findings = run_swarm_drift(RecordedManager(recorded), PLAN, ["ai"], env_file)
    return {f.service: f for f in findings}


def _service(recorded: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in recorded["services"] if s["Spec"]["Name"] == name)
    return found


def test_the_recorded_deploy_is_in_sync(env_file: Path) -> None:
    findings = _drift(RECORDED, env_file)
    assert sorted(findings) == ["continue-dev", "continue-extension", "ollama", "ollama-models", "open-webui"]
    assert {name: f.differences for name, f in findings.items() if f.status != "in-sync"} == {}


def test_without_the_env_file_the_per_host_settings_differ() -> None:
    differences = _drift(RECORDED, None)["ollama"].differences
    assert f"CPU limit is 2, the catalog says {CATALOG.services['ollama'].limits.cpus:g}" in differences
    altroot = RECORDED["settings"]["ZFS_ALTROOT"]
    assert any(d.startswith(f"mount /root/.ollama is {altroot}/") for d in differences), differences


def test_each_kind_of_drift_is_named(env_file: Path) -> None:
    recorded = copy.deepcopy(RECORDED)
    ollama = _service(recorded, "ai_ollama")["Spec"]
    ollama["TaskTemplate"]["ContainerSpec"]["Image"] = "ollama/ollama:0.1.0@sha256:" + "0" * 64
    ollama["Mode"] = {"Replicated": {"Replicas": 2}}
    ollama["TaskTemplate"]["Placement"]["Constraints"].pop()
    ollama["TaskTemplate"]["ContainerSpec"]["Env"].append("DEBUG=1")
    webui = _service(recorded, "ai_open-webui")
    webui["Spec"]["TaskTemplate"]["Networks"] = []
    for task in recorded["tasks"][webui["ID"]]:
        task["Status"]["State"] = "failed"
    job = _service(recorded, "ai_continue-extension")
    for task in recorded["tasks"][job["ID"]]:
        task["Status"]["State"] = "failed"
    recorded["services"].remove(_service(recorded, "ai_continue-dev"))
    stray = copy.deepcopy(_service(recorded, "ai_ollama"))
    stray["Spec"]["Labels"]["ai-stack.service"] = "old-ui"
    stray["Spec"]["Name"] = "ai_old-ui"
    recorded["services"].append(stray)

    findings = _drift(recorded, env_file)
    assert findings["ollama"].status == "drifted"
    assert findings["ollama"].differences[:3] == [
        f"image is ollama/ollama:0.1.0, the catalog says {CATALOG.services['ollama'].image}",
        "2 replicas, the catalog says 1 replicas",
        "placement is node.labels.ai-stack.pool.service-pool == true, the catalog says "
        "node.labels.ai-stack.pool.service-pool == true; node.labels.ai-stack.pool.staging-pool == true",
    ]
    assert findings["ollama"].differences[3:] == ["extra variable DEBUG (not in the catalog)"]
    assert findings["open-webui"].differences == [
        "networks are none, the catalog says ai-net",
        "0 of 1 tasks running",
    ]
    assert findings["continue-extension"].differences == ["the one-shot job's task is failed"]
    assert (findings["continue-dev"].status, findings["continue-dev"].differences) == (
        "missing",
        ["no Swarm service"],
    )
    assert findings["old-ui"].status == "unknown"


def test_a_digest_pinned_image_is_the_same_image(env_file: Path) -> None:
    recorded = copy.deepcopy(RECORDED)
    spec = _service(recorded, "ai_ollama")["Spec"]["TaskTemplate"]["ContainerSpec"]
    spec["Image"] += "@sha256:" + "1" * 64  # what docker stack deploy records where a registry answers
    assert _drift(recorded, env_file)["ollama"].status == "in-sync"


def test_an_answer_the_engine_api_does_not_document_is_a_finding_not_a_traceback(env_file: Path) -> None:
    recorded = copy.deepcopy(RECORDED)
    del _service(recorded, "ai_ollama")["Spec"]["TaskTemplate"]
    _service(recorded, "ai_open-webui")["Spec"]["Labels"]["ai-stack.variant"] = "amd"
    findings = _drift(recorded, env_file)
    assert findings["ollama"].differences[0].startswith("could not compare: an unexpected answer")
    assert findings["open-webui"].differences[0].startswith("could not compare: an unexpected answer")
    assert findings["continue-dev"].status == "in-sync"


def test_a_service_without_a_spec_is_compared_as_unlabelled_not_a_traceback(env_file: Path) -> None:
    recorded = copy.deepcopy(RECORDED)
    del _service(recorded, "ai_ollama")["Spec"]
    findings = _drift(recorded, env_file)
    assert findings["ollama"].status == "missing"  # nothing labelled as the stack's ollama
    assert findings["open-webui"].status == "in-sync"


def test_a_service_only_the_other_variant_runs_is_not_missing() -> None:
    cpu = {"ai-stack.variant": "cpu"}
    assert deployed_variants(("cpu", "nvidia"), [cpu, cpu]) == {"cpu"}
    assert deployed_variants(("cpu", "nvidia"), []) == {"cpu", "nvidia"}  # nothing deployed: any
    assert deployed_variants(("cpu", "nvidia"), [{"ai-stack.variant": "amd"}]) == {"cpu", "nvidia"}
    monitoring = CATALOG.stacks["monitoring"]
    gpu_only = [s.id for s in CATALOG.stack_services(monitoring) if not s.in_variant("cpu")]
    assert gpu_only, "the default catalog has a service only the nvidia variant runs"
    findings = run_swarm_drift(RecordedManager(RECORDED), PLAN, ["monitoring"], None)
    assert {f.service for f in findings if f.status == "missing"} >= set(gpu_only)  # none deployed
