"""report.md and the per-phase charts of an eval run: the splits side by side, then each split's details."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.services.evaluation.score import LATENCY, METRICS

if TYPE_CHECKING:
    from assistant.services.evaluation.report import Report, Run


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        text = f"{v:.3f}" if isinstance(v, float) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _short(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _letters_text(letters: str, options: Mapping[str, str]) -> str:
    if not letters:
        return "(none)"
    return "; ".join(f"{k}. {_short(options.get(k, '?'), 60)}" for k in letters.split(","))


def render_markdown(run: Run) -> str:
    names = list(run.reports)
    first = next(iter(run.reports.values()), None)
    meta = ", ".join(f"{k}={v}" for k, v in (first.meta if first else {}).items()) or "-"
    parts = [
        f"# Eval report — {run.backend}: {run.model}",
        f"- date: {run.date}\n- command: `{run.command or '(not recorded)'}`\n- backend: {run.backend}"
        f"\n- model: {run.model}\n- settings: {meta}\n- splits: {', '.join(names)}"
        f"\n- total time: {run.total_s:.1f} s",
        "## Metrics",
        "dev is the split constants are tuned on; test is never tuned on (see evals/thresholds.toml).",
        _side_by_side(run),
    ]
    for name, r in run.reports.items():
        parts += _split_sections(name, r, run.chart_name(name))
    return "\n\n".join(parts) + "\n"


def _side_by_side(run: Run) -> str:
    metrics = run.metrics()
    names = [n for n in [*METRICS, *LATENCY] if any(n in m for m in metrics.values())]
    rows = [(n, *(metrics[s].get(n, "-") for s in run.reports)) for n in names]
    for split, r in run.reports.items():
        for suite, reason in r.skipped_suites().items():
            rows.append((f"{suite} ({split})", *(reason if s == split else "" for s in run.reports)))
    return table(["metric", *run.reports], rows)


def _split_sections(name: str, r: Report, chart: str) -> list[str]:
    out = [f"## Split: {name}"]
    if r.problems:
        out.append(f"### Skipped input items ({len(r.problems)})\n" + "\n".join(f"- {p}" for p in r.problems))
    for suite, render in _SECTIONS.items():
        if suite in r.suites and not r.skipped_suites().get(suite):
            out += render(r.suites[suite], chart) if suite == "mcq" else render(r.suites[suite])
    label = {"mcq": "mcq (ask)", "retrieval": "retrieval (search only)", "open": "open (ask)"}
    timed = [(label.get(n, n), s["latency"]) for n, s in r.suites.items() if s.get("latency", {}).get("n")]
    if r.latency.get("n"):
        timed.append(("every question asked (once each)", r.latency))
    if timed:
        rows = [(n, t["n"], t["p50_s"], t["p95_s"], t["mean_s"], t["total_s"]) for n, t in timed]
        out += ["### Latency (seconds per item)", table(["items", "n", "p50", "p95", "mean", "total"], rows)]
        out.append(f"Split time {r.total_s:.1f} s (CPU {r.latency.get('run_cpu_s', 0):.0f} s).")
    return out


def _md_mcq(s: Mapping[str, Any], chart: str) -> list[str]:
    rows = [(p, v["n"], v["correct"], v["accuracy"]) for p, v in s["per_phase"].items()]
    rows.append(("**all**", s["n"], s["correct"], s["accuracy"]))
    out = [
        "### Multiple-choice accuracy",
        f"![per phase]({chart})",
        "Phases as the items give them, under the corpus heading they name when they name one.",
        table(["phase", "n", "correct", "accuracy"], rows),
    ]
    kinds = s.get("by_kind", {})
    if set(kinds) - {"single", "multi"}:  # matching or case-study items: how each kind did
        rows = [(k, v["n"], v["correct"], v["accuracy"], _pairs_text(v)) for k, v in kinds.items()]
        out.append(table(["kind", "n", "correct", "accuracy", "pairs right"], rows))
    if s.get("skipped"):
        out.append(f"Skipped (ordering items, not scored): {', '.join(s['skipped'])}")
    failed = [
        (
            f["id"],
            f["phase"],
            _short(f.get("question", ""), 70),
            _letters_text(f["pick"], f.get("options", {})),
            _letters_text(f["gold"], f.get("options", {})),
            f.get("method", "") + (f" ({f['pairs_right']}/{f['pairs']} pairs right)" if "pairs" in f else ""),
        )
        for f in s["failed"]
    ]
    out += [
        f"#### Failed items ({len(failed)})",
        table(["id", "phase", "question", "model's pick", "gold", "method"], failed),
    ]
    return out


def _pairs_text(kind: Mapping[str, Any]) -> str:
    return f"{kind['pairs_right']}/{kind['pairs']}" if "pairs" in kind else "-"


def _md_retrieval(s: Mapping[str, Any]) -> list[str]:
    keys = [k for k in s if k.startswith("recall_at_")] + ["mrr"]
    misses = [
        (x["id"], _short(x["question"], 70), "; ".join(x["gold"]), x["rank"] or "-", " / ".join(x["top"]))
        for x in s["misses"]
    ]
    return [
        "### Retrieval",
        table(["n", *keys], [(s["n"], *(s[k] for k in keys))]),
        f"#### Misses at k={s['k']} ({len(misses)})",
        table(["id", "question", "gold", "first gold rank", "top 3"], misses),
    ]


def _md_citations(s: Mapping[str, Any]) -> list[str]:
    failed = [
        (f["id"], f["n"], _short(f["sentence"], 70), _short(f["quote"], 70), f["points_to_passage"], f["supports"])
        for f in s["failed"]
    ]
    head = ["answered", "citations", "correct", "correctness", "points to passage", "supports", "uncited answers"]
    row = (s["answered"], s["citations"], s["correct"], s["citation_correctness"], s["points_to_passage"])
    return [
        "### Citations (open questions)",
        "A citation is correct when its [n] leads to the retrieved passage it quotes and its quote supports a "
        "sentence citing [n] (that sentence is the quote, or >= 50% of its content words are in the quote).",
        table(head, [(*row, s["supports"], len(s["uncited"]))]),
        f"#### Incorrect citations ({len(failed)})",
        table(["id", "n", "answer sentence", "quote", "points to passage", "supports"], failed),
    ]


def _md_open(s: Mapping[str, Any]) -> list[str]:
    failed = [
        (f["id"], _short(f["question"], 60), f["coverage"], "; ".join(f["missing"]), _short(f["answer"], 90))
        for f in s["failed"]
    ]
    return [
        "### Open questions: required facts",
        table(
            ["n", "fact coverage", "full coverage", "refused"],
            [(s["n"], s["fact_coverage"], s["full_coverage"], s["refused"])],
        ),
        f"#### Incomplete answers ({len(failed)})",
        table(["id", "question", "coverage", "missing", "answer"], failed),
    ]


def _md_refusals(s: Mapping[str, Any]) -> list[str]:
    wrong = [
        (x["id"], x["kind"], "refused" if x["refused"] else "answered", _short(x["question"], 70), _short(x["reason"]))
        for x in [*s["missed"], *s["false_refusals"]]
    ]
    row = (s["n_out_of_scope"], s["n_in_scope"], s["refusal_precision"], s["refusal_recall"])
    return [
        "### Refusals",
        table(
            ["out of scope", "in scope", "precision", "recall", *s["recall_by_kind"]],
            [(*row, *s["recall_by_kind"].values())],
        ),
        f"#### Wrong decisions ({len(wrong)})",
        table(["id", "kind", "assistant", "question", "reason"], wrong),
    ]


def _md_claims(s: Mapping[str, Any]) -> list[str]:
    wrong = [
        (x["id"], x["kind"], "true" if x["label"] else "false", "accepted" if x["accepted"] else "rejected",
         _short(x["sentence"], 100))
        for x in s["failed"]
    ]  # fmt: skip
    kinds = s["false_rejected_by_kind"]
    return [
        "### False-sentence check (claims)",
        "false rejected: share of false sentences the check rejects; true accepted: share of true ones it accepts.",
        table(
            ["sentences", "false", "true", "false rejected", "true accepted", *(f"rejected: {k}" for k in kinds)],
            [(s["n"], s["n_false"], s["n_true"], s["false_rejected"], s["true_accepted"], *kinds.values())],
        ),
        f"#### Wrong verdicts ({len(wrong)})",
        table(["id", "kind", "label", "check", "sentence"], wrong),
    ]


_SECTIONS = {
    "mcq": _md_mcq,
    "retrieval": _md_retrieval,
    "citations": _md_citations,
    "open": _md_open,
    "refusals": _md_refusals,
    "claims": _md_claims,
}


def plot_per_phase(
    per_phase: Mapping[str, Mapping[str, Any]], path: Path, *, title: str = "", overall: float | None = None
) -> Path:
    """Horizontal bars of per-phase accuracy, n on each bar. Agg canvas: no display, no pyplot state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(per_phase)[::-1]  # first phase on top
    fig = Figure(figsize=(8.5, 0.42 * len(names) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(names, [per_phase[p]["accuracy"] for p in names], color="#4c78a8")
    for bar, p in zip(bars, names, strict=True):
        v = per_phase[p]
        label = f"{v['accuracy']:.0%}  ({v['correct']}/{v['n']})"
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    if overall is not None:
        ax.axvline(overall, color="#888888", linestyle="--", linewidth=1)
        title = f"{title}\n(dashed: overall {overall:.0%}; bars: right/n per phase)"
    ax.set_xlim(0, 1.25)  # room for the labels of full bars
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("accuracy")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
