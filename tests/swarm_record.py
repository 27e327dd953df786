"""Record the AI stack's cpu variant as the three-node test swarm runs it, for
tests/test_swarm_drift.py (tests/fixtures/swarm/ai-services.json): `docker service inspect`, the
tasks and the networks, with every variable's value left out and the scratch altroot named
/srv/recorded-altroot. Run it again after a catalog change to that stack:

    .venv/bin/python -m tests.swarm_record

It needs the swarm the cluster tests form (scripts/start-swarm-nodes, then
tests/integration/test_swarm_cluster.py once), deploys the stack, waits until every task runs,
records, and removes the stack again.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import docker

from generator.catalog import load_catalog
from tests.conftest import DEFAULT_CATALOG, ROOT
from tests.docker_env import prepare_host, write_env_files
from tests.standins import build_standins, standin_images
from tests.swarm_env import deploy, networks_script, stack_services, wait_until_converged

FIXTURE = ROOT / "tests" / "fixtures" / "swarm" / "ai-services.json"
NODES = [f"unix:///tmp/gen-swarm/node{n}/docker.sock" for n in (1, 2, 3)]
ALTROOT = "/srv/recorded-altroot"
LEFT_OUT = "<recorded, value left out>"


def _without_values(value: Any) -> Any:
    """Every `Env` list keeps its names only: the recording holds no secret."""
    if isinstance(value, dict):
        return {
            key: [f"{item.split('=', 1)[0]}={LEFT_OUT}" for item in item_list]
            if key == "Env" and isinstance(item_list := value[key], list)
            else _without_values(value[key])
            for key in value
        }
    if isinstance(value, list):
        return [_without_values(item) for item in value]
    return value


def record() -> dict[str, Any]:
    catalog = load_catalog(DEFAULT_CATALOG)
    engines = {host: docker.DockerClient(base_url=host, timeout=120) for host in NODES}
    manager = engines[NODES[0]]
    if not manager.info()["Swarm"].get("ControlAvailable"):
        sys.exit("swarm_record: no swarm at the test nodes: run tests/integration/test_swarm_cluster.py")
    for client in engines.values():
        build_standins(client, standin_images(catalog), releases=False)
    with tempfile.TemporaryDirectory(prefix="gen-record-") as scratch:
        altroot = Path(scratch) / "altroot"
        prepare_host(catalog, altroot)
        env_files = write_env_files(catalog, Path(scratch) / "secrets", altroot, host=NODES[0])
        networks_script(NODES[0], "create")
        deploy(NODES[0], "ai", "cpu", env_files["ai"])
        try:
            by_node = {}
            for node in manager.nodes.list():  # the engines by node id, as the tasks name them
                address = node.attrs["Status"]["Addr"]
                by_node[node.id] = next(
                    c for c in engines.values() if c.info()["Swarm"]["NodeAddr"] == address
                )
            wait_until_converged(manager, ["ai"], by_node, 300)
            services = [s.attrs for s in stack_services(manager, "ai")]
            tasks = {s.id: s.tasks() for s in stack_services(manager, "ai")}
            networks = [{"Id": n.id, "Name": n.name} for n in manager.networks.list()]
        finally:
            for service in stack_services(manager, "ai"):
                service.remove()
            time.sleep(5)
            networks_script(NODES[0], "remove")
        settings = {"ZFS_ALTROOT": ALTROOT}
        for line in env_files["ai"].read_text().splitlines():
            name, _, value = line.partition("=")
            if re.fullmatch(r"[A-Z0-9_]+_(CPUS|MEMORY)", name):
                settings[name] = value
        recorded = {"networks": networks, "services": services, "settings": settings, "tasks": tasks}
        text = json.dumps(_without_values(recorded), indent=1, sort_keys=True).replace(str(altroot), ALTROOT)
    result: dict[str, Any] = json.loads(text)
    return result


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n")
    print(f"swarm_record: wrote {FIXTURE}")
