"""How `gen` scales with the catalog, side by side with its yardsticks.

Usage: .venv/bin/python benchmarks/scale.py [--sizes 10,100,1000,5000] [--runs 5] [--site-max 1000]

Two catalogs per size: the synthetic one (benchmarks/synthetic_catalog.py: many small services)
and the real-shaped one (benchmarks/real_shaped_catalog.py: the default catalog's AI stack copied,
with its models, proxy exposure, generated configs, datasets and GPU variants). Each command runs
--runs times as a fresh process: `gen validate`, `gen build` (into an empty folder; the bytes it
wrote are reported per service), `gen site build` (sizes up to --site-max, fewer runs: it is
slow), and the yardsticks: check-jsonschema validating the synthetic files with the same schemas
(each kind's schema with the shared definitions copied in, since check-jsonschema would try to
download the cross-file references); plain mkdocs-material building as many simple pages, kept
out of the nav, with the site's own configuration (benchmarks/site_yardstick.py); and importing
click alone against `gen --help` (each speed feature against its plain twin:
benchmarks/speed_features.py). Before measuring, the package's byte code is
compiled and its schema checks cached, as after an install (see warm_up). Reported: the median
wall time, the range, and the peak resident memory of the process.
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

from benchmarks import real_shaped_catalog, site_yardstick  # noqa: E402
from benchmarks.synthetic_catalog import build as write_synthetic  # noqa: E402
from generator.catalog.kinds import KINDS  # noqa: E402
from generator.catalog.schema import bundle, load_schema  # noqa: E402

TARGET_BUILD_1000_S = 2.0
TARGET_HELP_RATIO = 1.5  # `gen --help` against importing click alone
TARGET_SITE_RATIO = 2.0  # `gen site build` against plain mkdocs-material on as many pages
TARGET_BYTES_SPREAD = 0.10  # bytes written per service, from 100 to 5,000 services
SYNTHETIC, REAL = "synthetic", "real-shaped"


@dataclass
class Result:
    command: str
    catalog: str  # synthetic, real-shaped, or "" (no catalog)
    size: int  # the size asked for
    services: int  # the services the catalog has
    runs: list[float]
    peak_kib: int
    bytes_out: int = 0  # what one run wrote

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


def _bytes_in(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def measure(
    name: str,
    catalog: tuple[str, int, int],
    runs: int,
    argvs: list[list[str]],
    out: Path | None = None,
    before_each: Callable[[int], None] | None = None,
) -> Result:
    """Run the commands in `argvs` one after the other as one measurement, `runs` times, on
    `catalog` (its shape, the size asked for, its services). With `out`, each run writes into a
    new empty folder under it (`{out}` in argv). Nothing is deleted before the whole benchmark is
    done: ext4 passes over inodes freed in the last ~30 s when it creates files, and a deletion
    just before a build made its writes up to 2x slower. `before_each(run)` prepares each run,
    untimed."""
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
    written = _bytes_in(out / "run-0") if out else 0
    result = Result(name, catalog[0], catalog[1], catalog[2], times, peak, written)
    print(
        f"  {name:<24} {catalog[0]:<11} {catalog[2]:>5} services: median {result.median:7.3f} s, "
        f"peak {peak / 1024:6.1f} MiB"
        + (f", {written / catalog[2] / 1024:.1f} KiB/service" if written else "")
    )
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

    result = measure("gen build, 1 edit", (SYNTHETIC, size, size), runs, [argv], before_each=edit)
    service.write_text(original)
    return result


def warm_up(gen: str, folder: Path) -> None:
    """Put the machine where an installed `gen` is: its byte code compiled (pip does it at
    install; PYTHONDONTWRITEBYTECODE may be set here) and its schema checks cached (the first
    `gen validate` after an install or a schema change does it)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")], check=True)
    write_synthetic(10, folder)
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


def write_catalog(shape: str, size: int, folder: Path) -> int:
    """Write the catalog of that shape and size; returns its number of services."""
    if shape == SYNTHETIC:
        write_synthetic(size, folder)
        return size
    return real_shaped_catalog.write(size, folder)


def site_pages(site: Path) -> int:
    return len(list(site.rglob("index.html")))


def measure_size(gen: str, size: int, args: argparse.Namespace, work: Path) -> list[Result]:
    results = []
    for shape in (SYNTHETIC, REAL):
        catalog = work / f"{shape}-{size}"
        services = write_catalog(shape, size, catalog)
        key = (shape, size, services)
        validate = [gen, "validate", "--catalog", str(catalog)]
        results.append(measure("gen validate", key, args.runs, [validate]))
        build = [gen, "build", "--catalog", str(catalog), "--out", "{out}"]
        results.append(measure("gen build", key, args.runs, [build], work / f"out-{shape}-{size}"))
        if shape == SYNTHETIC and (BIN / "check-jsonschema").exists():
            schemas = work / "schemas"
            schemas.mkdir(exist_ok=True)
            argvs = check_jsonschema_argvs(catalog, schemas)
            results.append(measure("check-jsonschema", key, args.runs, argvs))
        if size <= args.site_max:
            config = str(ROOT / "mkdocs.yml")
            site = [gen, "site", "build", "--catalog", str(catalog), "--config", config, "--out", "{out}"]
            sites = work / f"site-{shape}-{size}"
            results.append(measure("gen site build", key, args.site_runs, [site], sites))
            if shape == REAL:
                project = site_yardstick.write(site_pages(sites / "run-0"), work / f"yardstick-{size}")
                mkdocs = [str(BIN / "mkdocs"), "build", "--quiet", "--config-file", str(project)]
                mkdocs += ["--site-dir", "{out}"]
                yardstick = work / f"yardstick-site-{size}"
                results.append(measure("mkdocs, simple pages", key, args.site_runs, [mkdocs], yardstick))
    return results


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
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm_up(gen, work / "warm-up")
        print("start-up")
        results.append(measure("gen --help", ("", 0, 0), args.runs, [[gen, "--help"]]))
        click = [sys.executable, "-c", "import click"]
        results.append(measure("import click", ("", 0, 0), args.runs, [click]))
        for size in sizes:
            print(f"{size} services")
            results += measure_size(gen, size, args, work)
        print("rebuilds after one edit (last: they delete their previous output)")
        for size in sizes:
            catalog = work / f"{SYNTHETIC}-{size}"
            results.append(rebuild(gen, catalog, size, args.runs, work / f"rebuilt-{size}"))
        results.sort(key=lambda r: (r.size, r.catalog != SYNTHETIC))  # stable: the commands keep their order
    RESULTS.mkdir(exist_ok=True)
    write_csv(results, RESULTS / "scale.csv")
    (RESULTS / "scale.svg").write_text(plot(results))
    (RESULTS / "scale.md").write_text(report(results, args))
    print(f"wrote {RESULTS / 'scale.md'}, scale.csv and scale.svg")


def write_csv(results: list[Result], path: Path) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["command", "catalog", "services", "runs", "median_s", "min_s", "max_s", "peak_mib", "bytes"]
        )
        for r in results:
            writer.writerow(
                [
                    r.command,
                    r.catalog,
                    r.services,
                    len(r.runs),
                    f"{r.median:.3f}",
                    f"{min(r.runs):.3f}",
                    f"{max(r.runs):.3f}",
                    f"{r.peak_kib / 1024:.1f}",
                    r.bytes_out,
                ]
            )


def _find(results: list[Result], command: str, size: int, catalog: str = "") -> Result | None:
    found = (r for r in results if (r.command, r.size, r.catalog) == (command, size, catalog))
    return next(found, None)


def report(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        "# How `gen` scales with the catalog",
        "",
        f"Command: `.venv/bin/python benchmarks/scale.py --sizes {args.sizes} --runs {args.runs} "
        f"--site-max {args.site_max}`  ",
        f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"{time.strftime('%Y-%m-%d')}. Each figure is the median of fresh processes; peak is the "
        "largest resident memory of one process; written is what one run wrote, per service. Before "
        "measuring, byte code is compiled and the schema checks are cached, as after an install; "
        "nothing is deleted until the end. Catalogs: synthetic (many small services) and "
        "real-shaped (the default catalog's AI stack copied, each copy on its own networks).",
        "",
        "| command | catalog | services | runs | median | range | peak memory | written per service |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        written = f"{r.bytes_out / r.services / 1024:.1f} KiB" if r.bytes_out and r.services else ""
        lines.append(
            f"| {r.command} | {r.catalog} | {r.services} | {len(r.runs)} | {r.median:.3f} s | "
            f"{min(r.runs):.2f}-{max(r.runs):.2f} s | {r.peak_kib / 1024:.0f} MiB | {written} |"
        )
    lines += ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    for target, measured, ok in targets(results):
        lines.append(f"| {target} | {measured} | {'met' if ok else 'MISSED'} |")
    lines += ["", "![time against catalog size](scale.svg)", ""]
    return "\n".join(lines)


def _linear(results: list[Result], command: str, catalog: str) -> tuple[str, str, bool] | None:
    small, large = _find(results, command, 1000, catalog), _find(results, command, 5000, catalog)
    if not (small and large):
        return None
    ratio = large.median / small.median
    return (f"`{command}` linear ({catalog}): 5,000 under 5x the 1,000 figure", f"{ratio:.2f}x", ratio < 5)


def targets(results: list[Result]) -> list[tuple[str, str, bool]]:
    found: list[tuple[str, str, bool]] = []
    help_result, click = _find(results, "gen --help", 0), _find(results, "import click", 0)
    if help_result and click:
        ratio = help_result.median / click.median
        found.append(
            (
                f"`gen --help` at most {TARGET_HELP_RATIO}x importing click alone",
                f"{help_result.median:.3f} s against {click.median:.3f} s: {ratio:.2f}x",
                ratio <= TARGET_HELP_RATIO,
            )
        )
    for catalog in (REAL, SYNTHETIC):
        build_1000 = _find(results, "gen build", 1000, catalog)
        if build_1000:
            found.append(
                (
                    f"`gen build` of 1,000 services ({catalog}) under {TARGET_BUILD_1000_S:.0f} s",
                    f"{build_1000.median:.2f} s",
                    build_1000.median < TARGET_BUILD_1000_S,
                )
            )
        for command in ("gen build", "gen validate"):
            verdict = _linear(results, command, catalog)
            if verdict:
                found.append(verdict)
    per_service = {
        r.services: r.bytes_out / r.services
        for r in results
        if r.command == "gen build" and r.catalog == REAL and 100 <= r.size <= 5000
    }
    if len(per_service) > 1:
        low, high = min(per_service.values()), max(per_service.values())
        found.append(
            (
                f"bytes written per service constant within {TARGET_BYTES_SPREAD:.0%} "
                f"from 100 to 5,000 ({REAL})",
                ", ".join(f"{n}: {b / 1024:.1f} KiB" for n, b in sorted(per_service.items()))
                + f" (spread {high / low - 1:.1%})",
                high / low - 1 <= TARGET_BYTES_SPREAD,
            )
        )
    site = _find(results, "gen site build", 1000, REAL)
    plain = _find(results, "mkdocs, simple pages", 1000, REAL)
    if site and plain:
        ratio = site.median / plain.median
        found.append(
            (
                f"site of 1,000 services ({REAL}) at most {TARGET_SITE_RATIO:.0f}x plain mkdocs-material "
                "on as many pages",
                f"{site.median:.2f} s against {plain.median:.2f} s: {ratio:.2f}x",
                ratio <= TARGET_SITE_RATIO,
            )
        )
    for r in results:
        theirs = _find(results, "check-jsonschema", r.size, r.catalog)
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
    ("gen validate", SYNTHETIC): "#3f51b5",
    ("gen build", SYNTHETIC): "#e65100",
    ("gen build", REAL): "#b71c1c",
    ("gen build, 1 edit", SYNTHETIC): "#ffb74d",
    ("gen site build", REAL): "#2e7d32",
    ("mkdocs, simple pages", REAL): "#81c784",
    ("check-jsonschema", SYNTHETIC): "#757575",
}


def plot(results: list[Result]) -> str:
    """A log-log SVG line chart of median time against catalog size, one line per command."""
    series = {
        key: sorted((r.services, r.median) for r in results if (r.command, r.catalog) == key and r.services)
        for key in COLOURS
    }
    points = [p for line in series.values() for p in line]
    if not points:
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"
    width, height, left, bottom, top, right = 820, 440, 70, 50, 20, 270
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
    for row, (key, line) in enumerate((k, s) for k, s in series.items() if s):
        colour = COLOURS[key]
        name = f"{key[0]} ({key[1]})"
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
