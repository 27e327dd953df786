"""Write a real-shaped catalog of about N services (for the benchmarks).

Usage: python benchmarks/real_shaped_catalog.py --services 1000 --out /tmp/real-1000
The bundled default catalog, grown the way a user grows it: its AI stack (Ollama with models
and GPU variants, Open WebUI, the Continue extension job and code-server with its generated
Continue config, their datasets, proxy exposure and dependencies) copied until the catalog has
about N services, each copy on its own networks (an internal AI network and an egress one) with
its own datasets, host names and stack. The copies are made from the catalog's own files, so
the benchmark follows the catalog as it changes.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
STACK = "ai"


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096
    return yaml


def _load(path: Path) -> Any:
    return _yaml().load(path.read_text())


def _dump(data: Any, path: Path) -> None:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    path.write_text(buffer.getvalue())


def _address(copy: int, network: int, host: int) -> str:
    """Copy `copy`'s address `host` on its network `network` (0: AI, 1: egress), in 10.0.0.0/8."""
    index = copy * 2 + network
    return f"10.{index // 256}.{index % 256}.{host}"


def copies_for(services: int, catalog: Path = ROOT / "catalog") -> int:
    stack = _load(catalog / "stacks" / f"{STACK}.yaml")
    base = len(list((catalog / "services").glob("*.yaml")))
    return max(0, round((services - base) / len(stack["services"])))


def write(services: int, out: Path, catalog: Path = ROOT / "catalog") -> int:
    """Write the catalog into `out` (replaced); returns its number of services."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(catalog, out)
    stack = _load(catalog / "stacks" / f"{STACK}.yaml")
    members: list[str] = list(stack["services"])
    files = {name: _load(catalog / "services" / f"{name}.yaml") for name in members}
    networks = sorted({n for service in files.values() for n in service.get("networks", {})})
    datasets = sorted({v["dataset"] for s in files.values() for v in s.get("volumes", []) if "dataset" in v})
    shared = {d for d in datasets if _load(catalog / "datasets" / f"{d}.yaml").get("shared")}
    copies = copies_for(services, catalog)
    # services of other stacks on the stack's networks (the proxy) join every copy's networks too
    others = {
        p.stem: _load(p) for p in sorted((catalog / "services").glob("*.yaml")) if p.stem not in members
    }
    joiners = {name: s for name, s in others.items() if set(s.get("networks", {})) & set(networks)}
    files_networks = {name: list(joiner["networks"]) for name, joiner in joiners.items()}
    for copy in range(1, copies + 1):

        def renamed(name: str, copy: int = copy) -> str:
            return f"{name}-{copy}"

        for position, name in enumerate(networks):
            network = _load(catalog / "networks" / f"{name}.yaml")
            network["id"] = renamed(name)
            network["name"] = renamed(network["name"])
            network["subnet"] = _address(copy, position, 0) + "/24"
            if "gateway" in network:
                network["gateway"] = _address(copy, position, 1)
            _dump(network, out / "networks" / f"{renamed(name)}.yaml")
        for name in datasets:
            if name in shared:
                continue
            dataset = _load(catalog / "datasets" / f"{name}.yaml")
            dataset["id"] = dataset["name"] = renamed(name)
            dataset["mountpoint"] = f"{dataset['mountpoint']}-{copy}"
            for key in ("reservation", "refreservation"):
                dataset.pop(key, None)  # a pool holds no thousand reservations
            _dump(dataset, out / "datasets" / f"{renamed(name)}.yaml")
        for name, original in files.items():
            service = _load(catalog / "services" / f"{name}.yaml")
            service["id"] = renamed(name)
            host = 10 + members.index(name)
            service["networks"] = {
                renamed(n): {"ipv4_address": _address(copy, networks.index(n), host)}
                for n in original.get("networks", {})
            }
            for volume in service.get("volumes", []):
                if "dataset" in volume and volume["dataset"] not in shared:
                    volume["dataset"] = renamed(volume["dataset"])
            for port in service.get("ports", []):
                port.pop("host", None)  # one host port per host: the copies are reached by name
                port.pop("host_ip", None)
            for dependency in service.get("depends_on", []):
                dependency["service"] = renamed(dependency["service"])
            for variable in service.get("env", []):
                if isinstance(variable.get("value"), str):
                    for other in members:  # service names in URLs: http://ollama:11434
                        variable["value"] = re.sub(rf"//{other}:", f"//{renamed(other)}:", variable["value"])
            if "template_id" in service.get("portainer", {}):
                service["portainer"]["template_id"] = 100_000 + copy * 20 + members.index(name)
            if "expose" in service:
                service["expose"]["host"] = renamed(service["expose"]["host"])
            _dump(service, out / "services" / f"{renamed(name)}.yaml")
        for position, (name, joiner) in enumerate(joiners.items()):
            for network in sorted(set(files_networks[name]) & set(networks)):
                address = _address(copy, networks.index(network), 200 + position)
                joiner["networks"][renamed(network)] = {"ipv4_address": address}
        copied = _load(catalog / "stacks" / f"{STACK}.yaml")
        copied["id"] = renamed(STACK)
        copied["services"] = [renamed(name) for name in members]
        for key in ("template_ids", "swarm_template_ids"):
            if key in copied:
                offset = 10 if key == "template_ids" else 15
                copied[key] = {v: 100_000 + copy * 20 + offset + i for i, v in enumerate(copied[key])}
        _dump(copied, out / "stacks" / f"{renamed(STACK)}.yaml")
    for name, joiner in joiners.items():
        _dump(joiner, out / "services" / f"{name}.yaml")
    return len(list((out / "services").glob("*.yaml")))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    count = write(args.services, args.out)
    print(f"wrote {args.out}: {count} services")


if __name__ == "__main__":
    main()
