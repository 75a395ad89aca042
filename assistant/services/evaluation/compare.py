"""Comparing two eval runs: which metrics got better or worse, per split, and which items flipped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.services.evaluation.render import table
from assistant.services.evaluation.report import Report, Run
from assistant.services.evaluation.score import LATENCY, METRICS


def _load_run(source: Mapping[str, Any] | str | Path | Report | Run) -> Run:
    if isinstance(source, Run):
        return source
    if isinstance(source, Report):
        return Run({source.split or "all": source}, command=source.command, date=source.date)
    if isinstance(source, Mapping):
        return Run.from_json(source)
    path = Path(source)
    path = path / "report.json" if path.is_dir() else path
    try:
        return Run.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as e:
        msg = f"Cannot read eval report {path}: {e}. Pass a report.json (or its folder) written by `assistant eval`."
        raise InputError(msg) from e


def _pairs(ra: Run, rb: Run) -> dict[str, tuple[Report, Report]]:
    """The splits both runs measured; two one-split runs (e.g. two --questions files) pair up as they are."""
    common = [s for s in ra.reports if s in rb.reports]
    if common:
        return {s: (ra.reports[s], rb.reports[s]) for s in common}
    if len(ra.reports) == len(rb.reports) == 1:
        (sa, a), (sb, b) = next(iter(ra.reports.items())), next(iter(rb.reports.items()))
        return {sa if sa == sb else f"{sa} vs {sb}": (a, b)}
    return {}


def _metric_rows(ma: Mapping[str, float], mb: Mapping[str, float]) -> list[dict[str, Any]]:
    rows = []
    for name in [*METRICS, *LATENCY]:
        if name in ma or name in mb:
            va, vb = ma.get(name), mb.get(name)
            delta = None if va is None or vb is None else round(vb - va, 4)
            higher = METRICS[name][2] if name in METRICS else False
            change = "same" if not delta else ("better" if (delta > 0) == higher else "worse")
            rows.append(
                {"metric": name, "a": va, "b": vb, "delta": delta, "change": "n/a" if delta is None else change}
            )
    return rows


def _flips(a: Report, b: Report) -> dict[str, dict[str, list[str]]]:
    flips = {}
    for suite in sorted(set(a.suites) & set(b.suites)):
        ia = {i["id"]: i["correct"] for i in a.suites[suite].get("items", [])}
        ib = {i["id"]: i["correct"] for i in b.suites[suite].get("items", [])}
        both = [i for i in ia if i in ib]
        flips[suite] = {
            "fixed": [i for i in both if ib[i] and not ia[i]],
            "broken": [i for i in both if ia[i] and not ib[i]],
        }
    return flips


def diff(a: Any, b: Any) -> dict[str, Any]:
    """What changed from run `a` to run `b`, per split both measured: metric deltas and flipped items."""
    ra, rb = _load_run(a), _load_run(b)
    splits = {
        name: {"metrics": _metric_rows(x.metrics(), y.metrics()), "flips": _flips(x, y)}
        for name, (x, y) in _pairs(ra, rb).items()
    }

    def about(r: Run) -> dict[str, Any]:
        return {"backend": r.backend, "model": r.model, "date": r.date, "command": r.command, "splits": list(r.reports)}

    return {"a": about(ra), "b": about(rb), "splits": splits}


def _num(v: float | None, *, sign: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+.3f}" if sign else f"{v:.3f}"


def compare(a: Any, b: Any) -> str:
    """Markdown: per split, which metrics got better or worse from `a` to `b`, which items flipped."""
    d = diff(a, b)
    lines = [
        "# Eval comparison",
        f"- A: {d['a']['backend']}: {d['a']['model']} ({d['a']['date']}), splits {', '.join(d['a']['splits'])}",
        f"- B: {d['b']['backend']}: {d['b']['model']} ({d['b']['date']}), splits {', '.join(d['b']['splits'])}",
    ]
    if not d["splits"]:
        lines += ["", "The two runs share no split: nothing to compare."]
    for split, s in d["splits"].items():
        rows = [
            (r["metric"], _num(r["a"]), _num(r["b"]), _num(r["delta"], sign=True), r["change"]) for r in s["metrics"]
        ]
        lines += ["", f"## Split: {split}", "", table(["metric", "A", "B", "delta", "change"], rows)]
        for suite, f in s["flips"].items():
            lines += ["", f"### {suite}: {len(f['fixed'])} wrong -> right, {len(f['broken'])} right -> wrong"]
            lines += [f"- wrong -> right: {', '.join(f['fixed'])}"] if f["fixed"] else []
            lines += [f"- right -> wrong: {', '.join(f['broken'])}"] if f["broken"] else []
    return "\n".join(lines) + "\n"
