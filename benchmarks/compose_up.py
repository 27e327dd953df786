"""Median time from `docker compose up` to all-healthy for a stack, with stand-in images.

Usage (needs a Docker Engine: `scripts/start-dockerd` starts the test one):
    .venv/bin/python benchmarks/compose_up.py [--stack ai] [--runs 5]

Reports each run, the median, and the deployment report's target (container start < 30 s), and
writes benchmarks/results/compose-up.md. Healthchecks run every 10 s, so a stack whose services
wait for each other (Open WebUI waits for Ollama) takes about two intervals.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.catalog import load_catalog  # noqa: E402
from tests.docker_env import compose, engine, prepare_host, write_env_files  # noqa: E402
from tests.standins import build_standins, standin_images  # noqa: E402

TARGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack", default="ai")
    parser.add_argument("--variant", default="cpu")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    catalog = load_catalog(ROOT / "catalog")
    client = engine()
    build_standins(client, standin_images(catalog))
    compose_file = str(ROOT / "dist" / "stacks" / args.stack / args.variant / "compose.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        altroot = Path(tmp) / "altroot"
        prepare_host(catalog, altroot)
        env_file = write_env_files(catalog, Path(tmp) / "secrets", altroot)[args.stack]
        timings = []
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            compose("-f", compose_file, "up", "-d", "--wait", env_file=env_file)
            timings.append(time.perf_counter() - started)
            compose("-f", compose_file, "down", "--timeout", "5", env_file=env_file)
            print(f"run {run}: {timings[-1]:.1f} s", flush=True)
    median = statistics.median(timings)
    verdict = "meets" if median < TARGET_SECONDS else "misses"
    line = (
        f"| {args.stack} ({args.variant}) | {args.runs} | {median:.1f} s | "
        f"{min(timings):.1f}-{max(timings):.1f} s | < {TARGET_SECONDS:.0f} s | {verdict} |"
    )
    report = (
        "# Stack start: `up` to all-healthy (stand-in images)\n\n"
        f"Command: `.venv/bin/python benchmarks/compose_up.py --stack {args.stack} --runs {args.runs}`\n\n"
        "| stack | runs | median | range | target | result |\n|---|---|---|---|---|---|\n"
        f"{line}\n"
    )
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "compose-up.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
