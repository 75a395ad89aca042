"""Scoring rules (pure functions), the headline metrics and their floors.

Citation correctness is a judgement, so it is defined here. A citation [n] of an answer is correct when
  1. it points at a retrieved passage: its chunk id is among the answer's passages, and passage n is
     that chunk (the number the reader sees leads to the cited text); and
  2. its quote supports a sentence of the answer that cites [n]: the sentence *is* the quote (the
     assistant quoted the guide), or at least half of the sentence's content words are in the quote
     (`support.lexical_support(sentence, quote) >= 0.5`).
`citation_correctness` = correct citations / all citations of the non-refused open answers. An answer
with no citation cannot lower that rate, so such answers are counted separately as `uncited`.

MCQ items are grouped per topic: the phase a file gives, mapped to a topic of the corpus
(`services.topics.corpus_topics`) when it names one (`topics.match_topic`), else as given; items without
a phase go under NO_PHASE.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.services import metrics as m
from assistant.services.support import lexical_support

NO_PHASE = "(no phase)"
MIN_QUOTE_SUPPORT = 0.5
_MARKER = re.compile(r"\s*\[(\d{1,3})\](?:\s+|$)")
# Headline metrics: name -> (suite, key, higher_is_better).
METRICS: dict[str, tuple[str, str, bool]] = {
    "mcq_accuracy": ("mcq", "accuracy", True),
    "recall_at_1": ("retrieval", "recall_at_1", True),
    "recall_at_3": ("retrieval", "recall_at_3", True),
    "recall_at_5": ("retrieval", "recall_at_5", True),
    "mrr": ("retrieval", "mrr", True),
    "citation_correctness": ("citations", "citation_correctness", True),
    "fact_coverage": ("open", "fact_coverage", True),
    "full_coverage": ("open", "full_coverage", True),
    "refusal_precision": ("refusals", "refusal_precision", True),
    "refusal_recall": ("refusals", "refusal_recall", True),
    "claims_false_rejected": ("claims", "false_rejected", True),
    "claims_true_accepted": ("claims", "true_accepted", True),
}
LATENCY = {"latency_p50_s": "p50_s", "latency_p95_s": "p95_s"}  # lower is better


def strip_markers(text: str) -> str:
    return _MARKER.sub(" ", text).strip()


def answer_sentences(text: str) -> list[tuple[str, int]]:
    """(sentence, n) for each cited sentence of a rendered answer: every sentence ends with " [n]"."""
    parts = _MARKER.split(text.strip())
    return [(parts[i].strip(), int(parts[i + 1])) for i in range(0, len(parts) - 1, 2) if parts[i].strip()]


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.strip().strip("\u201c\u201d\"'").split()).rstrip(".").casefold()

    return norm(a) == norm(b)


def citation_verdict(text: str, passage_ids: Sequence[str], n: int, cid: str, quote: str) -> dict[str, Any]:
    """The citation-correctness rule of this module's docstring, for one citation of an answer."""
    points = cid in passage_ids and 1 <= n <= len(passage_ids) and passage_ids[n - 1] == cid
    cited = [s for s, mark in answer_sentences(text) if mark == n]
    best = max(cited, key=lambda s: 2.0 if _same_text(s, quote) else lexical_support(s, quote), default="")
    supports = bool(cited) and (_same_text(best, quote) or lexical_support(best, quote) >= MIN_QUOTE_SUPPORT)
    return {"points_to_passage": points, "supports": supports, "sentence": best, "correct": points and supports}


def latency_stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": round(m.percentile(values, 50), 3),
        "p95_s": round(m.percentile(values, 95), 3),
        "mean_s": round(sum(values) / len(values), 3) if values else 0.0,
        "total_s": round(sum(values), 2),
    }


def _rate(k: int, n: int) -> float:
    return round(k / n, 4) if n else 0.0


def summarize_mcq(
    records: Sequence[Mapping[str, Any]], skipped: Sequence[str] = (), topics: Sequence[str] = ()
) -> dict[str, Any]:
    """Accuracy overall and per topic (`record["topic"]`, else its phase): known topics in their order,
    then the others as they first appear, NO_PHASE last."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(r.get("topic") or r["phase"], []).append(r)
    order = [t for t in topics if t in groups] + [t for t in groups if t not in topics and t != NO_PHASE]
    per_phase = {}
    for topic in order + ([NO_PHASE] if NO_PHASE in groups else []):
        ok = sum(1 for r in groups[topic] if r["correct"])
        per_phase[topic] = {"n": len(groups[topic]), "correct": ok, "accuracy": _rate(ok, len(groups[topic]))}
    correct = sum(1 for r in records if r["correct"])
    slim = ("id", "phase", "topic", "type", "case", "pick", "gold", "correct", "pairs_right", "latency_s", "method")
    return {
        "n": len(records),
        "correct": correct,
        "accuracy": _rate(correct, len(records)),
        "per_phase": per_phase,
        "by_kind": _by_kind(records),
        "failed": [dict(r) for r in records if not r["correct"]],
        "skipped": list(skipped),
        "items": [{k: r.get(k) for k in slim} for r in records],
        "latency": latency_stats([r["latency_s"] for r in records]),
    }


def _by_kind(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Accuracy per item type, and for case-study items ("case study"); matching adds its pairs right."""
    kinds: dict[str, list[Mapping[str, Any]]] = {}
    for r in records:
        kinds.setdefault(r.get("type") or "single", []).append(r)
        if r.get("case"):
            kinds.setdefault("case study", []).append(r)
    out = {}
    for kind, rows in kinds.items():
        ok = sum(1 for r in rows if r["correct"])
        out[kind] = {"n": len(rows), "correct": ok, "accuracy": _rate(ok, len(rows))}
        if kind == "matching":
            right, pairs = sum(r.get("pairs_right", 0) for r in rows), sum(r.get("pairs", 0) for r in rows)
            out[kind] |= {"pairs_right": right, "pairs": pairs, "pair_accuracy": _rate(right, pairs)}
    return out


def summarize_retrieval(
    ranked: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], records: Sequence[dict], k: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(records), "k": k}
    for at in sorted({1, 3, 5, k}):
        out[f"recall_at_{at}"] = round(m.recall_at_k(ranked, golds, at), 4)
    out["mrr"] = round(m.mrr(ranked, golds), 4)
    out["misses"] = [r for r in records if not r["correct"]]
    out["items"] = [{"id": r["id"], "rank": r["rank"], "correct": r["correct"]} for r in records]
    out["latency"] = latency_stats([r["latency_s"] for r in records])
    return out


def summarize_citations(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    verdicts = [v for r in records for v in r["citations"]]
    answered = [r for r in records if not r["refused"]]
    return {
        "n": len(records),
        "answered": len(answered),
        "citations": len(verdicts),
        "correct": sum(1 for v in verdicts if v["correct"]),
        "citation_correctness": _rate(sum(1 for v in verdicts if v["correct"]), len(verdicts)),
        "points_to_passage": _rate(sum(1 for v in verdicts if v["points_to_passage"]), len(verdicts)),
        "supports": _rate(sum(1 for v in verdicts if v["supports"]), len(verdicts)),
        "uncited": [r["id"] for r in answered if not r["citations"]],
        "failed": [
            {"id": r["id"], "answer": r.get("answer", ""), **v}
            for r in records
            for v in r["citations"]
            if not v["correct"]
        ],
        "items": [{"id": r["id"], "correct": r["correct"]} for r in records],
    }


def summarize_open(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    n = len(records)
    return {
        "n": n,
        "fact_coverage": round(sum(r["coverage"] for r in records) / n, 4) if n else 0.0,
        "full_coverage": _rate(sum(1 for r in records if r["correct"]), n),
        "refused": sum(1 for r in records if r["refused"]),
        "failed": [dict(r) for r in records if not r["correct"]],
        "items": [{"id": r["id"], "coverage": r["coverage"], "correct": r["correct"]} for r in records],
        "latency": latency_stats([r["latency_s"] for r in records]),
    }


def summarize_refusals(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = m.refusal_scores([r["refused"] for r in records], [r["should_refuse"] for r in records])
    out = {k: round(v, 4) for k, v in out.items()}
    out["n_out_of_scope"] = sum(1 for r in records if r["should_refuse"])
    out["n_in_scope"] = sum(1 for r in records if not r["should_refuse"])
    kinds = sorted({r["kind"] for r in records if r["should_refuse"]})
    out["recall_by_kind"] = {
        k: _rate(sum(1 for r in records if r["kind"] == k and r["refused"]), sum(1 for r in records if r["kind"] == k))
        for k in kinds
    }
    out["false_refusals"] = [dict(r) for r in records if r["refused"] and not r["should_refuse"]]
    out["missed"] = [dict(r) for r in records if r["should_refuse"] and not r["refused"]]
    out["items"] = [{k: r[k] for k in ("id", "kind", "refused", "reason", "correct")} for r in records]
    return out


def summarize_claims(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The false-sentence check: share of false sentences rejected, of true sentences accepted."""
    false = [r for r in records if not r["label"]]
    true = [r for r in records if r["label"]]
    kinds = sorted({r["kind"] for r in false})
    return {
        "n": len(records),
        "n_false": len(false),
        "n_true": len(true),
        "false_rejected": _rate(sum(1 for r in false if not r["accepted"]), len(false)),
        "true_accepted": _rate(sum(1 for r in true if r["accepted"]), len(true)),
        "false_rejected_by_kind": {
            k: _rate(sum(1 for r in false if r["kind"] == k and not r["accepted"]), sum(r["kind"] == k for r in false))
            for k in kinds
        },
        "failed": [dict(r) for r in records if not r["correct"]],
        "items": [{k: r[k] for k in ("id", "label", "accepted", "correct")} for r in records],
    }


# -- floors -------------------------------------------------------------------------------------
def load_thresholds(path: str | Path, backend: str, split: str) -> dict[str, float]:
    """The `[backend.split]` table of a thresholds TOML file ({} when there is none: reported, not gated)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        msg = f"Cannot read eval thresholds {path}: {e}. Fix the file (TOML, [backend.split] tables of metric = floor)."
        raise ConfigError(msg) from e
    table = data.get(backend, {}).get(split, {})
    return {k: float(v) for k, v in table.items() if isinstance(v, int | float)}


def below_thresholds(metrics: Mapping[str, float], floors: Mapping[str, float]) -> list[str]:
    """One line per metric under its floor (or not measured)."""
    out = []
    for name, floor in floors.items():
        value = metrics.get(name)
        if value is None:
            out.append(f"{name}: not measured (floor {floor:.3f})")
        elif value < floor:
            out.append(f"{name}: {value:.3f} < floor {floor:.3f}")
    return out
