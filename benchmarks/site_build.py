"""Median `gen site build` time for the default catalog and a synthetic one (default 500 services).

Usage: .venv/bin/python benchmarks/site_build.py [--services 500] [--runs 3]
Writes benchmarks/results/site-build.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = Path(sys.executable).with_name("gen")


def timed_build(catalog: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(GEN),
            "site",
            "build",
            "--catalog",
            str(catalog),
            "--config",
            str(ROOT / "mkdocs.yml"),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        synthetic = Path(tmp) / "catalog"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "synthetic_catalog.py"),
                "--services",
                str(args.services),
                "--out",
                str(synthetic),
            ],
            check=True,
            capture_output=True,
        )
        for name, catalog in (
            ("default catalog (10 services)", ROOT / "catalog"),
            (f"synthetic, {args.services} services", synthetic),
        ):
            times = [timed_build(catalog, Path(tmp) / f"site-{run}") for run in range(args.runs)]
            spread = f"{min(times):.1f}-{max(times):.1f} s"
            rows.append(f"| {name} | {args.runs} | {statistics.median(times):.1f} s | {spread} |")
            print(rows[-1], flush=True)
    report = (
        "# `gen site build`\n\n"
        f"Command: `.venv/bin/python benchmarks/site_build.py --services {args.services} --runs {args.runs}`"
        "\n\n"
        "| catalog | runs | median | range |\n|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "benchmarks" / "results" / "site-build.md").write_text(report)


if __name__ == "__main__":
    main()
