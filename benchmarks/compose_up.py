"""Time from `docker compose up` to all-healthy for a stack, beside the physical limit: how long its
programs themselves take to start.

Usage (needs a Docker Engine: `scripts/start-dockerd` starts the test one):
    .venv/bin/python benchmarks/compose_up.py [--stack ai] [--variant cpu] [--runs 5]

The images are the ones the tests build: the real program wherever it installs here (Open WebUI,
code-server, Prometheus, node_exporter, the blackbox exporter, Caddy, Alertmanager), stand-ins
for what cannot (Ollama, cAdvisor, Portainer), which the table says. For each run:
- the stack: `docker compose up -d --wait`, the generated file as it is (its healthchecks'
  intervals, its dependencies), until every service is healthy;
- each service on its own (`up -d SERVICE`, which starts what it depends on first): from its
  container's start (the engine's StartedAt) to its healthcheck command's first pass, run
  inside the container every 0.1 s: the program's own start time; for a one-shot job (no
  healthcheck, restart "no", such as the IDE's extension installer) start to exit. Creating a
  container comes before: with the vfs storage driver of the test engines it copies the whole
  image (1.6 GB for Open WebUI), which the stack's time includes and this limit does not;
- the limit: the longest chain of those own times along the stack's `service_healthy` and
  `service_completed_successfully` dependencies (a dependent program cannot be checked healthy
  before its dependency is, nor start before a job it waits for has ended).
Medians are reported, with the stack's time as a multiple of the limit (target: at most 1.3x);
the gap is what the healthchecks' intervals and the dependencies cost. Writes
benchmarks/results/compose-up.md (compose-up-start-interval.md with --start-interval).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docker  # noqa: E402

from generator.catalog import load_catalog  # noqa: E402
from generator.catalog.model import Catalog, Service  # noqa: E402
from generator.plan.rules import START_INTERVAL_FILE  # noqa: E402
from tests.docker_env import compose, engine, extension_gallery, prepare_host, write_env_files  # noqa: E402
from tests.real_images import PROGRAM_BUILDERS, real_program  # noqa: E402
from tests.standins import build_standins, standin_images  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_RATIO = 1.3  # the stack at most this multiple of its programs' own start (the limit)
POLL_SECONDS = 0.1
WAITED_FOR = ("service_healthy", "service_completed_successfully")


def _container(client: docker.DockerClient, service: str) -> Any:
    return client.containers.list(all=True, filters={"label": f"ai-stack.service={service}"})[0]


def _moment(stamp: str) -> float:
    """The engine's RFC 3339 time (nanoseconds, Z) as seconds since the epoch."""
    return datetime.fromisoformat(stamp[:26] + "+00:00").timestamp()


def _own_start(client: docker.DockerClient, file: str, env_file: Path, service: Service) -> float | None:
    """Seconds from the service's container start to its healthcheck's first pass, or for a
    one-shot job to its exit (None: neither)."""
    health = service.healthcheck
    if health is None:
        if service.restart != "no":
            return None
        compose("-f", file, "up", "-d", service.id, env_file=env_file)
        container = _container(client, service.id)
        if container.wait(timeout=600)["StatusCode"] != 0:
            raise RuntimeError(f"{service.id} failed")
        container.reload()
        return _moment(container.attrs["State"]["FinishedAt"]) - _moment(
            container.attrs["State"]["StartedAt"]
        )
    kind, *words = health.test
    command = ["sh", "-c", words[0]] if kind == "CMD-SHELL" else words
    compose("-f", file, "up", "-d", service.id, env_file=env_file)
    container = _container(client, service.id)
    started = _moment(container.attrs["State"]["StartedAt"])
    deadline = time.time() + 600
    while time.time() < deadline:
        if container.exec_run(command).exit_code == 0:
            return time.time() - started
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{service.id} never passed its healthcheck")


def _limit(catalog: Catalog, services: list[Service], own: dict[str, float]) -> float:
    """The longest chain of own start times along the dependencies a service waits for."""
    done: dict[str, float] = {}

    def finish(service_id: str) -> float:
        if service_id not in done:
            service = catalog.services[service_id]
            waits = [
                finish(d.service)
                for d in service.depends_on
                if d.condition in WAITED_FOR and d.service in own
            ]
            done[service_id] = max(waits, default=0.0) + own.get(service_id, 0.0)
        return done[service_id]

    return max((finish(s.id) for s in services if s.id in own), default=0.0)


def _kind(image: str) -> str:
    """Whether the tests' image of it runs the real program (Ollama's is an API stand-in)."""
    name = image.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    real = (name in PROGRAM_BUILDERS and name != "ollama") or real_program(image) is not None
    return "real" if real else "stand-in"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", default="ai")
    parser.add_argument("--variant", default="cpu")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--start-interval",
        action="store_true",
        help="also merge compose.start-interval.yaml, as gen up does on Docker Engine 25 and later",
    )
    args = parser.parse_args()

    catalog = load_catalog(ROOT / "catalog")
    client = engine()
    build_standins(client, standin_images(catalog))
    stack = catalog.stacks[args.stack]
    services = [s for s in catalog.stack_services(stack) if s.in_variant(args.variant)]
    folder = ROOT / "dist" / "stacks" / args.stack / args.variant
    file = str(folder / "compose.yaml")
    files = ["-f", file] + (["-f", str(folder / START_INTERVAL_FILE)] if args.start_interval else [])
    stack_runs: list[float] = []
    own_runs: dict[str, list[float]] = {}
    limits: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        altroot = Path(tmp) / "altroot"
        prepare_host(catalog, altroot)
        gallery = extension_gallery(client, catalog)  # the stand-in Open VSX: no registry from here
        env_file = write_env_files(catalog, Path(tmp) / "secrets", altroot, gallery)[args.stack]
        for run in range(1, args.runs + 1):
            subprocess.run(["sync"], check=False)
            started = time.perf_counter()
            compose(*files, "up", "-d", "--wait", env_file=env_file)
            stack_runs.append(time.perf_counter() - started)
            compose(*files, "down", "--timeout", "5", env_file=env_file)
            own: dict[str, float] = {}
            for service in services:
                seconds = _own_start(client, file, env_file, service)
                compose("-f", file, "down", "--timeout", "5", env_file=env_file)
                if seconds is not None:
                    own[service.id] = seconds
                    own_runs.setdefault(service.id, []).append(seconds)
            limits.append(_limit(catalog, services, own))
            print(f"run {run}: stack {stack_runs[-1]:.1f} s, limit {limits[-1]:.1f} s", flush=True)
    median, limit = statistics.median(stack_runs), statistics.median(limits)
    ratio = median / limit if limit else float("inf")
    verdict = "meets" if median < TARGET_SECONDS else "misses"
    ratio_verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    lines = [
        "# Stack start: `up` to all-healthy, beside the programs' own start",
        "",
        f"Command: `.venv/bin/python benchmarks/compose_up.py --stack {args.stack} --variant {args.variant} "
        f"--runs {args.runs}{' --start-interval' if args.start_interval else ''}`; medians of {args.runs} "
        "runs, one machine, the same run"
        + (f" (with {START_INTERVAL_FILE}, as gen up on Engine 25+)." if args.start_interval else "."),
        "",
        "| stack | `up --wait` to healthy | range | the programs' limit | gap | ratio | targets | result |",
        "|---|---|---|---|---|---|---|---|",
        f"| {args.stack} ({args.variant}) | {median:.1f} s | {min(stack_runs):.1f}-{max(stack_runs):.1f} s "
        f"| {limit:.1f} s | {median - limit:+.1f} s | {ratio:.2f}x | < {TARGET_SECONDS:.0f} s; "
        f"<= {TARGET_RATIO}x the limit | {verdict}; {ratio_verdict} |",
        "",
        "Each service on its own, from its container's start to its healthcheck's first pass (polled "
        f"every {POLL_SECONDS:g} s), or for a one-shot job to its exit:",
        "",
        "| service | image | own start (median) | range |",
        "|---|---|---|---|",
    ]
    for service in services:
        runs = own_runs.get(service.id)
        image = service.image_for(args.variant)
        if runs:
            lines.append(
                f"| {service.id} | {_kind(image)} | {statistics.median(runs):.2f} s "
                f"| {min(runs):.2f}-{max(runs):.2f} s |"
            )
        else:
            lines.append(f"| {service.id} | {_kind(image)} | no healthcheck, not a job | |")
    report = "\n".join(lines) + "\n"
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = "compose-up-start-interval.md" if args.start_interval else "compose-up.md"
    (results / name).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
