"""Write a valid, varied synthetic catalog of N services (for the benchmarks).

Usage: python benchmarks/synthetic_catalog.py --services 1000 --out /tmp/catalog-1000
Services come in stacks of 10 on /24 networks (250 per network), with static IPs, published
ports, datasets, environment variables and secrets, dependencies and some NVIDIA/AMD variants.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK_SIZE = 10
PER_NETWORK = 250


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def service(index: int) -> str:
    network, host = divmod(index, PER_NETWORK)
    first_of_stack = index - index % STACK_SIZE
    gpu = ""
    if index % STACK_SIZE == 0:  # the first of a stack is what the others wait for: in every variant
        pass
    elif index % 7 == 0:
        gpu = "gpu:\n  nvidia: {count: 1}\n  cpu_fallback: true\n"
    elif index % 11 == 0:
        gpu = f"gpu:\n  amd: {{image: example/app-{index}:1.0-rocm}}\n  cpu_fallback: true\n"
    depends = f"depends_on:\n  - service: app-{first_of_stack}\n" if index != first_of_stack else ""
    return f"""id: app-{index}
title: Application {index}
description: Synthetic service number {index} of the benchmark catalog.
categories: [{"AI" if index % 3 == 0 else "Tools"}, Bench]
image: example/app-{index}:1.0
{gpu}ports:
  - name: http
    container: 8080
    host: {10000 + index}
  - name: metrics
    container: 9100
networks:
  net-{network}: {{ipv4_address: 10.{network // 250}.{network % 250}.{host + 2}}}
volumes:
  - dataset: data-{index % 20}
    target: /data
    read_only: true
  - host_path: /etc/localtime
    target: /etc/localtime
    reason: The container follows the host's time zone.
env:
  - name: APP_MODE
    value: fast
    options: [fast, safe]
  - name: APP_TOKEN_{index}
    secret: {{generate: hex}}
  - name: APP_NAME_{index}
    value: app-{index}
resources:
  limits: {{cpus: 1, memory: 512m}}
healthcheck:
  test: [CMD, wget, -q, --spider, "http://localhost:8080/health"]
  interval: 10s
metrics:
  port: metrics
{depends}"""


def build(count: int, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    write(
        out / "publish.yaml",
        "id: publish\nsite_url: https://example.org/bench/\nrepository:\n"
        "  url: https://example.org/git/bench\n  branch: main\n  artifacts_path: dist\n",
    )
    write(out / "pools/tank.yaml", "id: tank\ntitle: Tank\n")
    write(
        out / "storage-classes/general.yaml",
        "id: general\ntitle: General\nproperties:\n  recordsize: 128K\n  compression: lz4\n",
    )
    for index in range(20):
        write(
            out / f"datasets/data-{index}.yaml",
            f"id: data-{index}\ntitle: Data {index}\npool: tank\nname: data-{index}\n"
            f"storage_class: general\nmountpoint: /srv/bench/data-{index}\nowner: {{uid: 0, gid: 0}}\n",
        )
    for network in range((count + PER_NETWORK - 1) // PER_NETWORK):
        prefix = f"10.{network // 250}.{network % 250}"
        write(
            out / f"networks/net-{network}.yaml",
            f"id: net-{network}\ntitle: Network {network}\ntype: bridge\n"
            f"subnet: {prefix}.0/24\ngateway: {prefix}.1\n",
        )
    template_id = 1
    for stack in range((count + STACK_SIZE - 1) // STACK_SIZE):
        members = list(range(stack * STACK_SIZE, min(count, (stack + 1) * STACK_SIZE)))
        gpu_members = [i for i in members if i % STACK_SIZE]
        has_nvidia = any(i % 7 == 0 for i in gpu_members)
        has_amd = any(i % 11 == 0 and i % 7 for i in gpu_members)
        variants = ["cpu"] + (["nvidia"] if has_nvidia else []) + (["amd"] if has_amd else [])
        ids = ", ".join(f"{v}: {template_id + n}" for n, v in enumerate(variants))
        template_id += len(variants)
        write(
            out / f"stacks/stack-{stack}.yaml",
            f"id: stack-{stack}\ntitle: Stack {stack}\ndescription: Ten synthetic services.\n"
            f"services: [{', '.join(f'app-{i}' for i in members)}]\ntemplate_ids: {{{ids}}}\n",
        )
        for index in members:
            write(out / f"services/app-{index}.yaml", service(index))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    build(args.services, args.out)
    print(f"wrote {args.services} services to {args.out}")


if __name__ == "__main__":
    main()
