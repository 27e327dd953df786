"""Defaults live in one place, the converter (generator/catalog/convert.py); the schemas' prose
states them for people and editors. This checks the prose against what the converter applies to
a service that leaves every optional field out, so the two cannot drift apart."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from generator.catalog import convert
from generator.resources import schemas_dir

SPARSE = {
    "id": "x",
    "title": "X",
    "description": "A service with every optional field left out.",
    "categories": ["AI"],
    "image": "example/x:1.0",
    "resources": {"limits": {"cpus": 1, "memory": "1g"}},
    "healthcheck": {"test": ["CMD", "true"]},
    "gpu": {"nvidia": {"count": 1}, "amd": {}, "cpu_fallback": True},
    "metrics": {"port": 9100},
    "ports": [{"name": "http", "container": 80}],
    "env": [
        {"name": "TOKEN", "secret": {"generate": "hex"}},
        {"name": "URLS", "model_servers": {"api": "ollama"}},
    ],
    "swarm": {},
    "proxy": {"domain": "x.home.arpa"},
    "probe": {"port": "http", "via": "blackbox"},
    "volumes": [{"host_path": "/etc/x", "target": "/x", "reason": "An example host path."}],
}
# schema location -> the value the converter gives when the field is left out
DOCUMENTED: dict[str, Callable[[Any], Any]] = {  # Any: the sparse service has every block
    "properties/restart": lambda s: s.restart,
    "properties/gpu/properties/nvidia/properties/capabilities": lambda s: list(s.gpu.nvidia.capabilities),
    "properties/gpu/properties/nvidia/properties/shared": lambda s: s.gpu.nvidia.shared,
    "properties/gpu/properties/amd/properties/devices": lambda s: list(s.gpu.amd.devices),
    "properties/healthcheck/oneOf/0/properties/interval": lambda s: s.healthcheck.interval,
    "properties/healthcheck/oneOf/0/properties/timeout": lambda s: s.healthcheck.timeout,
    "properties/healthcheck/oneOf/0/properties/retries": lambda s: s.healthcheck.retries,
    "properties/healthcheck/oneOf/0/properties/start_period": lambda s: s.healthcheck.start_period,
    "properties/security/properties/no_new_privileges": lambda s: s.security.no_new_privileges,
    "properties/metrics/properties/path": lambda s: s.metrics.path,
    "properties/probe/properties/path": lambda s: s.probe.path,
    "properties/probe/properties/module": lambda s: s.probe.module,
    "properties/swarm/properties/replicas": lambda s: s.swarm_replicas,
    "properties/swarm/properties/mode": lambda s: s.swarm_mode,
    "properties/proxy/properties/tls": lambda s: s.proxy.tls,
    "properties/proxy/properties/user": lambda s: s.proxy.user,
    "properties/proxy/properties/password_env": lambda s: s.proxy.password_env,
    "$defs/port/properties/protocol": lambda s: s.ports[0].protocol,
    "$defs/env/properties/secret/properties/length": lambda s: s.env[0].secret_length,
    "$defs/env/properties/model_servers/properties/as": lambda s: s.env[1].model_servers[1],
    "$defs/volume/properties/create_host_path": lambda s: s.volumes[0].create_host_path,
}
# stated in words, not as one value: what the converter leaves for the renderer to decide
IN_WORDS = {
    "properties/metrics/properties/interval": "Prometheus' global interval (the model keeps None)",
    "$defs/volume/properties/read_only": "depends on the kind of volume",
    "$defs/port/properties/host_ip": "every interface (the model keeps None)",
}
# "(default X)", "default X;", "'X' (default)"
STATED = re.compile(r"\(default:? ([^);]+)[);]|default:? (\d+)$|'([^']+)' \(default\)")


def _description(path: str) -> str:
    node: Any = json.loads((schemas_dir() / "service.schema.json").read_text())
    for part in path.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return str(node["description"])


def _stated(description: str) -> Any:
    found = STATED.search(description)
    assert found, f"no default stated in {description!r}"
    text = next(g for g in found.groups() if g is not None).strip()
    text = re.split(r"[;:]", text)[0].strip()  # the value, without what follows it
    if text in ("true", "false"):
        return text == "true"
    try:
        return ast.literal_eval(text)  # 'unless-stopped', ['gpu'], 3
    except (ValueError, SyntaxError):
        return text  # 30s, /metrics, admin


@pytest.mark.parametrize("path", sorted(DOCUMENTED))
def test_the_schema_states_the_default_the_converter_applies(path: str) -> None:
    service = convert.service(SPARSE)
    assert _stated(_description(path)) == DOCUMENTED[path](service)


def test_every_default_the_service_schema_states_is_checked() -> None:
    schema = json.loads((schemas_dir() / "service.schema.json").read_text())
    stated = set()

    def walk(node: Any, path: list[str]) -> None:
        if isinstance(node, dict):
            if STATED.search(str(node.get("description", ""))):
                stated.add("/".join(path))
            for key, value in node.items():
                walk(value, [*path, key])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, [*path, str(index)])

    walk(schema, [])
    assert stated == set(DOCUMENTED) | set(IN_WORDS)
