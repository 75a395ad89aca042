"""The knowledge layer end to end on the real guide and the team glossary: the two cases from the issue
"Right answers on questions nobody tuned for", a pasted question outside the guide, and the claim check
on a chat model's sentences (the model is a named fake that replays scripted text)."""

from __future__ import annotations

import pytest

from assistant.services.answer import AnswerService
from assistant.services.compose import Composer, answer_type
from assistant.services.mcq import MCQSolver
from assistant.services.support import SupportChecker
from tests.fakes import FakeLLM

pytestmark = pytest.mark.slow

FRAUD = """A company's fraud model was accurate at launch, but six months later its precision has dropped \
because customer behavior changed. What should the ML team set up to catch this automatically?
A. Amazon SageMaker Ground Truth labeling jobs
B. Amazon SageMaker Model Monitor with drift detection and alerts
C. A larger instance type for the endpoint
D. SageMaker Data Wrangler transforms"""


def _service(c, llm: FakeLLM, *, model_sentences: bool) -> AnswerService:
    return AnswerService(
        retriever=c.retriever,
        llm=llm,
        prompts=c.prompts,
        checker=SupportChecker(c.embedder.encode),
        solver=MCQSolver(c.retriever, c.knowledge, llm, c.prompts, k=4),
        guide_text=c.guide_text,
        min_relevance=c.settings.retrieval.min_relevance,
        composer=Composer(c.knowledge),
        claims=c.claim_checker,
        model_sentences=model_sentences,
        doc_kind=c.knowledge.doc_kind,
    )


def test_the_service_for_bias_is_named_first(guide_container):
    ans = guide_container.answers.ask(
        "Which AWS service helps detect bias in training data and explains model predictions?"
    )
    assert not ans.refused
    assert ans.text.startswith("Amazon SageMaker Clarify.")
    assert ans.citations and ans.citations[0].quote in ans.text


def test_drift_scenario_picks_model_monitor_with_a_note_that_quotes_the_guide(guide_container):
    ans = guide_container.answers.ask(FRAUD)
    assert ans.mcq is not None and ans.mcq.choice == ["B"]
    note = ans.mcq.option_notes["B"]
    assert note.startswith("Correct") and "the guide (" in note
    guide_quotes = [c for c in ans.citations if c.origin == "guide"]
    assert guide_quotes, "the key's note cites a line of the guide itself"
    assert "neither the guide" not in note


def test_a_pasted_question_outside_the_guide_is_not_answered(guide_container):
    ans = guide_container.answers.ask(
        "Which Amazon EC2 instance type gives the best price per vCPU for a web server?\n"
        "A. t3.micro\nB. c7g.large\nC. m5.xlarge\nD. r6i.large"
    )
    assert ans.refused and "EC2" in ans.reason


def test_a_true_model_sentence_is_shown_and_a_swapped_one_is_not(guide_container):
    question = "Which AWS service detects bias in training data?"
    true_llm = FakeLLM(style="chat").enqueue("Amazon SageMaker Clarify detects bias in training data [1].")
    shown = _service(guide_container, true_llm, model_sentences=True).ask(question)
    assert "Clarify detects bias in training data" in shown.text
    swapped = FakeLLM(style="chat").enqueue("Amazon SageMaker Model Monitor detects bias in training data [1].")
    hidden = _service(guide_container, swapped, model_sentences=True).ask(question)
    assert "Model Monitor detects bias" not in hidden.text
    assert hidden.text.startswith("Amazon SageMaker Clarify.")


def test_citations_say_whether_a_fact_is_from_the_guide_or_the_glossary(guide_container):
    ans = guide_container.answers.ask("What is Amazon SageMaker Ground Truth used for?")
    origins = {c.origin for c in ans.citations}
    assert origins <= {"guide", "glossary"} and "glossary" in origins
    assert all(c.to_json()["origin"] == c.origin for c in ans.citations)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which AWS service should a team use to label images?", "service"),
        ("In which phase does a team split data into training and test sets?", "phase"),
        ("What comes after model evaluation?", "order"),
        ("What is concept drift?", "definition"),
        ("Why do models degrade?", "other"),
    ],
)
def test_answer_types_are_read_from_the_question(question, kind):
    assert answer_type(question) == kind


def test_next_step_comes_from_the_documents_sequence(guide_container):
    ans = guide_container.answers.ask("What phase comes after Model Evaluation?")
    assert ans.text.startswith("Model Deployment.")


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Which service checks a dataset for bias, and in which phase does the guide list it?", ["service", "phase"]),
        ("List the phases of the lifecycle in order.", ["list"]),
        ("What is the first step of a typical pipeline?", ["order"]),
    ],
)
def test_a_question_can_ask_for_several_things(question, kinds):
    from assistant.services.compose import answer_types

    assert answer_types(question) == kinds


def test_a_two_part_question_gets_both_answers_the_phase_where_the_guide_lists_the_service(guide_container):
    ans = guide_container.answers.ask(
        "Which service finds bias in a dataset, and under which phase of the lifecycle does the guide list it?"
    )
    assert ans.text.startswith("Amazon SageMaker Clarify.")
    assert "Model Evaluation." in ans.text


def test_a_list_question_gets_the_documents_sequence_in_order(guide_container):
    ans = guide_container.answers.ask("Name the phases of the ML development lifecycle in order.")
    assert ans.text.startswith("In order: 1. Business Problem Definition;")
    assert ans.text.index("2. Data Collection") < ans.text.index("7. Model Monitoring and Maintenance")


def test_the_first_step_of_a_sequence_the_question_names_no_step_of(guide_container):
    ans = guide_container.answers.ask("Which step starts a typical ML pipeline on AWS, the first step?")
    assert ans.text.startswith("Data Ingestion.")
    assert any("Amazon S3" in c.quote for c in ans.citations)


def test_an_amount_question_quotes_the_statement_with_the_number(guide_container):
    ans = guide_container.answers.ask("How much of a project's time goes into preparing the data?")
    assert any(ch.isdigit() for c in ans.citations for ch in c.quote)


def test_a_service_named_in_passing_in_another_services_entry_is_not_the_answer(guide_container):
    # Model Monitor's glossary entry says it publishes CloudWatch metrics: that line is about Model Monitor.
    ans = guide_container.answers.ask("Which AWS service watches a deployed model for data drift?")
    assert ans.text.startswith("Amazon SageMaker Model Monitor.")


def test_the_verb_a_question_asks_with_is_not_a_cue(guide_container):
    # "What should we try?": JumpStart's cue "quickly try several popular open models" shares only the
    # asking verb with it; the situation (little ML experience, a spreadsheet) is Canvas's.
    q = "We have almost no ML experience but need a model from a spreadsheet. What AWS service should we try?"
    assert guide_container.answers.ask(q).text.startswith("Amazon SageMaker Canvas.")


def test_the_last_step_of_a_sequence_whose_line_names_several_things(guide_container):
    ans = guide_container.answers.ask("What is the last step of a typical ML pipeline?")
    assert ans.text.startswith("Monitoring.")


@pytest.mark.parametrize(
    ("question", "situation", "parts"),
    [
        (
            "A bank checks its loan data. Which service finds bias, and where can bias get in?",
            "A bank checks its loan data.",
            ["Which service finds bias", "where can bias get in?"],
        ),
        ("Which three sets, and which of them is held out?", "", ["Which three sets", "which of them is held out?"]),
        ("What is MLOps and how does it relate to DevOps?", "", ["What is MLOps", "how does it relate to DevOps?"]),
        ("Which phase comes first?", "", ["Which phase comes first?"]),
    ],
)
def test_a_question_is_read_as_its_situation_and_the_things_it_asks(question, situation, parts):
    from assistant.services.compose import ask_parts

    assert ask_parts(question) == (situation, parts)


def test_a_second_part_of_no_known_type_gets_the_statement_closest_to_it(guide_container):
    ans = guide_container.answers.ask(
        "Which AWS service detects bias in training data, and where can bias be introduced?"
    )
    assert ans.text.startswith("Amazon SageMaker Clarify.")
    # The second part is answered too: the documents' line on where bias enters the process.
    assert "labeling" in ans.text and "algorithm selection" in ans.text


def test_a_situation_the_guide_has_a_rule_for_gets_that_rule(guide_container):
    ans = guide_container.answers.ask("Our churn model scored poorly when we evaluated it. What should we do about it?")
    assert "going back to data preparation or feature engineering" in ans.text
    assert any(c.origin == "guide" and "going back to data preparation" in c.quote for c in ans.citations)


def test_a_line_that_opens_a_list_is_answered_by_its_items(guide_container):
    ans = guide_container.answers.ask("What goes wrong in ML work that has no structured lifecycle?")
    assert "fail due to:" not in ans.text  # the opener itself answers nothing
    assert "Poor data quality or mismanaged data" in ans.text
    assert "Lack of reproducibility in experiments" in ans.text
