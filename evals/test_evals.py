"""The whole eval suite on the configured backend: MCQ accuracy (overall and per phase), retrieval,
citation correctness, required facts, refusals and latency.

Writes .data/eval-report/{report.json, report.md, per_phase.png}, prints a summary, and fails when
a metric is below its floor for the backend in evals/thresholds.toml.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.services.evaluate import METRICS, Evaluator, below_thresholds, load_sets, load_thresholds

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


@pytest.fixture(scope="module")
def report(eval_container, request: pytest.FixtureRequest):
    evaluator = Evaluator.from_container(eval_container, progress=_Printer())
    print(f"\nevals on {evaluator.backend}: {evaluator.model}", flush=True)
    result = evaluator.run_all(
        **load_sets(EVALS, suite="all"),
        command=" ".join(["pytest", *request.config.invocation_params.args]),
    )
    result.write(REPORT_DIR)
    _print_summary(result)
    return result


def _print_summary(report) -> None:
    print(f"\n== eval summary: {report.backend}: {report.model}, {report.total_s:.0f} s ==")
    for name, value in report.metrics().items():
        print(f"  {name:<22} {value:.3f}")
    mcq = report.suites["mcq"]
    print(f"  MCQ per phase ({mcq['correct']}/{mcq['n']}):")
    for phase, v in mcq["per_phase"].items():
        print(f"    {phase:<45} {v['correct']:>3}/{v['n']:<3} {v['accuracy']:.3f}")
    floors = load_thresholds(THRESHOLDS, report.backend)
    problems = below_thresholds(report.metrics(), floors)
    print("  below floor: " + ("; ".join(problems) if problems else "none") + f"  (report: {REPORT_DIR})")


def test_report_is_written(report):
    for name in ("report.json", "report.md", "per_phase.png"):
        assert (REPORT_DIR / name).stat().st_size > 0
    assert report.suites["mcq"]["n"] >= 110 and not report.suites["mcq"]["skipped"]


@pytest.mark.parametrize("metric", list(METRICS))
def test_metric_meets_its_floor(report, metric):
    floors = load_thresholds(THRESHOLDS, report.backend)
    if metric not in floors:
        pytest.skip(f"evals/thresholds.toml has no [{report.backend}] floor for {metric}")
    value = report.metrics()[metric]
    assert value >= floors[metric], (
        f"{metric} = {value:.3f} on {report.backend}:{report.model}, floor {floors[metric]:.3f}"
    )
