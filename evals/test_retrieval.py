"""Retrieval quality on the held-out question set: the suite fails below recall@3 = 0.90."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.services.metrics import mrr, recall_at_k

SET = Path(__file__).with_name("retrieval.jsonl")


def test_recall_at_3_and_mrr(guide_container):
    rows = [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 40
    ranked = [[p.chunk.section for p in guide_container.retriever.search(r["question"], k=10)] for r in rows]
    golds = [r["gold_sections"] for r in rows]
    r3, score = recall_at_k(ranked, golds, 3), mrr(ranked, golds)
    print(f"\nretrieval: n={len(rows)} recall@3={r3:.3f} mrr={score:.3f}")
    assert r3 >= 0.90
    assert score >= 0.80
