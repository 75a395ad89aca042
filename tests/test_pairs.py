"""What an asking sentence wants of the options (assistant/knowledge/pairs.py) and how the solver picks
with it, on the small guide and glossary written for tests/test_knowledge.py (no real corpus) with a
deterministic named fake encoder: options that fit least for "which should be eliminated?", the named
side of a contrast, the side of a step for "which TWO ... before X?", and pairs under one heading."""

from __future__ import annotations

import pytest

from assistant.knowledge import options as opts
from assistant.knowledge import pairs
from assistant.knowledge.service import KnowledgeBase
from assistant.services import mcq
from assistant.services.mcq import MCQSolver, best_pair
from assistant.services.mcq_parse import MCQ
from tests.fakes import FakeRetriever, bag_of_words_encoder
from tests.test_knowledge import _docs

fake_encode = bag_of_words_encoder(128, ".,:;?")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.build(_docs(), fake_encode)


def _solver(kb: KnowledgeBase) -> MCQSolver:
    return MCQSolver(FakeRetriever([]), kb, None, prompts=None, k=4)  # no model: the knowledge layer alone


@pytest.mark.parametrize(
    ("question", "against"),
    [
        ("Following the elimination advice, which answer choice should be eliminated immediately?", True),
        ("Which TWO services do NOT belong to this stage? (Select TWO.)", True),
        ("Which service is LEAST suited to streams?", True),
        ("Which TWO statements are false? (Select TWO.)", True),
        ("Which elimination strategy does the guide recommend?", False),
        ("The data is not clean. Which service should the team use?", False),
        ("Which of the following is not a benefit of streaming?", True),
        ("Which TWO services do not store data? (Select TWO.)", True),
        ("Which service fits if the records are not labeled?", False),  # a condition, not the ask
        ("Which trait points to streams, not files?", False),  # a contrast: the named side is wanted
    ],
)
def test_a_question_that_asks_for_what_does_not_fit(kb, question, against):
    assert pairs.read_ask(kb, question).against is against


def test_the_sides_of_a_contrast_are_the_entities_each_half_names(kb):
    ask = pairs.read_ask(kb, "A team is choosing. Which trait points to Amazon Kinesis rather than AWS Glue DataBrew?")
    assert ask.want == {"amazon-kinesis"} and ask.avoid == {"aws-glue-databrew"}
    assert not pairs.read_ask(kb, "Which trait points to Amazon Kinesis?").want  # no contrast, no sides
    comma = pairs.read_ask(kb, "Which trait points to AWS Glue DataBrew, not Amazon Kinesis?")
    assert comma.want == {"aws-glue-databrew"} and comma.avoid == {"amazon-kinesis"} and not comma.against


def test_a_trait_counts_for_the_side_its_own_evidence_is_about(kb):
    ask = pairs.read_ask(kb, "Which TWO traits point to Amazon Kinesis instead of AWS Glue DataBrew? (Select TWO.)")
    options = {"A": "a stream of click events must be captured", "B": "analysts clean data without code", "C": "x"}
    s = pairs.sides(kb, ask, options)
    assert s["A"] > 0 > s["B"]
    assert s["C"] == pytest.approx(0.0)  # about neither side


def test_which_two_before_a_step_leaves_out_the_steps_at_or_after_it(kb):
    q = "Which TWO activities must happen before results are served? (Select TWO.)"
    options = {
        "A": "Clean the records and build features",
        "B": "Answer requests with low latency",
        "C": "Pull records",
    }
    ask = pairs.read_ask(kb, q)
    assert ask.direction == -1 and ask.reference.startswith("results")
    side = pairs.order_sides(kb, ask, opts.option_evidence(kb, q, options))
    assert side["B"] == -pairs.ORDER_SIDE  # the serving step itself
    assert side["A"] == side["C"] == 0.0  # earlier steps
    after = pairs.read_ask(kb, "Which TWO activities follow the landing of raw files? (Select TWO.)")
    assert after.direction == 0  # "follow" is no "after X": nothing to place against


def test_an_option_stands_under_the_headings_of_its_evidence(kb):
    q = "Which TWO activities belong to this stage?"
    options = {"A": "Clean the records and build features", "B": "Answer requests with low latency", "C": "x"}
    homes = pairs.homes(kb, opts.option_evidence(kb, q, options))
    shape, serve = kb.linker.ids("Shape Data"), kb.linker.ids("Serve Results")
    assert homes["A"] == set(shape) and homes["B"] == set(serve) and homes["C"] == set()


def test_a_pair_under_one_heading_is_preferred_when_the_question_states_one_need(monkeypatch):
    scores = {"A": 1.0, "B": 0.95, "C": 0.9}
    homes = {"A": {"h1"}, "B": {"h2"}, "C": {"h1"}}
    monkeypatch.setattr(pairs, "COHERENCE", 0.0)
    assert best_pair(scores, {}, 2, homes=homes) == ["A", "B"]
    monkeypatch.setattr(pairs, "COHERENCE", 0.1)
    assert best_pair(scores, {}, 2, homes=homes) == ["A", "C"]
    assert best_pair(scores, {}, 1, homes=homes) == ["A"]
    # One shared heading among many says little: the bonus is the share of headings in common.
    assert mcq._kin({"h1"}, {"h1", "h2", "h3", "h4"}) == pytest.approx(0.25)


def test_the_solver_picks_what_fits_least_when_asked_what_to_eliminate(kb):
    stem = "A team must capture a stream of click events. Which service should be eliminated immediately?"
    options = {"A": "Amazon Kinesis", "B": "AWS Glue DataBrew", "C": "Amazon Kinesis Data Streams"}
    ev = opts.option_evidence(kb, stem, options)
    least = min(ev, key=lambda k: ev[k].score)
    result = _solver(kb).solve(MCQ(stem, options, 1))
    assert result.choice == [least] == ["B"]
    assert max(result.scores, key=result.scores.get) == "B"  # shown scores rank the answer first too


def test_in_a_contrast_the_side_decides_over_the_options_match_to_the_situation(kb):
    q = "A team is choosing a design. Which TWO traits point to Amazon Kinesis rather than AWS Glue DataBrew? (Select TWO.)"
    options = {"A": "a stream of click events must be captured", "B": "analysts clean data without code", "C": "x"}
    scores = {"A": -0.5, "B": 0.4, "C": 0.3}  # A: the documents say nothing about the trait as a whole
    ask, out = pairs.rescore(kb, q, options, opts.option_evidence(kb, q, options), scores, 2)
    assert ask.want == {"amazon-kinesis"}
    assert max(out, key=out.get) == "A" and min(out, key=out.get) == "B"
    plain = "A team is choosing a design. Which TWO traits fit? (Select TWO.)"
    assert pairs.rescore(kb, plain, options, opts.option_evidence(kb, plain, options), scores, 2)[1] == scores
