"""Reading a question for the composer (assistant.services.compose_asks): plain-English cues only, no
model and no documents, so these run offline in milliseconds."""

from __future__ import annotations

import pytest

from assistant.services.compose import answer_type, answer_types, ask_parts
from assistant.services.compose_asks import anchor, needs


@pytest.mark.parametrize(
    "question",
    [
        "Which serving style suits a weekly score for every customer?",
        "What kind of drift is this?",
        "Which metric should it use to evaluate the model?",
        "Auditors want to rebuild any past model. What should the bank put in place?",
    ],
)
def test_a_named_kind_of_thing_is_a_concept_question(question):
    assert answer_type(question) == "concept"


@pytest.mark.parametrize(
    "question",
    ["Why would a team use a model registry?", "feature store - what's the point of it?", "whats mlops"],
)
def test_what_a_named_thing_is_for_is_a_definition_question(question):
    assert answer_type(question) == "definition"


def test_why_something_happens_is_not_a_definition_question():
    assert answer_type("Why do models degrade?") == "other"


def test_a_service_question_is_not_a_concept_question():
    assert answer_types("Which AWS service should the team use?") == ["service"]


def test_a_part_asked_of_each_need_is_asked_once_per_need():
    situation, parts = ask_parts(
        "A startup needs a prediction for each visitor on the spot, plus a weekly score for every customer. "
        "Which serving style suits each need?"
    )
    assert needs(situation, parts[0]) == [
        "A startup needs a prediction for each visitor on the spot",
        "a weekly score for every customer",
    ]


def test_a_semicolon_separates_two_cases():
    situation = "A fraud model's inputs look the same, yet it performs worse; a sales model's inputs changed a lot."
    assert len(needs(situation, "Which kind of drift is each?")) == 2


def test_a_part_that_asks_once_keeps_the_whole_situation():
    situation = "A startup needs a prediction for each visitor on the spot, plus a weekly score."
    assert needs(situation, "Which serving style is cheapest?") == [situation]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Before collecting any data for a project, what should a team decide?", "collecting any data"),
        ("What should happen after the model has been deployed?", "model has been deployed"),
        ("What is MLOps?", None),
        # "which three sets" asks for sets: "before training" says when, not which step.
        ("Into which three sets should a team divide its records before training?", None),
    ],
)
def test_the_step_an_order_question_counts_from(question, expected):
    assert anchor(question) == expected


# -- on the real guide and glossary (slow: the embedding model and an ingested store) -----------------


@pytest.mark.slow
def test_an_order_question_in_its_own_words_gets_the_step_and_what_is_done_in_it(guide_container):
    # "gathering any data" names no step the linker knows; read against the steps' names and aliases it is
    # data collection, and what comes before it is the first phase, quoted with the lines under it.
    ans = guide_container.answers.ask("Before gathering any data, what should a team settle?")
    assert ans.text.startswith("Business Problem Definition.")
    assert "success metrics and KPIs" in ans.text


@pytest.mark.slow
def test_a_question_asked_of_each_need_answers_each_need(guide_container):
    ans = guide_container.answers.ask(
        "A shop needs a price shown instantly to each shopper, plus a monthly score for all past orders. "
        "Which serving style suits each need?"
    )
    assert ans.text.startswith("Real-time inference.")
    assert "Batch inference." in ans.text


@pytest.mark.slow
def test_a_step_mentioned_in_the_situation_is_not_what_an_order_question_counts_from(guide_container):
    # "before any training starts" says when the hours go; the question asks for a phase, not a step.
    ans = guide_container.answers.ask(
        "My team spends most of its hours before any training starts. Which phase takes that time?"
    )
    assert ans.text.startswith("Data Preprocessing and Feature Engineering.")


@pytest.mark.slow
def test_a_glossary_line_quoted_on_its_own_names_its_entry(guide_container):
    from assistant.services.compose import Composer

    kb = guide_container.knowledge
    leads = Composer(kb).extractive("What runs a trained model over a whole stored dataset at once?", 3)
    glossary = [lead for lead in leads if lead.statement.doc_kind == "glossary"]
    assert glossary, "a glossary entry's line is among the closest statements"
    for lead in glossary:
        name = kb.entity(lead.statement.context[0]).name
        assert lead.quoted
        assert lead.text.startswith(f"{name}: \u201c") or name.lower() in lead.statement.text.lower()
