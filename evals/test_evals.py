"""The whole eval suite on the configured backend, on both splits: MCQ accuracy (overall and per
phase), retrieval, citation correctness, required facts, refusals, the false-sentence check (when the
assistant has a claim checker) and latency.

Writes .data/eval-report/{report.json, report.md, per_phase_dev.png, per_phase_test.png}, prints the
splits side by side, and fails when a metric is below its floor in evals/thresholds.toml
([backend.split] tables; a metric without a floor is reported, not gated).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.services.evaluation import (
    METRICS,
    SPLITS,
    Evaluator,
    below_thresholds,
    load_split,
    load_thresholds,
    split_files,
)

pytestmark = pytest.mark.slow

EVALS = Path(__file__).resolve().parent
REPORT_DIR = EVALS.parent / ".data" / "eval-report"
THRESHOLDS = EVALS / "thresholds.toml"


class _Printer:
    """Progress on stdout (visible with -s): a line every 20 items and at the end of each stage."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if done and (done % 20 == 0 or done == total):
            print(f"  {stage}: {done}/{total}  ({time.perf_counter() - self.start:.0f} s)", flush=True)


@pytest.mark.parametrize("split", SPLITS)
def test_split_has_every_set(split):
    """Before any model runs: a split that lost a file would report numbers nobody measured."""
    for name, path in split_files(EVALS, split).items():
        assert path.is_file(), f"{split}: {name} set missing ({path})"
        assert path.read_text(encoding="utf-8").strip(), f"{split}: {name} set is empty ({path})"


@pytest.fixture(scope="module")
def run(eval_container, request: pytest.FixtureRequest):
    evaluator = Evaluator.from_container(eval_container, progress=_Printer())
    print(f"\nevals on {evaluator.backend}: {evaluator.model}", flush=True)
    result = evaluator.run(
        [load_split(EVALS, split) for split in SPLITS],
        command=" ".join(["pytest", *request.config.invocation_params.args]),
    )
    result.write(REPORT_DIR)
    _print_summary(result)
    return result


def _print_summary(run) -> None:
    print(f"\n== eval summary: {run.backend}: {run.model}, {run.total_s:.0f} s ==")
    metrics = run.metrics()
    print(f"  {'metric':<24}" + "".join(f"{s:>10}" for s in run.reports))
    for name in METRICS:
        if any(name in m for m in metrics.values()):
            print(
                f"  {name:<24}" + "".join(f"{m[name]:>10.3f}" if name in m else f"{'-':>10}" for m in metrics.values())
            )
    for split, report in run.reports.items():
        mcq = report.suites["mcq"]
        print(f"  {split}: MCQ per phase ({mcq['correct']}/{mcq['n']}):")
        for phase, v in mcq["per_phase"].items():
            print(f"    {phase:<45} {v['correct']:>3}/{v['n']:<3} {v['accuracy']:.3f}")
        for suite, reason in report.skipped_suites().items():
            print(f"  {split}: {suite} {reason}")
        floors = load_thresholds(THRESHOLDS, report.backend, split)
        problems = below_thresholds(report.metrics(), floors)
        gate = ("; ".join(problems) if problems else "none") if floors else "no floors (reported, not gated)"
        print(f"  {split}: below floor: {gate}")
    print(f"  report: {REPORT_DIR}")


def test_report_is_written(run):
    names = ["report.json", "report.md", *(run.chart_name(s) for s in SPLITS)]
    for name in names:
        assert (REPORT_DIR / name).stat().st_size > 0, name
    assert run.reports["dev"].suites["mcq"]["n"] >= 110 and not run.reports["dev"].suites["mcq"]["skipped"]
    assert run.reports["test"].suites["mcq"]["n"] >= 150


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("metric", list(METRICS))
def test_metric_meets_its_floor(run, split, metric):
    report = run.reports[split]
    floors = load_thresholds(THRESHOLDS, report.backend, split)
    if metric not in floors:
        pytest.skip(f"evals/thresholds.toml has no [{report.backend}.{split}] floor for {metric}: reported, not gated")
    value = report.metrics().get(metric)
    assert value is not None, f"{split}: {metric} has a floor but was not measured ({report.skipped_suites()})"
    assert value >= floors[metric], (
        f"{split}: {metric} = {value:.3f} on {report.backend}:{report.model}, floor {floors[metric]:.3f}"
    )
