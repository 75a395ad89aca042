"""What an eval run measured: one `Report` per split, gathered in a `Run` that writes report.json,
report.md (the splits side by side) and one per-phase chart per split."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.services.evaluation.score import LATENCY, METRICS


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Report:
    """One split's results. `to_json()` round-trips through `Report.from_json`."""

    backend: str
    model: str
    suites: dict[str, dict[str, Any]]
    latency: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    command: str = ""
    date: str = field(default_factory=_now)
    meta: dict[str, Any] = field(default_factory=dict)
    split: str = ""
    problems: list[str] = field(default_factory=list)  # items of the input files that were skipped, and why

    def metrics(self) -> dict[str, float]:
        """The headline metrics that were measured, flat (thresholds and `compare` use these names)."""
        out = {name: self.suites[s][key] for name, (s, key, _) in METRICS.items() if key in self.suites.get(s, {})}
        if self.latency.get("n"):
            out.update({name: self.latency[key] for name, key in LATENCY.items()})
        return out

    def skipped_suites(self) -> dict[str, str]:
        """Suites that were not measured, with the reason (e.g. no claim checker)."""
        return {name: s["skipped"] for name, s in self.suites.items() if isinstance(s.get("skipped"), str)}

    def summary(self) -> dict[str, Any]:
        """MCQ n/correct/accuracy/per_phase, then every other headline metric (`assistant eval --json`)."""
        out: dict[str, Any] = {}
        if "mcq" in self.suites:
            out.update({k: self.suites["mcq"][k] for k in ("n", "correct", "accuracy", "per_phase")})
        out.update({k: v for k, v in self.metrics().items() if k != "mcq_accuracy"})
        out.update({f"{name}_skipped": reason for name, reason in self.skipped_suites().items()})
        if self.problems:
            out["skipped_items"] = list(self.problems)
        out["total_s"] = self.total_s
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "split": self.split,
            "date": self.date,
            "command": self.command,
            "meta": self.meta,
            "metrics": self.metrics(),
            "latency": self.latency,
            "total_s": self.total_s,
            "problems": self.problems,
            "suites": self.suites,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        keys = ("backend", "model", "suites", "latency", "total_s", "command", "date", "meta", "split", "problems")
        return cls(**{k: data[k] for k in keys if k in data})


@dataclass
class Run:
    """The reports of one eval run, by split name ("dev", "test", or a --questions file's name)."""

    reports: dict[str, Report]
    command: str = ""
    date: str = field(default_factory=_now)

    @property
    def backend(self) -> str:
        return next(iter(self.reports.values())).backend if self.reports else ""

    @property
    def model(self) -> str:
        return next(iter(self.reports.values())).model if self.reports else ""

    @property
    def total_s(self) -> float:
        return round(sum(r.total_s for r in self.reports.values()), 2)

    def metrics(self) -> dict[str, dict[str, float]]:
        """split -> headline metrics."""
        return {name: r.metrics() for name, r in self.reports.items()}

    def summary(self) -> dict[str, Any]:
        """`assistant eval --json`: {"backend", "model", "total_s", "splits": {split: Report.summary()}}."""
        splits = {name: r.summary() for name, r in self.reports.items()}
        return {"backend": self.backend, "model": self.model, "total_s": self.total_s, "splits": splits}

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "date": self.date,
            "command": self.command,
            "total_s": self.total_s,
            "metrics": self.metrics(),
            "splits": {name: r.to_json() for name, r in self.reports.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Run:
        """A run's report.json; a one-split report.json of earlier versions becomes a run of one split."""
        if "splits" not in data:
            report = Report.from_json(data)
            return cls({report.split or "all": report}, command=report.command, date=report.date)
        reports = {name: Report.from_json(r) for name, r in data["splits"].items()}
        return cls(reports, command=data.get("command", ""), date=data.get("date", _now()))

    def chart_name(self, split: str) -> str:
        return f"per_phase_{split}.png"

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """report.json, report.md and, per split with MCQ results, per_phase_<split>.png in `out_dir`."""
        from assistant.services.evaluation.render import plot_per_phase, render_markdown

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "report.json", "md": out / "report.md"}
        paths["json"].write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths["md"].write_text(render_markdown(self), encoding="utf-8")
        for name, r in self.reports.items():
            mcq = r.suites.get("mcq", {})
            if mcq.get("per_phase"):
                title = f"MCQ accuracy per phase, {name} split: {r.backend}: {r.model}"
                path = out / self.chart_name(name)
                paths[f"png_{name}"] = plot_per_phase(mcq["per_phase"], path, title=title, overall=mcq["accuracy"])
        return paths
