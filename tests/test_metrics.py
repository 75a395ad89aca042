"""Each eval metric on hand-made cases where the right value is known."""

from __future__ import annotations

import pytest

from assistant.services import metrics as m


def test_section_match_is_by_heading_component():
    assert m.section_matches("What Is the ML Development Lifecycle? > 4. Model Training", "4. Model Training")
    assert not m.section_matches("What Is the ML Development Lifecycle? > 4. Model Training", "Model Training")


def test_recall_and_mrr():
    ranked = [["A", "B", "C"], ["X", "Y", "A"], ["X", "Y", "Z", "A"]]
    golds = [["A"], ["A"], ["A"]]
    assert m.recall_at_k(ranked, golds, 1) == pytest.approx(1 / 3)
    assert m.recall_at_k(ranked, golds, 3) == pytest.approx(2 / 3)
    assert m.mrr(ranked, golds) == pytest.approx((1 + 1 / 3 + 1 / 4) / 3)
    assert m.recall_at_k([], [], 3) == 0.0


def test_mcq_letters_all_or_nothing():
    assert m.mcq_correct("B", "B")
    assert m.mcq_correct(["D", "B"], "B,D")
    assert not m.mcq_correct("B", "B,D")
    assert not m.mcq_correct("B,C,D", "B,D")
    assert m.letters(" b , d ") == ("B", "D")


def test_fact_coverage_normalises_and_accepts_synonyms():
    facts = [["SageMaker Clarify", "Clarify"], ["bias"]]
    assert m.fact_coverage("Use Amazon SageMaker-Clarify to detect BIAS.", facts) == 1.0
    assert m.fact_coverage("Use Clarify.", facts) == 0.5
    assert m.fact_coverage("Use biased Clarify", [["bias"]]) == 0.0  # whole words only
    assert m.fact_coverage("anything", []) == 1.0


def test_refusal_precision_recall():
    refused = [True, True, False, False]
    should = [True, False, True, False]
    s = m.refusal_scores(refused, should)
    assert s["refusal_precision"] == 0.5 and s["refusal_recall"] == 0.5
    assert m.refusal_scores([False], [False]) == {"refusal_precision": 1.0, "refusal_recall": 1.0}


def test_percentile():
    assert m.percentile([5, 1, 3], 50) == 3
    assert m.percentile([], 95) == 0.0
