"""MCQ option scoring on a small guide and glossary written for these tests (tests/test_knowledge.py),
with a deterministic named fake encoder: options placed in the documents' sequences, an activity that
borrows its heading's cues, setbacks that are not answered by the next step, the sequence a question
is about, the echo of an entity the situation names, and the best pair for "(Select TWO.)" items."""

from __future__ import annotations

import pytest

from assistant.knowledge import options as opts
from assistant.knowledge.service import KnowledgeBase
from assistant.services.mcq import best_pair
from tests.fakes import bag_of_words_encoder
from tests.test_knowledge import _docs

fake_encode = bag_of_words_encoder(128, ".,:;?")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.build(_docs(), fake_encode)


def _ids(kb: KnowledgeBase, text: str) -> list[str]:
    return kb.linker.ids(text)


def test_an_activity_is_anchored_at_the_heading_of_the_line_that_says_it(kb):
    ev = opts.option_evidence(kb, "Which activity is part of shaping the data?", {"A": "Clean the records", "B": "x"})
    shape = _ids(kb, "Shape Data")
    assert shape and shape[0] in ev["A"].anchors
    assert ev["B"].why == "unknown"


def test_next_step_follows_the_step_the_situation_is_at(kb):
    q = "The team has pulled records from files and streams into one place. What should the team do next?"
    options = {
        "A": "Answer requests with low latency",
        "B": "Clean the records and build features",
        "C": "Pull records",
    }
    ev = opts.option_evidence(kb, q, options)
    assert ev["B"].why == "order"
    assert max(ev, key=lambda k: ev[k].score) == "B"


def test_after_a_setback_the_next_step_gets_no_bonus(kb):
    q = "The team pulled records from files and streams, but the results were poor. What should the team do next?"
    options = {
        "A": "Answer requests with low latency",
        "B": "Clean the records and build features",
        "C": "Pull records",
    }
    ev = opts.option_evidence(kb, q, options)
    assert all(e.why != "order" for e in ev.values())


def test_the_sequence_is_the_one_the_question_names(kb):
    options = {"A": "Landing", "B": "Cleaning", "C": "Serving"}
    out = opts.option_evidence(kb, "What is the last step in practice?", options)
    placed, seq = opts._placed(kb, "What is the last step in practice?", options, out)
    assert seq is not None and "Practice" in seq.title
    assert placed == {"A": 0, "B": 1, "C": 2}
    assert out["C"].why == "order"


def test_an_entity_the_situation_already_names_is_discounted(kb, monkeypatch):
    q = "Amazon Kinesis captures a stream of click events that arrive every second for the team. Which service?"
    options = {"A": "Amazon Kinesis", "B": "AWS Glue DataBrew"}
    monkeypatch.setattr(opts, "ECHO_PENALTY", 0.0)
    plain = opts.option_evidence(kb, q, options)
    monkeypatch.setattr(opts, "ECHO_PENALTY", 0.2)
    echoed = opts.option_evidence(kb, q, options)
    assert echoed["A"].score == pytest.approx(plain["A"].score - 0.2)
    assert echoed["B"].score == pytest.approx(plain["B"].score)


def test_best_pair_is_chosen_as_a_pair():
    scores = {"A": 0.9, "B": 0.8, "C": 0.7, "D": 0.1}
    assert best_pair(scores, {}, 2) == ["A", "B"]
    # Two options that stand for the same thing add little as a pair: the second-best distinct one wins.
    same = {("A", "B"): 1.0}
    assert best_pair(scores, same, 2, redundancy=0.5) == ["A", "C"]
    assert best_pair(scores, same, 1) == ["A"]


def test_an_option_the_guide_lists_under_the_named_heading_gets_the_member_bonus(kb, monkeypatch):
    q = "Which AWS service does the guide list for the Ingest Data stage?"
    options = {"A": "Amazon Kinesis", "B": "AWS Glue DataBrew"}
    monkeypatch.setattr(opts, "MEMBER_BONUS", 0.0)
    plain = opts.option_evidence(kb, q, options)
    monkeypatch.setattr(opts, "MEMBER_BONUS", 0.2)
    listed = opts.option_evidence(kb, q, options)
    assert listed["A"].score == pytest.approx(plain["A"].score + 0.2)
    assert listed["B"].score == pytest.approx(plain["B"].score)


def test_a_use_when_cue_counts_more_than_an_equally_close_line(kb, monkeypatch):
    q = "A stream of click events must be captured as it happens. Which service should the team use?"
    options = {"A": "Amazon Kinesis", "B": "AWS Glue DataBrew"}
    monkeypatch.setattr(opts, "USE_BONUS", 0.0)
    plain = opts.option_evidence(kb, q, options)
    monkeypatch.setattr(opts, "USE_BONUS", 0.3)
    cued = opts.option_evidence(kb, q, options)
    assert kb.kb.statements[cued["A"].statement].role == "use"
    assert cued["A"].score > plain["A"].score
    assert max(cued, key=lambda k: cued[k].score) == "A"


def test_a_name_is_no_evidence_in_a_line_about_something_else(kb):
    # "AWS Glue jobs clean the files" holds most of the words of "AWS Glue DataBrew" but is about Glue.
    glue_line = next(s for s in kb.kb.statements if "Glue jobs clean" in s.text)
    databrew = set(kb.linker.ids("AWS Glue DataBrew"))
    assert kb.overlap(opts.content("AWS Glue DataBrew"), glue_line.id) >= opts.LEXICAL_SUPPORT
    ev = opts.option_evidence(kb, "Which tool cleans the files?", {"A": "AWS Glue DataBrew", "B": "Amazon Kinesis"})
    assert not databrew & glue_line.about()
    assert ev["A"].support and glue_line.id not in ev["A"].support


TWO_NEEDS = (
    "A shop wants every stream of click events captured as it happens, and wants its analysts to clean "
    "data without code. Which TWO services fit? (Select TWO.)"
)


def test_a_stem_states_its_needs_in_clauses_and_sentences():
    assert opts.needs(TWO_NEEDS) == [
        "A shop wants every stream of click events captured as it happens",
        "wants its analysts to clean data without code.",
    ]
    assert opts.needs("Which service captures click events?") == []


def test_each_option_is_scored_on_each_need(kb):
    options = {"A": "Amazon Kinesis", "B": "AWS Glue DataBrew"}
    parts = opts.need_scores(kb, TWO_NEEDS, opts.option_evidence(kb, TWO_NEEDS, options))
    assert parts["A"][0] > parts["B"][0]
    assert parts["B"][1] > parts["A"][1]


def test_best_pair_covers_different_needs(monkeypatch):
    from assistant.services import mcq

    scores = {"A": 0.9, "B": 0.8, "C": 0.5}
    parts = {"A": [1.0, 0.0], "B": [0.9, 0.1], "C": [0.0, 0.9]}
    monkeypatch.setattr(mcq, "COVERAGE", 0.0)
    assert best_pair(scores, {}, 2, parts=parts) == ["A", "B"]
    monkeypatch.setattr(mcq, "COVERAGE", 0.5)
    assert best_pair(scores, {}, 2, parts=parts) == ["A", "C"]  # B answers A's need again
    assert best_pair(scores, {}, 1, parts=parts) == ["A"]
