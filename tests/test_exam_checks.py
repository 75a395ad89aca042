"""Each quality check rejects hand-made bad items and passes realistic good ones built from the guide."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from assistant.services.exam import checks
from assistant.services.exam.checks import balance_keys, guide_terms, run_checks
from assistant.services.exam.items import ExamItem

GUIDE = (Path(__file__).resolve().parent.parent / "corpus" / "ml-development-lifecycle-and-pipeline.md").read_text()
TERMS = guide_terms(GUIDE)


def section(heading: str) -> str:
    """The guide's text under `heading`, up to the next heading: what a retrieved chunk holds."""
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#)", GUIDE, re.MULTILINE | re.DOTALL)
    assert match, heading
    return match.group(1)


PASSAGES = {
    "c-scenarios": section("Common Exam Scenarios"),
    "c-evaluation": section("5. Model Evaluation"),
    "c-pipeline": section("What Is an ML Pipeline?"),
    "c-practice": section("How the ML Pipeline Works in Practice"),
}
BIAS_QUOTE = "A question asks about detecting bias in training data → Answer: Amazon SageMaker Clarify"


def good_single(**changes: object) -> ExamItem:
    data = {
        "type": "single",
        "question": (
            "A lender has trained a loan-approval model and must show regulators that neither its training data "
            "nor its predictions disadvantage applicants of any age group. Which AWS service should the team use?"
        ),
        "options": {
            "A": "Amazon SageMaker Model Monitor",
            "B": "Amazon SageMaker Clarify",
            "C": "AWS Glue DataBrew",
            "D": "Amazon SageMaker Data Wrangler",
        },
        "answer": "B",
        "explanations": {
            "A": "Model Monitor watches a deployed model for drift; it is not the bias-analysis tool.",
            "B": "Clarify detects bias in data and predictions and explains models.",
            "C": "DataBrew cleans and transforms data.",
            "D": "Data Wrangler prepares features.",
        },
        "citations": [{"id": "c-scenarios", "section": "Common Exam Scenarios", "quote": BIAS_QUOTE}],
        "phase": "Model Evaluation",
        "difficulty": "medium",
    }
    return ExamItem.from_json(data | changes)


def good_multi() -> ExamItem:
    return ExamItem.from_json(
        {
            "type": "multi",
            "question": "A team wants every retraining run to execute the same automated, repeatable steps. "
            "Which AWS services can orchestrate these ML workflows? (Choose TWO.)",
            "options": {
                "A": "Amazon SageMaker Pipelines",
                "B": "Amazon SageMaker Clarify",
                "C": "AWS Step Functions",
                "D": "Amazon Kinesis",
                "E": "AWS Glue DataBrew",
            },
            "answer": "C,A",
            "citations": [
                {
                    "id": "c-pipeline",
                    "section": "What Is an ML Pipeline?",
                    "quote": "AWS services for ML Pipelines: Amazon SageMaker Pipelines, AWS Step Functions",
                }
            ],
            "phase": "ML Pipelines and MLOps",
        }
    )


def good_ordering() -> ExamItem:
    start = GUIDE.index("Data Ingestion: Raw data")
    quote = GUIDE[start : GUIDE.index("with versioning") + len("with versioning")]
    return ExamItem.from_json(
        {
            "type": "ordering",
            "question": "Put these steps of a typical ML pipeline on AWS in the order they run.",
            "options": {"A": "Training", "B": "Data Ingestion", "C": "Model Registry", "D": "Feature Store"},
            "answer": "B,D,A,C",
            "citations": [{"id": "c-practice", "section": "How the ML Pipeline Works in Practice", "quote": quote}],
            "phase": "ML Pipelines and MLOps",
        }
    )


def check_all(item: ExamItem | Mapping, **kwargs: object) -> list[str]:
    return run_checks(item, passages=PASSAGES, guide_terms=TERMS, **kwargs)


# ---------------------------------------------------------------- good items and guide terms


@pytest.mark.parametrize("make", [good_single, good_multi, good_ordering])
def test_good_items_pass_every_check(make) -> None:
    item = make()

    def solver(question: str, options: Mapping[str, str]) -> list[str]:
        return item.keys if item.type == "ordering" else list(reversed(item.keys))  # order-free for single/multi

    assert check_all(item, bank_questions=["Which phase takes the most time?"], solver=solver) == []
    assert check_all(item.to_json()) == []


def test_guide_terms_come_from_the_text() -> None:
    expected = {"Amazon SageMaker Clarify", "AWS Glue", "AWS Glue DataBrew", "Amazon S3", "AWS Step Functions"}
    assert expected <= TERMS.services
    assert not any("Certified" in s for s in TERMS.services)
    assert {"model training", "model evaluation", "data drift", "concept drift", "batch inference"} <= TERMS.concepts
    other = guide_terms("## 1. Gathering\n- AWS services: Amazon Foo, AWS Bar Baz\n- Fooing: counts bars\n")
    assert other.services == {"Amazon Foo", "AWS Bar Baz"} and "gathering" in other.concepts
    assert "Amazon SageMaker Clarify" not in other.services


def test_guide_terms_know_unprefixed_and_invented_names() -> None:
    assert TERMS.services_in("Use SageMaker Clarify") == {"Amazon SageMaker Clarify"}
    assert TERMS.services_in("SageMaker Endpoint") == {"Amazon SageMaker Endpoints"}
    assert TERMS.unknown_services_in("Amazon SageMaker Bias Detector") == ["Amazon SageMaker Bias Detector"]
    assert TERMS.kind("Detect data drift") == "concept" and TERMS.kind("Amazon S3") == "service"
    assert TERMS.kind("Hire a consultant") is None


def test_run_checks_accepts_a_plain_term_list() -> None:
    terms = ["Amazon SageMaker Clarify", "Amazon SageMaker Model Monitor", "AWS Glue DataBrew"]
    terms += ["Amazon SageMaker Data Wrangler", "bias"]
    assert run_checks(good_single(), passages=PASSAGES, guide_terms=terms) == []


# ---------------------------------------------------------------- schema and key count


def test_schema_failures_stop_early_with_their_code() -> None:
    data = good_single().to_json()
    assert check_all(data | {"question": ""}) == ["schema"]
    assert check_all(data | {"answer": "B,C"}) == ["key_count"]
    assert check_all(data | {"answer": "F"}) == ["answer_not_in_options"]
    assert check_all({"nonsense": True}) == ["schema"]


def test_key_count_function() -> None:
    assert checks.key_count(good_single()) is None
    broken = ExamItem.model_construct(**(good_single().model_dump() | {"answer": "A,B"}))  # bypasses validation
    assert checks.key_count(broken) == "key_count"


# ---------------------------------------------------------------- option-level checks


@pytest.mark.parametrize(
    "twin", ["amazon sagemaker  CLARIFY", "Amazon SageMaker Clarify.", "Amazon SageMaker Clarifys"]
)
def test_near_identical_options_are_rejected(twin: str) -> None:
    assert "options_not_distinct" in check_all(good_single(options=good_single().options | {"D": twin}))


def test_similar_but_different_services_are_distinct() -> None:
    options = {"A": "Amazon SageMaker Model Monitor", "B": "Amazon SageMaker Clarify"}
    options |= {"C": "Amazon SageMaker Model Registry", "D": "Amazon SageMaker Endpoints"}
    assert checks.options_distinct(good_single(options=options)) is None


@pytest.mark.parametrize("text", ["All of the above", "None of these", "Both A and C"])
def test_all_or_none_of_the_above_is_rejected(text: str) -> None:
    item = good_single(options=good_single().options | {"D": text})
    assert checks.no_all_none_of_the_above(item) == "all_none_of_the_above"
    assert checks.no_all_none_of_the_above(good_single()) is None


# ---------------------------------------------------------------- citations and support


def cite(quote: str, cid: str = "c-scenarios") -> list[dict]:
    return [{"id": cid, "section": "s", "quote": quote}]


@pytest.mark.parametrize(
    ("citations", "reason"),
    [
        ([], "no_citation"),
        (cite(BIAS_QUOTE, "c-not-retrieved"), "citation_not_retrieved"),
        (cite("Use Amazon SageMaker Clarify whenever you need to detect bias"), "quote_not_in_passage"),
        (cite("Clarify"), "quote_too_short"),
    ],
)
def test_quotes_must_come_verbatim_from_retrieved_passages(citations: list, reason: str) -> None:
    assert checks.quote_in_passage(good_single(citations=citations), PASSAGES) == reason


def test_quote_matching_ignores_whitespace_and_typographic_swaps() -> None:
    relaxed = "A question asks about detecting bias\n   in training data -> Answer: Amazon SageMaker Clarify"
    assert checks.quote_in_passage(good_single(citations=cite(relaxed)), PASSAGES) is None


def test_key_must_be_supported_by_the_quote() -> None:
    other = "A question about monitoring a deployed model for performance degradation → Answer: Amazon SageMaker"
    item = good_single(citations=cite(other))
    assert checks.quote_in_passage(item, PASSAGES) is None  # verbatim, but about the wrong service
    assert checks.key_supported(item, TERMS) == "key_unsupported"
    assert checks.key_supported(good_single(), TERMS) is None
    # the unprefixed name in a quote supports the prefixed key
    unprefixed = cite("SageMaker Clarify is the go-to service for these topics")
    assert checks.key_supported(good_single(citations=unprefixed), TERMS) is None


def test_concept_key_supported_by_its_words() -> None:
    options = {"A": "Model deployment", "B": "Data preprocessing and feature engineering"}
    options |= {"C": "Model monitoring", "D": "Business problem definition"}
    quote = "A question about which phase takes the most time → Answer: Data preprocessing and feature engineering"
    item = good_single(options=options, citations=cite(quote), explanations={})
    assert checks.key_supported(item, TERMS) is None
    assert checks.key_supported(item.model_copy(update={"answer": "C"}), TERMS) == "key_unsupported"


# ---------------------------------------------------------------- distractors and giveaways


@pytest.mark.parametrize(
    ("distractor", "reason"),
    [
        ("Amazon Rekognition", "unknown_service"),
        ("Amazon SageMaker Bias Detector", "unknown_service"),
        ("Hire an external consultant", "distractor_not_in_guide"),
        ("Detect data drift", "distractor_kind_mismatch"),
    ],
)
def test_distractors_must_be_guide_terms_of_the_keys_kind(distractor: str, reason: str) -> None:
    item = good_single(options=good_single().options | {"C": distractor})
    assert checks.distractors_from_guide(item, TERMS) == reason
    assert reason in check_all(item)


def test_concept_key_wants_concept_distractors() -> None:
    options = {"A": "Model deployment", "B": "Data preprocessing and feature engineering"}
    options |= {"C": "Model monitoring", "D": "Amazon SageMaker Endpoints"}
    item = good_single(options=options, explanations={})
    assert checks.distractors_from_guide(item, TERMS) == "distractor_kind_mismatch"
    fixed = good_single(options=options | {"D": "Business problem definition"}, explanations={})
    assert checks.distractors_from_guide(fixed, TERMS) is None


def test_a_much_longer_key_is_a_giveaway() -> None:
    long_key = "Amazon SageMaker Clarify, which detects bias in data and explains the model's predictions"
    item = good_single(options=good_single().options | {"B": long_key})
    assert checks.no_length_giveaway(item) == "length_giveaway"
    assert checks.no_length_giveaway(good_single()) is None
    short = {"A": "Amazon S3", "B": "AWS Glue", "C": "AWS Lambda", "D": "Amazon Kinesis"}
    assert checks.no_length_giveaway(good_single(options=short, explanations={})) is None


def test_key_copying_the_stem_is_rejected() -> None:
    question = "A team must detect bias in training data before release. What should it do?"
    options = {"A": "Deploy Amazon SageMaker Endpoints", "B": "Detect bias in training data with SageMaker Clarify"}
    options |= {"C": "Clean data with AWS Glue DataBrew", "D": "Monitor drift with Model Monitor"}
    item = good_single(question=question, options=options, explanations={})
    assert checks.no_stem_copy(item) == "stem_copy"
    shared = options | {"A": "Detect bias in training data with Amazon SageMaker Model Monitor"}
    assert checks.no_stem_copy(good_single(question=question, options=shared, explanations={})) is None
    assert checks.no_stem_copy(good_single()) is None


# ---------------------------------------------------------------- duplicates and blind solving


def test_near_duplicates_of_bank_and_eval_questions() -> None:
    item = good_single()
    reworded = item.question.replace("A lender", "A bank").replace("the team", "it")
    assert check_all(item, bank_questions=[reworded]) == ["near_duplicate_bank"]
    assert check_all(item, eval_questions=[item.question.upper()]) == ["leaks_eval"]
    unrelated = ["Which AWS service should be used to detect that model performance is degrading over time?"]
    assert check_all(item, bank_questions=unrelated, eval_questions=unrelated) == []
    typo = "A lendr has traned a loan-aproval model and must show regulatrs that neither"
    assert checks.is_near_duplicate(typo, item.question[: len(typo) + 5])


def test_blind_solve() -> None:
    seen = {}

    def solver(question: str, options: Mapping[str, str]) -> list[str]:
        seen.update(options)
        return ["a"]

    assert checks.blind_solve(good_single(), solver) == "blind_solve_mismatch"
    assert seen["B"] == "Amazon SageMaker Clarify"
    assert check_all(good_single(), solver=lambda q, o: ["A"]) == ["blind_solve_mismatch"]
    assert checks.blind_solve(good_multi(), lambda q, o: ["C", "a"]) is None
    assert checks.blind_solve(good_ordering(), lambda q, o: ["D", "B", "A", "C"]) == "blind_solve_mismatch"


# ---------------------------------------------------------------- key balancing


def variants(n: int, make) -> list[ExamItem]:
    return [
        ExamItem.from_json(make().to_json() | {"id": f"i{k}", "question": f"Q{k}? (Choose TWO.)"}) for k in range(n)
    ]


def test_balance_keys_spreads_single_keys_evenly() -> None:
    items = variants(8, good_single)
    balanced = balance_keys(items, seed=7)
    assert Counter(i.answer for i in balanced) == {"A": 2, "B": 2, "C": 2, "D": 2}
    for before, after in zip(items, balanced, strict=True):
        assert after.id == before.id and after.options[after.answer] == "Amazon SageMaker Clarify"
        assert sorted(after.options.values()) == sorted(before.options.values())
        for letter, text in after.options.items():  # explanations moved with their options
            old = next(k for k, v in before.options.items() if v == text)
            assert after.explanations[letter] == before.explanations[old]
    assert balance_keys(items, seed=7) == balanced
    assert balance_keys(items, seed=8) != balanced


def test_balance_keys_spreads_multi_keys_and_unsorts_ordering() -> None:
    balanced = balance_keys(variants(10, good_multi), seed=1)
    letters = Counter(k for item in balanced for k in item.keys)
    assert letters == {letter: 4 for letter in "ABCDE"}
    assert all(
        {item.options[k] for k in item.keys} == {"Amazon SageMaker Pipelines", "AWS Step Functions"}
        for item in balanced
    )
    in_order = good_ordering()
    in_order = ExamItem.from_json(
        in_order.to_json()
        | {
            "options": {"A": "Data Ingestion", "B": "Feature Store", "C": "Training", "D": "Model Registry"},
            "answer": "A,B,C,D",
        }
    )
    shuffled = balance_keys([in_order], seed=3)[0]
    assert shuffled.answer != "A,B,C,D"
    assert [shuffled.options[k] for k in shuffled.keys] == [
        "Data Ingestion",
        "Feature Store",
        "Training",
        "Model Registry",
    ]
    assert balance_keys([good_ordering()], seed=3) == [good_ordering()]


# ---------------------------------------------------------------- item-writing flaws


CORPUS_LINES = GUIDE.splitlines()
SHINGLES = checks.CorpusShingles(CORPUS_LINES)


def test_a_stem_pasting_seven_words_of_a_corpus_line_is_rejected() -> None:
    assert "Gather relevant data from various sources (databases, APIs" in GUIDE
    pasted = "A startup's team must GATHER relevant data - from various sources: databases! Which service fits?"
    assert SHINGLES.copied_run(pasted) == "gather relevant data from various sources databases"
    assert "verbatim_corpus" in check_all(good_single(question=pasted), corpus_lines=SHINGLES)
    assert "verbatim_corpus" in check_all(good_single(question=pasted), corpus_lines=CORPUS_LINES)
    six = "A startup's team must gather relevant data from various places. Which service fits?"
    assert SHINGLES.copied_run(six) is None
    assert check_all(good_single(), corpus_lines=SHINGLES) == []
    assert check_all(good_single(), corpus_lines=CORPUS_LINES) == []


def test_verbatim_runs_never_span_two_corpus_lines() -> None:
    shingles = checks.CorpusShingles(["one two three four", "five six seven eight"])
    assert len(shingles) == 0
    assert shingles.copied_run("one two three four five six seven eight") is None
    seven = checks.CorpusShingles(["one two three four five six seven"])
    assert seven.copied_run("x One, two; three four five six SEVEN") == "one two three four five six seven"


def test_a_heading_name_counts_as_one_word() -> None:
    lines = ["### 3. Data Preprocessing and Feature Engineering", "- Teams spend most time in Data Preprocessing and"]
    lines[1] += " Feature Engineering work"
    shingles = checks.CorpusShingles(lines)
    assert shingles.copied_run("The team spends most time in Data Preprocessing and Feature Engineering work") is None
    assert shingles.copied_run("Teams spend most time in Data Preprocessing and Feature Engineering work") is not None
