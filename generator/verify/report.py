"""The verify report as a terminal table, JSON (schemas/verify-report.schema.json) and Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.escape import markdown_cell, prometheus_label
from generator.verify.baselines import Measurement, ModelSpeed

REPORT_VERSION = 1


@dataclass
class Report:
    stack: str
    variant: str
    runs: int
    measured_at: str
    host: dict[str, str]
    baselines: list[Measurement]
    model: ModelSpeed | None = None  # with --model: Ollama's own load time and generation speed

    @property
    def ok(self) -> bool:
        return not any(m.status == "failed" for m in self.baselines)

    def to_text(self) -> str:
        return to_text(self)

    def to_dict(self) -> dict[str, Any]:
        counts = dict.fromkeys(("passed", "failed", "skipped"), 0)
        for measurement in self.baselines:
            counts[measurement.status] += 1
        return {
            "report_version": REPORT_VERSION,
            "generated_by": "gen verify",
            "measured_at": self.measured_at,
            "stack": self.stack,
            "variant": self.variant,
            "runs": self.runs,
            "host": self.host,
            "baselines": [
                {
                    "id": m.id,
                    "title": m.title,
                    "target_s": m.target_s,
                    "status": m.status,
                    "runs_s": [round(run, 4) for run in m.runs_s],
                    "median_s": None if m.median_s is None else round(m.median_s, 4),
                    "reason": m.reason,
                }
                for m in self.baselines
            ],
            "summary": counts,
            "ok": self.ok,
            **({"model": _model_dict(self.model)} if self.model else {}),
        }


def _model_dict(speed: ModelSpeed) -> dict[str, Any]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 4)

    return {
        "name": speed.model,
        "load_s": [round(v, 4) for v in speed.load_s],
        "median_load_s": rounded(speed.median_load_s),
        "tokens_per_second": [round(v, 2) for v in speed.tokens_per_second],
        "median_tokens_per_second": rounded(speed.median_tokens_per_second),
    }


def _model_line(speed: ModelSpeed) -> str:
    load = "-" if speed.median_load_s is None else f"{speed.median_load_s:.3f} s"
    rate = "-" if speed.median_tokens_per_second is None else f"{speed.median_tokens_per_second:.1f} tokens/s"
    return (
        f"model {speed.model}: Ollama's load time {load}, generation {rate} (medians, Ollama's own figures)"
    )


def _median(m: Measurement) -> str:
    return "-" if m.median_s is None else f"{m.median_s:.3f} s"


def _range(m: Measurement) -> str:
    return f"{min(m.runs_s):.3f}-{max(m.runs_s):.3f} s" if m.runs_s else "-"


def to_text(report: Report) -> str:
    rows = [("baseline", "target", "median", "range", "runs", "result")]
    for m in report.baselines:
        rows.append(
            (m.title, f"< {m.target_s:g} s", _median(m), _range(m), str(len(m.runs_s)), m.status.upper())
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"  {m.id}: {m.reason}" for m in report.baselines if m.reason]
    verdict = (
        "all measured baselines met their targets" if report.ok else "some baselines missed their targets"
    )
    return "\n".join(
        [
            f"gen verify: stack {report.stack} ({report.variant}), {report.runs} runs each",
            "",
            *lines,
            "",
            *([_model_line(report.model), ""] if report.model else []),
            *(["notes:", *notes, ""] if notes else []),
            verdict,
            "",
        ]
    )


def to_markdown(report: Report) -> str:
    """A page for the docs site: "Measured on this host"."""
    lines = [
        "# Measured on this host",
        "",
        f"`gen verify --stack {report.stack} --variant {report.variant} --runs {report.runs}` on "
        f"{report.measured_at}: each figure is the median of {report.runs} runs, beside the target "
        "from the deployment report. Skipped baselines were not measured here, and say why.",
        "",
        "| baseline | target | median | range | result |",
        "|---|---|---|---|---|",
    ]
    for m in report.baselines:
        result = m.status if not m.reason else f"{m.status}: {m.reason}"
        cells = [markdown_cell(m.title), f"< {m.target_s:g} s", _median(m), _range(m), markdown_cell(result)]
        lines.append(f"| {' | '.join(cells)} |")
    lines += ["", "## The host", "", "| | |", "|---|---|"]
    lines += [f"| {key.replace('_', ' ')} | {markdown_cell(value)} |" for key, value in report.host.items()]
    return "\n".join(lines) + "\n"


def write_markdown(report: Report, path: Path) -> None:
    """`gen verify --markdown`: the report as a page of the docs site."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_markdown(report))


TEXTFILE = "ai_stack_baselines.prom"  # in node_exporter's textfile collector folder
TEXTFILE_METRICS = {
    "ai_stack_baseline_seconds": "The baseline's median over its runs, in seconds.",
    "ai_stack_baseline_target_seconds": "The baseline's target, in seconds.",
    "ai_stack_baseline_passed": "1 when the median met the target, 0 when it missed it.",
    "ai_stack_baseline_measured_timestamp_seconds": "When the baseline was measured (Unix time).",
}


def to_textfile(report: Report, measured_at: float) -> str:
    """The baselines in Prometheus' text format, for node_exporter's textfile collector: each
    measured baseline's median, its target, whether it met it, and when it was measured (a
    skipped one has no value rather than a made-up one)."""
    measured = [m for m in report.baselines if m.median_s is not None]
    lines = []
    for name, help_text in TEXTFILE_METRICS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for m in measured:
            # not `stack`: Prometheus gives that label the scraped target's (the monitoring stack)
            labels = f'baseline="{m.id}",measured_stack="{report.stack}",variant="{report.variant}"'
            values = {
                "ai_stack_baseline_seconds": f"{m.median_s:.6g}",
                "ai_stack_baseline_target_seconds": f"{m.target_s:.6g}",
                "ai_stack_baseline_passed": "1" if m.status == "passed" else "0",
                "ai_stack_baseline_measured_timestamp_seconds": f"{measured_at:.0f}",
            }
            lines.append(f"{name}{{{labels}}} {values[name]}")
    speed = report.model
    if speed is not None:
        model = prometheus_label(speed.model)
        labels = f'model="{model}",measured_stack="{report.stack}",variant="{report.variant}"'
        for name, help_text, value in (
            (
                "ai_stack_model_load_seconds",
                "Ollama's load time of the model (its load_duration), median.",
                speed.median_load_s,
            ),
            (
                "ai_stack_model_tokens_per_second",
                "The model's generation speed (Ollama's eval_count / eval_duration), median.",
                speed.median_tokens_per_second,
            ),
        ):
            if value is not None:
                lines += [
                    f"# HELP {name} {help_text}",
                    f"# TYPE {name} gauge",
                    f"{name}{{{labels}}} {value:.6g}",
                ]
    return "\n".join(lines) + "\n"


def write_textfile(report: Report, folder: Path, measured_at: float) -> Path:
    """`gen verify --textfile`: the baselines where node_exporter's textfile collector reads
    them, replaced whole (the collector never reads half a file)."""
    from generator.writer import replace_file

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TEXTFILE
    replace_file(path, to_textfile(report, measured_at).encode("utf-8"))
    path.chmod(0o644)
    return path
