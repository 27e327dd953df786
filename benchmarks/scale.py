"""How `gen` scales with the catalog, side by side with check-jsonschema (issue #11).

Usage: .venv/bin/python benchmarks/scale.py [--sizes 10,100,1000,5000] [--runs 5] [--site-max 1000]

For each size, a synthetic catalog (benchmarks/synthetic_catalog.py) is written, then each command
runs --runs times as a fresh process: `gen validate`, `gen build` (into an empty folder),
`gen site build` (sizes up to --site-max, fewer runs: it is slow), and check-jsonschema validating
the same files with the same schemas (each kind's schema with the shared definitions copied in,
since check-jsonschema would try to download the cross-file references). `gen --help` measures
start-up. Before measuring, the package's byte code is compiled and its schema checks cached, as
after an install (see warm_up). Reported: the median wall time, the range, and the peak resident
memory of the process.
Writes benchmarks/results/scale.md (table + targets), scale.csv and scale.svg (log-log plot).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic_catalog import build as write_catalog  # noqa: E402
from generator.catalog.kinds import KINDS  # noqa: E402
from generator.catalog.schema import bundle, load_schema  # noqa: E402

TARGET_HELP_S = 0.15
TARGET_BUILD_1000_S = 2.0


@dataclass
class Result:
    command: str
    services: int
    runs: list[float]
    peak_kib: int

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def run_once(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one process. Dirty pages are flushed first (not timed),
    so a run does not pay for the previous one's writes."""
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss


def measure(
    name: str,
    services: int,
    runs: int,
    argvs: list[list[str]],
    out: Path | None = None,
    before_each: Callable[[int], None] | None = None,
) -> Result:
    """Run the commands in `argvs` one after the other as one measurement, `runs` times. With
    `out`, each run writes into a new empty folder under it (`{out}` in argv). Nothing is deleted
    before the whole benchmark is done: ext4 passes over inodes freed in the last ~30 s when it
    creates files, and a deletion just before a build made its writes up to 2x slower.
    `before_each(run)` prepares each run, untimed."""
    times, peak = [], 0
    for number in range(runs):
        if before_each:
            before_each(number)
        total = 0.0
        for argv in argvs:
            target = str(out / f"run-{number}") if out else ""
            elapsed, rss = run_once([arg.replace("{out}", target) for arg in argv])
            total += elapsed
            peak = max(peak, rss)
        times.append(total)
    result = Result(name, services, times, peak)
    print(f"  {name:<18} {services:>5} services: median {result.median:7.3f} s, peak {peak / 1024:6.1f} MiB")
    return result


def rebuild(gen: str, catalog: Path, size: int, runs: int, out: Path) -> Result:
    """`gen build` over its previous output after one service was edited: the operator's loop.
    The previous output is replaced (and deleted) inside the timed run, as it is for them; so
    these runs come last, after every other measurement (see measure)."""
    argv = [gen, "build", "--catalog", str(catalog), "--out", str(out)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    service = catalog / "services" / "app-1.yaml"
    original = service.read_text()

    def edit(run: int) -> None:
        service.write_text(original.replace("title: Application 1\n", f"title: Application 1 (edit {run})\n"))

    result = measure("gen build, 1 edit", size, runs, [argv], before_each=edit)
    service.write_text(original)
    return result


def warm_up(gen: str, folder: Path) -> None:
    """Put the machine where an installed `gen` is: its byte code compiled (pip does it at
    install; PYTHONDONTWRITEBYTECODE may be set here) and its schema checks cached (the first
    `gen validate` after an install or a schema change does it)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], check=True)
    write_catalog(10, folder)
    subprocess.run([gen, "validate", "--catalog", str(folder)], check=True, stdout=subprocess.DEVNULL)


def check_jsonschema_argvs(catalog: Path, schemas: Path) -> list[list[str]]:
    """One check-jsonschema call per kind: the kind's files against its bundled schema."""
    argvs = []
    for kind in KINDS:
        files = sorted((catalog / kind.folder).glob("*.yaml")) if kind.folder else []
        if not kind.folder:
            files = [p for p in catalog.glob("*.yaml") if kind.schema_file.startswith(p.stem)]
        if not files:
            continue
        schema_file = schemas / kind.schema_file
        schema_file.write_text(json.dumps(bundle(load_schema(kind.schema_file))))
        argvs.append([str(BIN / "check-jsonschema"), "--schemafile", str(schema_file), *map(str, files)])
    return argvs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000,5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--site-max", type=int, default=1000, help="largest catalog to build a site for")
    parser.add_argument("--site-runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    gen = str(BIN / "gen")
    has_check_jsonschema = (BIN / "check-jsonschema").exists()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm_up(gen, work / "warm-up")
        print("gen --help")
        results.append(measure("gen --help", 0, args.runs, [[gen, "--help"]]))
        for size in sizes:
            catalog = work / f"catalog-{size}"
            write_catalog(size, catalog)
            print(f"{size} services")
            validate = [gen, "validate", "--catalog", str(catalog)]
            results.append(measure("gen validate", size, args.runs, [validate]))
            build = [gen, "build", "--catalog", str(catalog), "--out", "{out}"]
            results.append(measure("gen build", size, args.runs, [build], work / f"out-{size}"))
            if has_check_jsonschema:
                schemas = work / "schemas"
                schemas.mkdir(exist_ok=True)
                argvs = check_jsonschema_argvs(catalog, schemas)
                results.append(measure("check-jsonschema", size, args.runs, argvs))
            if size <= args.site_max:
                config = str(ROOT / "mkdocs.yml")
                site = [gen, "site", "build", "--catalog", str(catalog), "--config", config, "--out", "{out}"]
                results.append(measure("gen site build", size, args.site_runs, [site], work / f"site-{size}"))
        print("rebuilds after one edit (last: they delete their previous output)")
        for size in sizes:
            results.append(rebuild(gen, work / f"catalog-{size}", size, args.runs, work / f"rebuilt-{size}"))
        results.sort(key=lambda r: r.services)  # stable: each size's commands keep their order
    RESULTS.mkdir(exist_ok=True)
    write_csv(results, RESULTS / "scale.csv")
    (RESULTS / "scale.svg").write_text(plot(results))
    (RESULTS / "scale.md").write_text(report(results, args))
    print(f"wrote {RESULTS / 'scale.md'}, scale.csv and scale.svg")


def write_csv(results: list[Result], path: Path) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["command", "services", "runs", "median_s", "min_s", "max_s", "peak_mib"])
        for r in results:
            writer.writerow(
                [
                    r.command,
                    r.services,
                    len(r.runs),
                    f"{r.median:.3f}",
                    f"{min(r.runs):.3f}",
                    f"{max(r.runs):.3f}",
                    f"{r.peak_kib / 1024:.1f}",
                ]
            )


def _find(results: list[Result], command: str, services: int) -> Result | None:
    return next((r for r in results if r.command == command and r.services == services), None)


def report(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        "# How `gen` scales with the catalog",
        "",
        f"Command: `.venv/bin/python benchmarks/scale.py --sizes {args.sizes} --runs {args.runs} "
        f"--site-max {args.site_max}`  ",
        f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d')}. Each figure is the median of fresh processes; peak is the "
        "largest resident memory of one process. Before measuring, byte code is compiled and the "
        "schema checks are cached, as after an install; nothing is deleted until the end.",
        "",
        "| command | services | runs | median | range | peak memory |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.command} | {r.services} | {len(r.runs)} | {r.median:.3f} s | "
            f"{min(r.runs):.2f}-{max(r.runs):.2f} s | {r.peak_kib / 1024:.0f} MiB |"
        )
    lines += ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for target, measured, ok in targets(results):
        lines.append(f"| {target} | {measured} | {'met' if ok else 'MISSED'} |")
    lines += ["", "![time against catalog size](scale.svg)", ""]
    return "\n".join(lines)


def targets(results: list[Result]) -> list[tuple[str, str, bool]]:
    found: list[tuple[str, str, bool]] = []
    help_result = _find(results, "gen --help", 0)
    if help_result:
        found.append(
            (
                f"`gen --help` under {TARGET_HELP_S} s",
                f"{help_result.median:.3f} s",
                help_result.median < TARGET_HELP_S,
            )
        )
    build_1000, build_5000 = _find(results, "gen build", 1000), _find(results, "gen build", 5000)
    if build_1000:
        found.append(
            (
                f"`gen build` of 1,000 services under {TARGET_BUILD_1000_S:.0f} s",
                f"{build_1000.median:.2f} s",
                build_1000.median < TARGET_BUILD_1000_S,
            )
        )
    if build_1000 and build_5000:
        ratio = build_5000.median / build_1000.median
        found.append(("`gen build` linear: 5,000 under 5x the 1,000 figure", f"{ratio:.2f}x", ratio < 5))
    for r in results:
        theirs = _find(results, "check-jsonschema", r.services)
        if r.command == "gen validate" and theirs:
            ratio = theirs.median / r.median
            found.append(
                (
                    f"`gen validate` no slower than check-jsonschema ({r.services} services)",
                    f"check-jsonschema takes {ratio:.1f}x as long",
                    r.median <= theirs.median,
                )
            )
    return found


COLOURS = {
    "gen validate": "#3f51b5",
    "gen build": "#e65100",
    "gen build, 1 edit": "#ffb74d",
    "gen site build": "#2e7d32",
    "check-jsonschema": "#757575",
}


def plot(results: list[Result]) -> str:
    """A log-log SVG line chart of median time against catalog size, one line per command."""
    series = {
        name: sorted((r.services, r.median) for r in results if r.command == name and r.services)
        for name in COLOURS
    }
    points = [p for line in series.values() for p in line]
    if not points:
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"
    width, height, left, bottom, top, right = 720, 440, 70, 50, 20, 170
    x_lo, x_hi = math.log10(min(p[0] for p in points)), math.log10(max(p[0] for p in points))
    y_lo = math.floor(math.log10(min(p[1] for p in points)))
    y_hi = math.ceil(math.log10(max(p[1] for p in points)))

    def x(value: float) -> float:
        return left + (math.log10(value) - x_lo) / max(x_hi - x_lo, 1e-9) * (width - left - right)

    def y(value: float) -> float:
        return height - bottom - (math.log10(value) - y_lo) / max(y_hi - y_lo, 1e-9) * (height - top - bottom)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "font-family='sans-serif' font-size='12'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
    ]
    for exponent in range(y_lo, y_hi + 1):
        value = 10.0**exponent
        parts.append(
            f"<line x1='{left}' x2='{width - right}' y1='{y(value):.1f}' y2='{y(value):.1f}' stroke='#ddd'/>"
        )
        parts.append(f"<text x='{left - 8}' y='{y(value) + 4:.1f}' text-anchor='end'>{value:g} s</text>")
    for size in sorted({p[0] for p in points}):
        parts.append(
            f"<line x1='{x(size):.1f}' x2='{x(size):.1f}' y1='{top}' y2='{height - bottom}' stroke='#eee'/>"
        )
        parts.append(
            f"<text x='{x(size):.1f}' y='{height - bottom + 18}' text-anchor='middle'>{size:,}</text>"
        )
    parts.append(
        f"<text x='{(left + width - right) / 2}' y='{height - 10}' text-anchor='middle'>"
        "services in the catalog</text>"
    )
    for row, (name, line) in enumerate((n, s) for n, s in series.items() if s):
        colour = COLOURS[name]
        path = " ".join(f"{x(size):.1f},{y(seconds):.1f}" for size, seconds in line)
        parts.append(f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'/>")
        parts += [f"<circle cx='{x(s):.1f}' cy='{y(t):.1f}' r='3' fill='{colour}'/>" for s, t in line]
        legend_y = top + 20 + row * 20
        parts.append(
            f"<line x1='{width - right + 15}' x2='{width - right + 35}' y1='{legend_y}' "
            f"y2='{legend_y}' stroke='{colour}' stroke-width='2'/>"
        )
        parts.append(f"<text x='{width - right + 40}' y='{legend_y + 4}'>{name}</text>")
    parts.append("</svg>\n")
    return "\n".join(parts)


if __name__ == "__main__":
    main()
