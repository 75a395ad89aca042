"""Eval metrics, computed without an LLM judge. Pure functions: unit tests check them on hand-made cases."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from assistant.services.text import is_correct


def section_matches(section: str, gold: str) -> bool:
    """A passage's heading path matches a gold section when one of its components is that heading."""
    parts = [p.strip().lower() for p in section.split(">")]
    return gold.strip().lower() in parts


def first_relevant_rank(sections: Sequence[str], gold: Iterable[str]) -> int | None:
    gold = list(gold)
    for rank, sec in enumerate(sections, start=1):
        if any(section_matches(sec, g) for g in gold):
            return rank
    return None


def recall_at_k(ranked: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], k: int) -> float:
    """Share of queries with at least one gold section among the first k passages."""
    if not ranked:
        return 0.0
    hits = sum(
        1 for secs, gold in zip(ranked, golds) if (r := first_relevant_rank(secs[:k], gold)) is not None and r <= k
    )
    return hits / len(ranked)


def mrr(ranked: Sequence[Sequence[str]], golds: Sequence[Sequence[str]]) -> float:
    if not ranked:
        return 0.0
    total = 0.0
    for secs, gold in zip(ranked, golds):
        r = first_relevant_rank(secs, gold)
        total += 1.0 / r if r else 0.0
    return total / len(ranked)


def letters(answer: str | Sequence[str]) -> tuple[str, ...]:
    """'B,D' / ['D','B'] / 'b, d' -> ('B','D')."""
    items = answer.split(",") if isinstance(answer, str) else list(answer)
    return tuple(sorted({a.strip().upper() for a in items if a.strip()}))


def mcq_correct(pick: str | Sequence[str], gold: str | Sequence[str]) -> bool:
    """Exact letters; all-or-nothing for multiple response (the one rule in `text.is_correct`)."""
    return is_correct(pick, gold)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w%]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def fact_coverage(answer: str, facts: Sequence[Sequence[str]]) -> float:
    """Share of required facts present; a fact is present when any of its surface forms is."""
    if not facts:
        return 1.0
    norm = f" {normalize(answer)} "
    found = sum(1 for forms in facts if any(f" {normalize(f)} " in norm for f in forms))
    return found / len(facts)


def refusal_scores(refused: Sequence[bool], should_refuse: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of refusals (positive class: the question is out of scope)."""
    tp = sum(1 for r, s in zip(refused, should_refuse) if r and s)
    fp = sum(1 for r, s in zip(refused, should_refuse) if r and not s)
    fn = sum(1 for r, s in zip(refused, should_refuse) if not r and s)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"refusal_precision": precision, "refusal_recall": recall}


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    idx = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[idx]
