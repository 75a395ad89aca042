"""The text toolkit: one sentence splitter, one stemmer, one stop-word list, one service matcher, one grader."""

from __future__ import annotations

import pytest

from assistant.services import text as t

GUIDE_LIKE = (
    "### 5. Model Evaluation\n"
    "1. Data Ingestion: Raw data lands in Amazon S3 (e.g. from logs). Metrics (AUC-ROC, RMSE, etc.) are logged.\n"
    "- Bias Detection: AWS emphasizes responsible AI. Understanding where bias enters (labeling, etc.) is critical.\n"
    "- Use a managed store, i.e. SageMaker Feature Store, vs. a bucket."
)


def test_sentences_keep_list_numbers_abbreviations_and_parentheses_intact() -> None:
    assert t.sentences(GUIDE_LIKE) == [
        "### 5. Model Evaluation",
        "1. Data Ingestion: Raw data lands in Amazon S3 (e.g. from logs).",
        "Metrics (AUC-ROC, RMSE, etc.) are logged.",
        "Bias Detection: AWS emphasizes responsible AI.",
        "Understanding where bias enters (labeling, etc.) is critical.",
        "Use a managed store, i.e. SageMaker Feature Store, vs. a bucket.",
    ]


def test_spans_are_offsets_into_the_document() -> None:
    base = 1000
    document = "x" * base + GUIDE_LIKE
    spans = t.sentence_spans(GUIDE_LIKE, base)
    assert len(spans) == 6
    for span in spans:
        assert document[span.start : span.end] == span.text


def test_markers_stay_with_their_sentence() -> None:
    answer = "Clarify detects bias [1]. Model Monitor watches drift. [2][3] Glue does ETL [4] Then it ends."
    assert [t.split_markers(s) for s in t.sentences(answer)] == [
        ("Clarify detects bias.", [1]),
        ("Model Monitor watches drift.", [2, 3]),
        ("Glue does ETL", [4]),
        ("Then it ends.", []),
    ]


def test_streamed_text_yields_only_complete_sentences() -> None:
    assert t.complete_sentences("Clarify detects bias [1]. Model Mon") == (["Clarify detects bias [1]."], "Model Mon")
    # the next word has not arrived: the period might still be "e.g." or a list number
    assert t.complete_sentences("Clarify detects bias. ") == ([], "Clarify detects bias. ")
    assert t.complete_sentences("Steps are 1. Data") == ([], "Steps are 1. Data")
    assert t.complete_sentences("A line\nNext") == (["A line"], "Next")


def test_one_snowball_stemmer_and_one_stop_list() -> None:
    assert t.stem("monitoring") == t.stem("monitors") == "monitor"
    assert t.content_stems("The model is monitoring the endpoints, e.g. for drift") == [
        "model",
        "monitor",
        "endpoint",
        "drift",
    ]
    assert t.content_words("Which of these is used?") == set()
    assert t.tokens("Real\u2011time AUC\u2013ROC") == ["real", "time", "auc", "roc"]


def test_service_mentions() -> None:
    text = (
        "Use Amazon SageMaker Clarify, AWS Glue and Amazon S3; SageMaker alone; the AWS Certified AI Practitioner exam."
    )
    assert t.service_mentions(text) == ["Amazon SageMaker Clarify", "AWS Glue", "Amazon S3", "SageMaker"]
    assert t.without_prefix("Amazon SageMaker Clarify") == "SageMaker Clarify"
    assert t.without_prefix("SageMaker") == "SageMaker"


@pytest.mark.parametrize(
    ("chosen", "keys", "ordered", "expected"),
    [
        ("B", "B", False, True),
        (["D", "B"], "B,D", False, True),
        ("b d", ["B", "D"], False, True),
        ("B", "B,D", False, False),
        ("B,C,D", "B,D", False, False),
        ([], "B", False, False),
        (["C", "A", "B"], "C,A,B", True, True),
        (["A", "B", "C"], "C,A,B", True, False),
    ],
)
def test_one_grader(chosen, keys, ordered, expected) -> None:
    assert t.is_correct(chosen, keys, ordered=ordered) is expected
