"""Retrieval alone (no LLM), on each split: gated by the recall@3 and MRR floors of evals/thresholds.toml
for the embedded backend's table (retrieval does not depend on the LLM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.services.evaluation import SPLITS, load_thresholds, read_jsonl
from assistant.services.metrics import mrr, recall_at_k

EVALS = Path(__file__).resolve().parent


@pytest.mark.parametrize("split", SPLITS)
def test_recall_at_3_and_mrr(guide_container, split):
    rows = read_jsonl(EVALS / split / "retrieval.jsonl")
    assert len(rows) >= 20, f"{split}: {len(rows)} retrieval queries"
    ranked = [[p.chunk.section for p in guide_container.retriever.search(r["question"], k=10)] for r in rows]
    golds = [r["gold_sections"] for r in rows]
    r3, score = recall_at_k(ranked, golds, 3), mrr(ranked, golds)
    print(f"\nretrieval ({split}): n={len(rows)} recall@3={r3:.3f} mrr={score:.3f}")
    floors = load_thresholds(EVALS / "thresholds.toml", "embedded", split)
    if not {"recall_at_3", "mrr"} & set(floors):
        pytest.skip(
            f"no [embedded.{split}] retrieval floors yet: recall@3={r3:.3f}, MRR={score:.3f} reported, not gated"
        )
    assert r3 >= floors.get("recall_at_3", 0.0)
    assert score >= floors.get("mrr", 0.0)
