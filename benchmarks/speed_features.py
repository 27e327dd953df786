"""Every speed feature of `gen` beside its plain twin, in the same run, and the rule that keeps it.

Usage: .venv/bin/python benchmarks/speed_features.py [--sizes 50,500] [--runs 7] [--site-runs 3]

A feature is complexity added for speed; it stays only while it saves at least 20% of its
command's time on a catalog of a size real ones have. The public Portainer App Templates files
hold 47 to 524 templates, so the rule is applied at both ends of that range, 50 and 500 services
(real-shaped: the default catalog's AI stack copied, benchmarks/real_shaped_catalog.py): a
feature that saves 20% at neither is removed. Each
measurement alternates the feature and its twin (benchmarks/plain_twin.py, the same script for
both sides) as fresh processes, after the byte code is compiled and the schema checks cached, as
after an install. Writes benchmarks/results/speed-features.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.scale import BIN, REAL, RESULTS, run_once, warm_up, write_catalog  # noqa: E402

RULE_SAVING = 0.20
RULE_SIZES = (50, 500)  # the public App Templates files hold 47 to 524 templates
TWIN = str(ROOT / "benchmarks" / "plain_twin.py")


@dataclass(frozen=True)
class Feature:
    name: str  # as plain_twin.py knows it
    code: str  # where it lives
    command: str  # build, validate or site
    twin: str  # what it is measured against


FEATURES = (
    Feature("yaml-emitter", "generator/render/yaml_text.py", "build", "PyYAML's C emitter"),
    Feature("fast-reader", "generator/catalog/fastyaml.py", "validate", "ruamel.yaml's loader"),
    Feature("schema-cache", "generator/codecache.py", "validate", "schema checks compiled every run"),
    Feature("html-pages", "generator/render/site_html.py", "site", "mkdocs' Markdown over each page"),
)


@dataclass
class Comparison:
    feature: Feature
    size: int  # asked for
    services: int  # the catalog has
    with_feature: list[float]
    twin: list[float]

    @property
    def saved(self) -> float:
        return 1 - statistics.median(self.with_feature) / statistics.median(self.twin)


def argv(feature: str, command: str, catalog: Path, out: Path) -> list[str]:
    arguments = {
        "build": ["build", "--catalog", str(catalog), "--out", str(out)],
        "validate": ["validate", "--catalog", str(catalog)],
        "site": [
            "site",
            "build",
            "--catalog",
            str(catalog),
            "--config",
            str(ROOT / "mkdocs.yml"),
            "--out",
            str(out),
        ],
    }[command]
    return [sys.executable, TWIN, feature, *arguments]


def compare(feature: Feature, catalog: Path, size: int, services: int, runs: int, work: Path) -> Comparison:
    """The feature and its twin in turns, each run into a new folder (nothing deleted until the
    end: see scale.measure)."""
    result = Comparison(feature, size, services, [], [])
    for run in range(runs):
        for side, times in (("none", result.with_feature), (feature.name, result.twin)):
            out = work / f"{feature.name}-{services}-{side}-{run}"
            times.append(run_once(argv(side, feature.command, catalog, out))[0])
    print(
        f"  {feature.name:<15} {services:>4} services: {statistics.median(result.with_feature):6.3f} s "
        f"against {statistics.median(result.twin):6.3f} s, {result.saved:5.0%} saved"
    )
    return result


def report(results: list[Comparison], args: argparse.Namespace) -> str:
    lines = [
        "# Speed features against their plain twins",
        "",
        f"Command: `.venv/bin/python benchmarks/speed_features.py --sizes {args.sizes} --runs {args.runs} "
        f"--site-runs {args.site_runs}`  ",
        f"Rule: a feature stays while it saves at least {RULE_SAVING:.0%} of its command's time at a size "
        f"real catalogs have, {' or '.join(map(str, RULE_SIZES))} services (real-shaped; the public App "
        "Templates files hold 47 to 524 templates), and is removed otherwise. Medians of fresh processes, "
        "the feature and its twin alternating.",
        "",
        "| feature | code | command | twin | services | with it | twin | saved |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        f = r.feature
        lines.append(
            f"| {f.name} | `{f.code}` | gen {f.command} | {f.twin} | {r.services} | "
            f"{statistics.median(r.with_feature):.3f} s | {statistics.median(r.twin):.3f} s | {r.saved:.0%} |"
        )
    lines += ["", "## Verdicts", "", "| feature | saved at the rule's sizes | verdict |", "|---|---|---|"]
    for feature in dict.fromkeys(r.feature for r in results):
        at_sizes = [r for r in results if r.feature == feature and r.size in RULE_SIZES]
        if not at_sizes:
            continue
        verdict = "kept" if any(r.saved >= RULE_SAVING for r in at_sizes) else "remove"
        saved = ", ".join(f"{r.saved:.0%} at {r.services}" for r in at_sizes)
        lines.append(f"| {feature.name} | {saved} | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, RULE_SIZES)))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--site-runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated feature names")
    args = parser.parse_args()
    chosen = [f for f in FEATURES if not args.only or f.name in args.only.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="gen-features-") as folder:
        work = Path(folder)
        warm_up(str(BIN / "gen"), work / "warm-up")
        for size in (int(s) for s in args.sizes.split(",")):
            catalog = work / f"catalog-{size}"
            services = write_catalog(REAL, size, catalog)
            for feature in chosen:
                runs = args.site_runs if feature.command == "site" else args.runs
                results.append(compare(feature, catalog, size, services, runs, work))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed-features.md").write_text(report(results, args))
    print(f"wrote {RESULTS / 'speed-features.md'}")


if __name__ == "__main__":
    main()
