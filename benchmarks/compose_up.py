"""Time from `docker compose up` to all-healthy for each stack, beside the physical limit: how
long its programs themselves take to start.

Usage (needs a Docker Engine; `scripts/start-dockerd-overlay` starts one as a real host runs it,
Engine 25+ with overlay2, which the figures in the README come from):
    scripts/start-dockerd-overlay
    GEN_TEST_DOCKER_HOST=unix:///tmp/gen-docker-overlay/docker.sock \\
        .venv/bin/python benchmarks/compose_up.py [--stack ai ...] [--variant cpu] [--runs 5] \\
        [--start-interval]

The images are the ones the tests build: the real program wherever it installs here (Open WebUI,
code-server, Prometheus, node_exporter, the blackbox exporter, Caddy, Alertmanager), stand-ins
for what cannot (Ollama, cAdvisor, Portainer), which the tables say. Every stack by default, in
the order `gen up` starts them (the reverse proxy's last). For each run:
- each stack: `docker compose up -d --wait`, the generated file as it is (its healthchecks'
  intervals, its dependencies), until every service is healthy, the stacks before it running;
- each service on its own (`up -d SERVICE`, which starts what it depends on first): from its
  container's start (the engine's StartedAt) to its healthcheck command's first pass, run
  inside the container every 0.1 s: the program's own start time; for a one-shot job (no
  healthcheck, restart "no", such as the IDE's extension installer) start to exit. Creating a
  container comes before: with the vfs storage driver of the test engines it copies the whole
  image (1.6 GB for Open WebUI), which the stack's time includes and this limit does not;
- the stack's limit: the longest chain of those own times along its `service_healthy` and
  `service_completed_successfully` dependencies (a dependent program cannot be checked healthy
  before its dependency is, nor start before a job it waits for has ended).
Medians are reported, with each stack's time as a multiple of its limit (target: at most 1.3x
where the programs take 2 s or more; below that the time is Compose's own work); the gap is what
the healthchecks' intervals and the dependencies cost. Writes
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
from generator.catalog.model import ACCELERATORS, Accelerator, Catalog, Service  # noqa: E402
from generator.plan import stack_order  # noqa: E402
from generator.plan.rules import START_INTERVAL_FILE  # noqa: E402
from tests.docker_env import compose, docker_host, engine, extension_gallery, prepare_host, write_env_files  # noqa: E402
from tests.real_images import PROGRAM_BUILDERS, real_program  # noqa: E402
from tests.standins import build_standins, standin_images  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_RATIO = 1.3  # the stack at most this multiple of its programs' own start (the limit)
# The ratio target holds where the programs take this long to start; below it a stack's time is
# Compose's own work (networks, containers) and the first check, a start_interval after the start.
RATIO_FROM_SECONDS = 2.0
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
    parser.add_argument("--stack", nargs="*", default=[], help="the stacks to time (default: every stack)")
    parser.add_argument(
        "--variant",
        default="cpu",
        choices=ACCELERATORS,
        help="for the stacks that have it; cpu for the others",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--start-interval",
        action="store_true",
        help="also merge compose.start-interval.yaml, as gen up does on Docker Engine 25 and later",
    )
    args = parser.parse_args()
    args.stack = list(dict.fromkeys(args.stack))  # each stack once

    catalog = load_catalog(ROOT / "catalog")
    unknown = sorted(set(args.stack) - set(catalog.stacks))
    if unknown:
        parser.error(f"no stack {', '.join(unknown)}; the catalog has {', '.join(sorted(catalog.stacks))}")
    stacks = stack_order(catalog, [catalog.stacks[s] for s in args.stack] or list(catalog.stacks.values()))
    variants: dict[str, Accelerator] = {
        stack.id: args.variant if args.variant in catalog.stack_accelerators(stack) else "cpu"
        for stack in stacks
    }
    client = engine()
    build_standins(client, standin_images(catalog))
    services = {
        stack.id: [s for s in catalog.stack_services(stack) if s.in_variant(variants[stack.id])]
        for stack in stacks
    }
    folders = {stack.id: ROOT / "dist" / "stacks" / stack.id / variants[stack.id] for stack in stacks}
    stack_runs: dict[str, list[float]] = {stack.id: [] for stack in stacks}
    limits: dict[str, list[float]] = {stack.id: [] for stack in stacks}
    own_runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        altroot = Path(tmp) / "altroot"
        prepare_host(catalog, altroot)
        gallery = extension_gallery(client, catalog)  # the stand-in Open VSX: no registry from here
        env_files = write_env_files(catalog, Path(tmp) / "secrets", altroot, gallery)

        def files(stack_id: str, whole: bool = True) -> list[str]:
            file = ["-f", str(folders[stack_id] / "compose.yaml")]
            starting = folders[stack_id] / START_INTERVAL_FILE  # none where nothing is checked
            if whole and args.start_interval and starting.exists():
                file += ["-f", str(starting)]
            return file

        try:
            for run in range(1, args.runs + 1):
                for stack in stacks:
                    subprocess.run(["sync"], check=False)
                    started = time.perf_counter()
                    compose(*files(stack.id), "up", "-d", "--wait", env_file=env_files[stack.id])
                    stack_runs[stack.id].append(time.perf_counter() - started)
                for stack in reversed(stacks):
                    compose(*files(stack.id), "down", "--timeout", "5", env_file=env_files[stack.id])
                for stack in stacks:
                    own: dict[str, float] = {}
                    for service in services[stack.id]:
                        file = str(folders[stack.id] / "compose.yaml")
                        seconds = _own_start(client, file, env_files[stack.id], service)
                        compose(
                            *files(stack.id, whole=False),
                            "down",
                            "--timeout",
                            "5",
                            env_file=env_files[stack.id],
                        )
                        if seconds is not None:
                            own[service.id] = seconds
                            own_runs.setdefault(service.id, []).append(seconds)
                    limits[stack.id].append(_limit(catalog, services[stack.id], own))
                print(
                    f"run {run}: "
                    + ", ".join(
                        f"{s.id} {stack_runs[s.id][-1]:.1f} s (limit {limits[s.id][-1]:.1f} s)"
                        for s in stacks
                    ),
                    flush=True,
                )
        finally:  # a failed `up` leaves nothing running for the next measurement
            for stack in reversed(stacks):
                compose(*files(stack.id), "down", "--timeout", "5", env_file=env_files[stack.id], check=False)
    info = client.info()
    host = (
        f"Docker Engine {info['ServerVersion']} (API {client.version()['ApiVersion']}), storage driver "
        f"{info['Driver']}, {info['NCPU']} cores, at {docker_host()}"
    )
    chosen = f" --stack {' '.join(args.stack)}" if args.stack else ""
    command = (
        f"`.venv/bin/python benchmarks/compose_up.py{chosen} "
        f"--variant {args.variant} --runs {args.runs}{' --start-interval' if args.start_interval else ''}`"
    )
    lines = [
        "# Stack start: `up` to all-healthy, beside the programs' own start",
        "",
        f"Command: {command}; medians of {args.runs} runs, one machine, the same run"
        + (f" (with {START_INTERVAL_FILE}, as gen up on Engine 25+)." if args.start_interval else "."),
        "",
        f"Engine: {host}.",
        "",
        "| stack | `up --wait` to healthy | range | the programs' limit | gap | ratio | targets | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for stack in stacks:
        runs = stack_runs[stack.id]
        median, limit = statistics.median(runs), statistics.median(limits[stack.id])
        verdict = "meets" if median < TARGET_SECONDS else "misses"
        if limit >= RATIO_FROM_SECONDS:
            ratio_text = f"{median / limit:.2f}x"
            targets = f"< {TARGET_SECONDS:.0f} s; <= {TARGET_RATIO}x the limit"
            verdict += "; meets" if median / limit <= TARGET_RATIO else "; misses"
        else:
            ratio_text = f"{median / limit:.1f}x" if limit else "nothing checked"
            targets = f"< {TARGET_SECONDS:.0f} s (programs under {RATIO_FROM_SECONDS:g} s: no ratio target)"
        lines.append(
            f"| {stack.id} ({variants[stack.id]}) | {median:.1f} s | {min(runs):.1f}-{max(runs):.1f} s "
            f"| {limit:.1f} s | {median - limit:+.1f} s | {ratio_text} | {targets} | {verdict} |"
        )
    lines += [
        "",
        "Each service on its own, from its container's start to its healthcheck's first pass (polled "
        f"every {POLL_SECONDS:g} s), or for a one-shot job to its exit:",
        "",
        "| stack | service | image | own start (median) | range |",
        "|---|---|---|---|---|",
    ]
    for stack in stacks:
        for service in services[stack.id]:
            own_times = own_runs.get(service.id)
            kind = _kind(service.image_for(variants[stack.id]))
            if own_times:
                lines.append(
                    f"| {stack.id} | {service.id} | {kind} | {statistics.median(own_times):.2f} s "
                    f"| {min(own_times):.2f}-{max(own_times):.2f} s |"
                )
            else:
                lines.append(f"| {stack.id} | {service.id} | {kind} | no healthcheck, not a job | |")
    report = "\n".join(lines) + "\n"
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = "compose-up-start-interval.md" if args.start_interval else "compose-up.md"
    (results / name).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
