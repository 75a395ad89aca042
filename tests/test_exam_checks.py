"""Each quality check rejects hand-made bad items and passes realistic good ones built from the guide."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from assistant.knowledge.service import KnowledgeBase
from assistant.services.corpus import load_corpus
from assistant.services.exam import checks, flaws, grammar, keys, reasons
from assistant.services.exam.checks import balance_keys, guide_terms, run_checks
from assistant.services.exam.items import ExamItem
from tests.test_options import fake_encode

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
    "c-collection": section("2. Data Collection and Integration"),
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
    assert check_all(item, corpus_lines=CORPUS_LINES) == []  # no item-writing flaw either
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


def view(**changes: object) -> flaws.ItemView:
    return flaws.ItemView.of(good_single().to_json() | changes)


REMEDY = {
    "A": "Retrain the model on data that reflects the new regions",
    "B": "Deploy the model to a larger SageMaker endpoint",
    "C": "Lower the threshold that turns scores into decisions",
    "D": "Add Amazon CloudWatch alarms on the endpoint latency",
}
REMEDY_STEM = "A retailer's demand forecasts got worse after it opened stores in three new regions. What should it do?"


def test_a_rare_key_word_repeated_in_the_stem_cues_the_key() -> None:
    flawed = view(question=REMEDY_STEM, options=REMEDY, answer="A", explanations={})
    assert flaws.no_key_word_in_stem(flawed, SHINGLES.common) == "key_word_in_stem"
    fixed = REMEDY | {"A": "Retrain the model on recent data that reflects current conditions"}
    assert flaws.no_key_word_in_stem(view(question=REMEDY_STEM, options=fixed, answer="A"), SHINGLES.common) is None
    # a word a distractor shares is no cue, and words common in the corpus ("model", "monitor") are no cue
    shared = REMEDY | {"B": "Deploy a new model per region to a SageMaker endpoint"}
    assert flaws.no_key_word_in_stem(view(question=REMEDY_STEM, options=shared, answer="A"), SHINGLES.common) is None
    monitor = view(question="The team must monitor its deployed model. Which AWS service should it use?")
    assert flaws.no_key_word_in_stem(monitor, SHINGLES.common) is None
    raw = good_single().to_json() | {"question": REMEDY_STEM, "options": REMEDY, "answer": "A", "explanations": {}}
    assert "key_word_in_stem" in check_all(raw, corpus_lines=SHINGLES)
    assert "key_word_in_stem" not in check_all(raw | {"options": fixed}, corpus_lines=SHINGLES)


def matching(premises: list[str]) -> dict:
    return {
        "type": "matching",
        "question": "Match each need to the AWS service that meets it.",
        "premises": premises,
        "options": {"A": "Amazon SageMaker Clarify", "B": "Amazon SageMaker Experiments", "C": "AWS Glue"},
        "answer": "B,C,A",
    }


def test_a_matching_premise_must_not_repeat_its_own_option() -> None:
    good = ["Compare the metrics of many training runs", "Run ETL jobs that load data", "Explain predictions"]
    flawed = ["Track experiments across training runs", *good[1:]]
    assert flaws.no_premise_word_in_its_option(flaws.ItemView.of(matching(flawed)), frozenset()) == (
        "premise_cues_option"
    )
    assert flaws.flaw_reasons(flaws.ItemView.of(matching(flawed)), TERMS) == ["premise_cues_option"]
    assert flaws.flaw_reasons(flaws.ItemView.of(matching(good)), TERMS, SHINGLES) == []


def test_premises_and_options_of_a_matching_item_are_of_one_kind() -> None:
    item = matching(["Compare many training runs", "Run ETL jobs", "Explain predictions"])
    mixed = item | {"options": item["options"] | {"C": "Model Training"}}
    assert flaws.options_one_kind(flaws.ItemView.of(mixed), TERMS) == "options_mixed_kind"
    assert flaws.options_one_kind(flaws.ItemView.of(item), TERMS) is None
    premises = item | {"premises": ["Compare many training runs", "Amazon Kinesis", "Model Training"]}
    assert flaws.options_one_kind(flaws.ItemView.of(premises), TERMS) == "options_mixed_kind"


def test_absolute_words_only_in_distractors_give_them_away() -> None:
    options = REMEDY | {"C": "Always retrain the model every night"}
    assert flaws.no_absolute_giveaway(view(options=options, answer="A")) == "absolute_terms"
    assert flaws.no_absolute_giveaway(view(options=REMEDY, answer="A")) is None
    both = options | {"A": "Never ship a model without retraining it on the new regions"}
    assert flaws.no_absolute_giveaway(view(options=both, answer="A")) is None


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("A team has no ML experts. Which AWS service is not needed to label images?", "negative_not_emphasised"),
        ("Which of these can the team use, except for one?", "negative_not_emphasised"),
        ("Which AWS service doesn't need servers?", "negative_not_emphasised"),
        ("A team has no ML experts. Which AWS service is NOT needed to label images?", None),
        ("All services EXCEPT one help. Which one does NOT?", None),
        ("The team does not have ML experts and cannot write code. Which AWS service fits?", None),
        ("Which service needs at least one labeled dataset?", None),
    ],
)
def test_negative_questions_write_the_negative_in_capitals(question: str, reason: str | None) -> None:
    assert flaws.negative_emphasised(view(question=question)) == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The team needs a AWS service.", "article_error"),
        ("It deploys an SageMaker endpoint.", "article_error"),
        ("A ML engineer trains it.", "article_error"),
        ("In manufacturer's ML pipeline, data drifts.", "article_error"),
        ("The company's's data is stored.", "possessive_error"),
        ("The model and its' data drift.", "possessive_error"),
        ("Their's is a model.", "possessive_error"),
        ("Which AWS service service fits?", "doubled_word"),
        ("Which service (for bias fits?", "unbalanced_marks"),
        ('Which "golden dataset fits?', "unbalanced_marks"),
        ("An AWS service, an ML model, a SageMaker endpoint, an S3 bucket, a GPU and an hour.", None),
        ("The company's data, its model, options A and C, a unit test, an update (Choose TWO.)", None),
        ("He said that that model had had drift, in 2 2-step runs.", None),
        ("In a manufacturer's pipeline, in today's market, for Amazon's team.", None),
    ],
)
def test_mechanical_errors(text: str, reason: str | None) -> None:
    assert flaws.mechanics_problem(text) == reason
    assert flaws.no_mechanical_errors(view(question=text)) == reason
    assert flaws.no_mechanical_errors(view(options=good_single().options | {"C": text})) == reason


def test_a_case_scenario_is_part_of_the_stem() -> None:
    raw = good_single().to_json() | {"case": {"id": "case-1", "scenario": "The team needs a AWS service for bias."}}
    assert flaws.ItemView.of(raw).stem.startswith("The team needs a AWS service")
    assert "article_error" in check_all(raw)
    pasted = "Analysts GATHER relevant data from various sources (databases, APIs) every day."
    assert "verbatim_corpus" in check_all(raw | {"case": {"id": "c", "scenario": pasted}}, corpus_lines=SHINGLES)
    assert check_all(raw | {"case": {"id": "c", "scenario": "A bank lends money."}}, corpus_lines=SHINGLES) == []


def test_options_of_one_kind() -> None:
    mixed = good_single().options | {"D": "Model Training"}
    assert flaws.options_one_kind(view(options=mixed), TERMS) == "options_mixed_kind"
    assert "options_mixed_kind" in check_all(good_single(options=mixed))
    assert flaws.options_one_kind(view(), TERMS) is None
    phases = {"A": "Model Training", "B": "Model Evaluation", "C": "Model Deployment", "D": "Data Collection"}
    assert flaws.options_one_kind(view(options=phases), TERMS) is None


def test_options_of_one_grammatical_form() -> None:
    periods = REMEDY | {"B": "Deploy the model to a larger SageMaker endpoint."}
    assert flaws.options_one_grammar(view(options=periods, answer="A"), TERMS) == "options_mixed_grammar"
    name_among_clauses = REMEDY | {"D": "Amazon CloudWatch"}
    assert flaws.options_one_grammar(view(options=name_among_clauses, answer="A"), TERMS) == ("options_mixed_grammar")
    assert flaws.options_one_grammar(view(options=REMEDY, answer="A"), TERMS) is None
    assert flaws.options_one_grammar(view(), TERMS) is None


def test_kinds_are_judged_only_for_a_bare_name_key() -> None:
    actions = REMEDY | {"D": "Use Amazon SageMaker Clarify to check the forecasts for bias"}
    item = good_single(question=REMEDY_STEM, options=actions, answer="A", explanations={})
    assert checks.distractors_from_guide(item, TERMS) is None  # an action key: distractors name a service or none


def test_a_long_bare_name_key_is_no_length_giveaway() -> None:
    phases = {"A": "Model Training", "B": "Model Evaluation", "C": "Model Deployment"}
    phases |= {"D": "Data Preprocessing and Feature Engineering"}
    item = good_single(options=phases, answer="D", explanations={})
    assert checks.no_length_giveaway(item) == "length_giveaway"
    assert checks.no_length_giveaway(item, TERMS) is None
    long_action = REMEDY | {
        "A": "Retrain the model on recent data that reflects current demand in every region it serves"
    }
    assert checks.no_length_giveaway(good_single(options=long_action, answer="A", explanations={}), TERMS) == (
        "length_giveaway"
    )


def test_every_reason_has_a_readable_label() -> None:
    codes = {"option_letters", "empty_option", "answer_not_in_options", "key_count", "explanation_letters"}
    assert codes <= set(checks.FLAW_CHECKS)
    source = "".join(Path(m.__file__).read_text() for m in (checks, flaws, grammar, keys))
    assert checks.FLAW_CHECKS is reasons.FLAW_CHECKS
    returned = set(re.findall(r'return "([a-z_]+)"', source)) | set(re.findall(r'"([a-z_]+)" if ', source))
    assert returned - {"service", "concept", "name"} <= set(checks.FLAW_CHECKS)
    assert checks.describe_reasons(Counter({"length_giveaway": 3, "odd_code": 1, "stem_copy": 0})) == [
        "3 drafts rejected: the key is the longest option",
        "1 draft rejected: odd code",
    ]


def test_item_view_reads_exam_items_and_raw_rows() -> None:
    assert flaws.ItemView.of(good_single()) == flaws.ItemView.of(good_single().to_json())
    raw = flaws.ItemView.of({"question": "Q?", "options": ["x", "y", "z"], "answer": ["b"]})
    assert raw.options == {"A": "x", "B": "y", "C": "z"} and raw.keys == ["B"] and raw.distractors == ["A", "C"]
    assert flaws.ItemView.of(matching(["a", "b", "c"])).distractors == []


def test_human_written_dev_items_rarely_trip_the_flaw_checks() -> None:
    """False alarms: items people wrote as exam-style questions (evals/dev) should mostly pass."""
    root = Path(__file__).resolve().parent.parent
    texts = [p.read_text() for p in sorted((root / "corpus").glob("*.md"))]
    terms, shingles = guide_terms("\n".join(texts)), checks.CorpusShingles(x for t in texts for x in t.splitlines())
    rows = [json.loads(x) for x in (root / "evals" / "dev" / "mcq.jsonl").read_text().splitlines() if x.strip()]
    flagged: Counter[str] = Counter()
    for row in rows:
        item = ExamItem.from_json(row)
        reasons = flaws.flaw_reasons(flaws.ItemView.of(row), terms, shingles)
        reasons += [checks.no_length_giveaway(item, terms), checks.no_stem_copy(item)]
        reasons += [checks.no_all_none_of_the_above(item), checks.distractors_from_guide(item, terms)]
        flagged.update({r for r in reasons if r})
    rates = {code: round(n / len(rows), 3) for code, n in flagged.items()}
    # 259 dev items (after 64a9021): key_word_in_stem flags 22 (8.5 %): people do repeat a key word in a
    # stem; a flagged draft is only redrawn. Every other check stays under 8 %.
    assert len(rows) >= 100 and max(rates.values()) <= 0.09, rates
    assert all(rate <= 0.08 for code, rate in rates.items() if code != "key_word_in_stem"), rates
    # The grammar rules added for reworded cues ("as numerous X as", "In addition, release the ...") raise
    # no false alarm on what people wrote.
    assert not flagged["ungrammatical_slot"], rates


def good_matching(**changes: object) -> dict:
    return {
        "type": "matching",
        "question": "Match each need of a retailer's new forecasting project to the AWS service that meets it.",
        "premises": [
            "Keep years of raw sales files at low cost",
            "Take in click events the moment shoppers make them",
            "Run serverless ETL jobs that join the sales tables",
        ],
        "options": {"A": "AWS Glue", "B": "Amazon S3", "C": "Amazon Kinesis"},
        "answer": "B,C,A",
        "citations": cite("AWS services: Amazon S3, AWS Glue, Amazon Kinesis, AWS Data Exchange", "c-collection"),
        "phase": "Data Collection and Integration",
    } | changes


def test_matching_and_case_items_pass_run_checks_when_well_formed() -> None:
    assert check_all(good_matching(), corpus_lines=SHINGLES) == []
    cued = good_matching(premises=["Store raw files in S3 at low cost", *good_matching()["premises"][1:]])
    assert check_all(cued, corpus_lines=SHINGLES) == ["premise_cues_option"]
    case = {"id": "case-1", "scenario": "A retailer is building its first demand-forecasting model on AWS."}
    assert check_all(good_matching(case=case), corpus_lines=SHINGLES) == []
    assert check_all(good_single().to_json() | {"case": case}, corpus_lines=SHINGLES) == []
    assert check_all(good_matching(premises=["only one"])) == ["key_count"]


def test_balance_keys_unsorts_matching_items_and_keeps_their_pairs() -> None:
    item = ExamItem.from_json(
        good_matching(options={"A": "Amazon S3", "B": "Amazon Kinesis", "C": "AWS Glue"}, answer="A,B,C")
    )
    shuffled = balance_keys([item], seed=5)[0]
    assert shuffled.answer != "A,B,C"
    assert [shuffled.options[k] for k in shuffled.keys] == ["Amazon S3", "Amazon Kinesis", "AWS Glue"]
    assert shuffled.premises == item.premises


# ---------------------------------------------------------------- truncated and mis-slotted text (grammar.py)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The platform team is currently checking that the model relies.", "truncated_text"),  # verb w/o "on"
        ("A reviewer notes that the rows resemble every other.", "truncated_text"),  # determiner, no noun
        ("In addition, alerts are wanted when inputs.", "truncated_text"),  # clause with no verb
        ("The group is currently deciding between a classifier, a regressor.", "truncated_text"),  # cut list
        ("The same team is also computing accuracy, precision, recall, F1, AUC.", "truncated_text"),
        ("The work also involves bring your own training script.", "ungrammatical_slot"),  # bare verb
        ("A hospital network's data team is nothing has been collected.", "ungrammatical_slot"),  # two clauses
        ("A note from the team reads: CI/CD for the code.", "ungrammatical_slot"),  # no verb at all
        ("The team is converting raw logs into a tabular format. Which phase does this belong to?", None),
        ("Which strategy is often correct when in doubt?", None),
        ("The team gathers data from several sources (databases, APIs, logs, streaming data).", None),
        ("Only a model that is approved can deploy. The lead asks whether easy rules would do.", None),
        ("The team stores the data the model learned from, and the registry a pipeline writes to.", None),
        ("Match each need to the AWS service that meets it.", None),
        ("The team lists its needs. (1) A central catalog of datasets. (2) Low latency on the device.", None),
        ("It must choose between real-time and batch inference, such as for fraud or churn.", None),
        ("The goal is to catch as numerous positives as possible.", "ungrammatical_slot"),  # quantity adjective
        ("The goal is to catch as many positives as possible.", None),
        ("Predictions must stay as accurate today as at launch.", None),
        ("In addition, release the inference app whenever its code changes.", "ungrammatical_slot"),  # bare order
        ("In addition, the team must release the app whenever its code changes.", None),
        ("Also, logs arrive continuously from every shop.", None),
    ],
)
def test_truncated_or_mis_slotted_stems(text: str, reason: str | None) -> None:
    found = grammar.stem_problem(text)
    assert (found[0] if found else None) == reason, found
    flawed = good_single(question=f"{text} Which AWS service should the team use?")
    assert (reason in check_all(flawed)) == (reason is not None)


@pytest.mark.parametrize(
    ("phrase", "reason"),
    [
        ("Obtain alerted when data quality", "truncated_text"),
        ("Retrain the model with the", "truncated_text"),
        ("Ingestion, processing, feature store, training, evaluation", None),  # a bare list is an option
        ("Get alerted when data quality drops", None),
        ("Amazon SageMaker Model Monitor", None),
    ],
)
def test_truncated_options_and_premises(phrase: str, reason: str | None) -> None:
    found = grammar.phrase_problem(phrase)
    assert (found[0] if found else None) == reason, found
    item = matching(["Compare the metrics of many training runs", "Run ETL jobs that load data", phrase])
    assert (reason in flaws.flaw_reasons(flaws.ItemView.of(item), TERMS)) == (reason is not None)


def _segments() -> list[str]:
    """Human-written sentences of the corpus (guide and glossaries), list labels and bullets removed."""
    out = []
    for path in sorted((Path(__file__).resolve().parent.parent / "corpus").glob("*.md")):
        for line in path.read_text().splitlines():
            line = re.sub(r"^(?:[-*]|\d+\.)\s+", "", line.strip())
            if line and not line.startswith(("#", "---", "|", "Source:", "Also called:")):
                line = re.sub(r"^[A-Z][\w ]{0,25}:\s+", "", line)
                out += [p.strip() for p in line.split(";") if len(p.split()) >= 4]
    return out


def test_grammar_rules_rarely_flag_human_text() -> None:
    """False alarms on human-written text: dev items' stems and options, and the corpus's own sentences."""
    root = Path(__file__).resolve().parent.parent
    rows = [json.loads(x) for x in (root / "evals" / "dev" / "mcq.jsonl").read_text().splitlines() if x.strip()]
    flagged = [r["id"] for r in rows if grammar.grammar_reason(r["question"], r["options"].values())]
    assert len(rows) >= 100 and len(flagged) / len(rows) < 0.03, flagged
    segments = _segments()
    wrong = [s for s in segments if (grammar.stem_problem if s.endswith(".") else grammar.phrase_problem)(s)]
    assert len(segments) > 500 and len(wrong) / len(segments) < 0.03, wrong[:5]


# ---------------------------------------------------------------- second keys and the stem's ask (keys.py)


def test_a_parent_beside_its_own_feature_is_a_second_key() -> None:
    names = TERMS.services | TERMS.aliases
    parent = good_single(options=good_single().options | {"A": "Amazon SageMaker"}, explanations={})
    assert keys.option_parent_of_option(flaws.ItemView.of(parent), names) == "option_parent_of_option"
    assert "option_parent_of_option" in check_all(parent)
    # two distractors that are parent and sibling product are no second key: neither is the key
    siblings = good_single(options=good_single().options | {"A": "AWS Glue"}, explanations={})
    assert keys.option_parent_of_option(flaws.ItemView.of(siblings), names) is None
    assert keys.option_parent_of_option(flaws.ItemView.of(good_single()), names) is None


def test_a_question_asking_what_to_do_wants_actions_not_names() -> None:
    phases = {
        "A": "Model Training",
        "B": "Model Evaluation",
        "C": "Model Deployment",
        "D": "Data Collection and Integration",
    }
    question = "The team has trained a churn model on last year's data. What should the team do next?"
    names = flaws.ItemView.of({"question": question, "options": phases, "answer": "B"})
    assert keys.options_not_actions(names, TERMS) == "options_not_actions"
    actions = {k: f"Go on with {v.lower()}" for k, v in phases.items()}
    assert (
        keys.options_not_actions(flaws.ItemView.of({"question": question, "options": actions, "answer": "B"}), TERMS)
        is None
    )
    which = "The team has trained a churn model. Which phase comes next?"
    assert (
        keys.options_not_actions(flaws.ItemView.of({"question": which, "options": phases, "answer": "B"}), TERMS)
        is None
    )


@pytest.fixture(scope="module")
def corpus_kb() -> KnowledgeBase:
    """The knowledge layer of the real corpus, with the deterministic fake encoder (no model)."""
    docs, _ = load_corpus(Path(__file__).resolve().parent.parent / "corpus", max_bytes=10**7)
    return KnowledgeBase.build(docs, fake_encode)


SQL_STEM = (
    "Analysts want to run ad hoc SQL on files in S3 without loading them into a database and pay only per query. "
    "Which AWS service should they use?"
)


def named(question: str, options: list[str], answer: str) -> flaws.ItemView:
    return flaws.ItemView.of({"type": "single", "question": question, "options": options, "answer": answer})


def test_a_distractor_the_store_supports_as_well_as_the_key_is_a_second_key(corpus_kb) -> None:
    options = ["Amazon Athena", "AWS Glue", "Amazon Kinesis", "AWS Lambda"]
    right, wrong = named(SQL_STEM, options, "A"), named(SQL_STEM, options, "B")
    assert keys.evidence_margin(right, corpus_kb) > keys.SECOND_KEY_MARGIN
    assert keys.second_key(right, corpus_kb) is None
    assert keys.second_key(wrong, corpus_kb) == "second_key"
    # its glossary "use when" cue matches the stem better than any cue of the key
    assert keys.distractor_same_need(right, corpus_kb) is None
    assert keys.distractor_same_need(wrong, corpus_kb) == "distractor_same_need"


def test_a_confused_with_line_saying_the_two_overlap_in_the_stems_words(corpus_kb) -> None:
    options = ["Edge deployment", "Real-time inference", "Batch inference"]
    overlap = named("Scoring must run on factory devices with very low latency. Which approach fits?", options, "A")
    linked = keys.named_options(overlap, corpus_kb)
    assert linked and keys.confused_overlap(overlap, corpus_kb, linked)
    apart = named("Scoring must run on factory devices with no internet link. Which approach fits?", options, "A")
    assert not keys.confused_overlap(apart, corpus_kb, keys.named_options(apart, corpus_kb))


def test_aliases_of_one_entity_and_options_off_the_ask(corpus_kb) -> None:
    stem = "Which AWS service stores raw files cheaply for years?"
    assert keys.options_same_entity(named(stem, ["Amazon S3", "Simple Storage Service", "AWS Glue"], "A"), corpus_kb)
    assert keys.options_same_entity(named(stem, ["Amazon S3", "Amazon Kinesis", "AWS Glue"], "A"), corpus_kb) is None
    ask = "A retailer scores its whole catalog overnight. Which deployment approach fits this workload?"
    modes = ["Real-time inference", "Batch inference", "Edge deployment"]
    assert keys.options_off_ask(named(ask, modes, "B"), corpus_kb) is None
    assert keys.options_off_ask(named(ask, [*modes, "ML pipeline"], "B"), corpus_kb) == "options_off_ask"
    assert keys.options_off_ask(named(ask, [*modes, "Amazon S3"], "B"), corpus_kb) == "options_off_ask"  # a service


def test_run_checks_uses_the_knowledge_layer_when_given(corpus_kb) -> None:
    athena = {"A": "Amazon Athena", "B": "AWS Glue", "C": "Amazon Kinesis", "D": "AWS Lambda"}
    item = good_single(question=SQL_STEM, options=athena, answer="B", explanations={})
    assert "second_key" not in check_all(item)  # without knowledge, nothing judges the key's rivals
    assert {"second_key", "distractor_same_need"} <= set(check_all(item, knowledge=corpus_kb))
    assert not {"second_key", "options_off_ask"} & set(check_all(item.to_json() | {"answer": "A"}, knowledge=corpus_kb))
