"""Explanations a learner reads after answering (explain.py): grammatical for any definition shape, about
the entry the option names, free of exam-technique text, and giving a reason for every distractor. Small
inline glossaries and guides on a bag-of-words encoder (named fake, no model)."""

from __future__ import annotations

import random
import re

import pytest

from assistant.knowledge.service import KnowledgeBase
from assistant.services.corpus import Document, front_matter, load_corpus
from assistant.services.exam.checks import run_checks
from assistant.services.exam.explain import Explainer, definition_shape, frame
from assistant.services.exam.facts import Fact
from assistant.services.exam.families import FactFinder, Topics
from assistant.services.exam.grammar import explanation_problem, explanation_reason
from assistant.services.exam.reasons import FLAW_CHECKS
from assistant.services.exam.render import Cite, Renderer
from assistant.services.exam.stems import Need, Shingles, StemBook, is_meta
from tests.test_exam_families import FIXTURE, STEMS
from tests.test_knowledge import fake_encode

GLOSSARY = """## Acme Runs
- Kind: AWS service
- Also called: Runs; experiment tracking
- What it is: Tracks and compares training runs: it records the settings and scores of every run.
- Use when: compare the scores of many training runs side by side; the question says run comparison
- Confused with: Acme Vault — the vault keeps approved models, Runs keeps every run

## Acme Vault
- Kind: AWS service
- Also called: Vault
- What it is: A catalog of approved models with numbered versions.
- Use when: keep every approved model as a numbered version
- Lifecycle: 3. Release the Model

## Acme Lens
- Kind: AWS service
- Also called: Lens
- What it is: Managed probes that watch live traffic for drift.
- Use when: alerts are wanted when live inputs drift away from training data

## Experiment tracking
- Kind: ML concept
- What it is: Recording the inputs and outputs of every training run so that runs can be compared.
- Use when: finding which settings produced the best model

## Drift
- Kind: ML concept
- What it is: Of all the changes a live model sees, the ones that move its inputs away from training data.
- Use when: live inputs no longer look like training data
"""

GUIDE = """# Study guide

## The Release Path

Teams move a model through these steps.

1. Preparation: the data is cleaned and split into training and test sets.
2. Fitting: the model is trained on the training set.
3. Scoring: the model is scored on the test set.
4. Release: the approved model is published behind an endpoint.

## Notes

- Shadow tests send copies of live requests to a new model before release.
"""


def _doc(name: str, kind: str, text: str) -> Document:
    if kind == "glossary":
        text = f"---\nkind: glossary\n---\n# Test glossary\n\n{text}"
    return Document(name, name, text, kind=kind, body_start=front_matter(text)[1])


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.build([_doc("g.md", "glossary", GLOSSARY), _doc("guide.md", "guide", GUIDE)], fake_encode)


def _use(kb: KnowledgeBase, name: str, text: str) -> int:
    return next(s.id for s in kb.kb.statements if s.role in ("use", "clause") and text in s.text and s.leaf == name)


# -- definitions of any shape ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "shape", "expected"),
    [
        ("A catalog of models with versions.", "noun", "Vault is a catalog of models with versions."),
        ("Tracks and compares runs: it records scores.", "verb", "Vault tracks and compares runs: it records scores."),
        ("SageMaker's workflow service for ML.", "noun", "Vault is SageMaker's workflow service for ML."),
        ("Recording every run so runs compare.", "noun", "Vault is recording every run so runs compare."),
        ("How complete and correct the data is.", "noun", "Vault is how complete and correct the data is."),
    ],
)
def test_a_definition_is_framed_by_its_shape(definition, shape, expected):
    assert definition_shape(definition) == shape
    assert frame("Vault", definition) == expected
    assert explanation_problem(expected) is None


@pytest.mark.parametrize(
    ("definition", "shape"),
    [
        ("Step Functions orchestrates calls as state machines.", "sentence"),
        ("Of the items labeled positive, the share that are.", "sentence"),
        ("Managed jobs that run your scripts.", "plural"),
        ("The measurable targets agreed before training.", "plural"),
    ],
)
def test_a_definition_that_cannot_follow_the_name_is_quoted_under_a_label(definition, shape):
    assert definition_shape(definition) == shape
    out = frame("Vault", definition + " A second sentence is left out.")
    assert out == f"The glossary entry “Vault” says: “{definition.rstrip('.')}”."
    assert explanation_problem(out) is None


def test_the_grammar_check_flags_pasted_definitions_but_not_quotes():
    assert explanation_problem("Not the best fit: Acme Runs is tracks and compares runs.")
    assert explanation_problem("Not the best fit: Acme Tuning is runs many training jobs.")
    assert explanation_problem("Not the best fit: Acme Vault is A catalog of models.")
    assert explanation_problem("Not the best fit: in the list, “Fitting” is step 2 of 4; the first is “X”.") is None
    assert explanation_problem("Correct: the glossary says: “is tracks and compares, A catalog of”.") is None
    assert explanation_problem("Not the best fit: this is always the slowest option.") is None


def test_a_flagged_explanation_is_a_counted_rejection_reason():
    item = {
        "id": "x",
        "type": "single",
        "question": "A team must keep every approved model as a numbered version. Which service helps?",
        "options": {"A": "Acme Vault", "B": "Acme Runs", "C": "Acme Lens", "D": "Acme Probe"},
        "answer": "A",
        "explanations": {"B": "Not the best fit: Acme Runs is tracks and compares runs."},
        "citations": [{"id": "c0", "section": "Acme Vault", "quote": "keep every approved model"}],
    }
    reasons = run_checks(item, passages={"c0": "keep every approved model"}, guide_terms=[])
    assert "ungrammatical_explanation" in reasons and "ungrammatical_explanation" in FLAW_CHECKS
    assert explanation_reason(["Not the best fit: Acme Vault is a catalog of models."]) is None


# -- the entry the option names ---------------------------------------------------------------------


def test_an_option_is_explained_by_its_own_entry_not_a_related_one(kb):
    ex = Explainer(kb)
    # "experiment tracking" is also an alias of the service Acme Runs; the concept is its own entry.
    assert set(kb.linker.ids("Experiment tracking")) >= {ex.entry_of("Acme Runs"), ex.entry_of("Experiment tracking")}
    assert kb.kb.entities[ex.entry_of("Experiment tracking")].name == "Experiment tracking"
    fact = Fact("concept", "single", "t", ("Drift",), ("Experiment tracking",), (_use(kb, "Drift", "live"),), "")
    why = ex.why_not("Experiment tracking", fact, {"Drift": fact.support[0]})
    assert "Experiment tracking is recording the inputs and outputs" in why
    assert "Tracks and compares" not in why and explanation_problem(why) is None


# -- exam-technique text --------------------------------------------------------------------------------


def test_exam_technique_cues_are_never_quoted_as_the_reason(kb):
    meta = _use(kb, "Acme Runs", "the question says")
    assert is_meta(kb.kb.statements[meta].text) and not is_meta("compare the scores of many runs")
    why = Explainer(kb).why_key(meta, "Acme Runs")
    assert "question" not in why and "Tracks and compares training runs" in why
    plain = Explainer(kb).why_key(_use(kb, "Acme Runs", "side by side"), "Acme Runs")
    assert "compare the scores of many training runs side by side" in plain


# -- a reason for every distractor ----------------------------------------------------------------------


def test_a_distractor_entry_says_what_it_is_and_which_need_it_misses(kb):
    ex = Explainer(kb)
    cue = _use(kb, "Acme Vault", "numbered version")
    fact = Fact("service", "single", "t", ("Acme Vault",), ("Acme Lens", "Acme Runs"), (cue,), "")
    lens = ex.why_not("Acme Lens", fact, {"Acme Vault": cue})
    assert lens.startswith("Not the best fit: The glossary entry “Acme Lens” says: “Managed probes that watch")
    assert "under “Acme Vault”: “keep every approved model as a numbered version”" in lens
    runs = ex.why_not("Acme Runs", fact, {"Acme Vault": cue})  # its own entry tells it apart from the key
    assert runs.startswith("Not the best fit: Acme Runs tracks and compares training runs")
    assert "Under “Acme Runs” the glossary tells the two apart: “Acme Vault — the vault keeps approved" in runs
    lens_key = Fact("service", "single", "t", ("Acme Runs",), ("Acme Vault",), (_use(kb, "Acme Runs", "side"),), "")
    vault = ex.why_not("Acme Vault", lens_key, {})  # the key's entry tells the option apart: quoted alone
    assert vault == (
        "Not the best fit: under “Acme Runs” the glossary tells the two apart: "
        "“Acme Vault — the vault keeps approved models, Runs keeps every run”."
    )
    for text in (lens, runs, vault):
        assert explanation_problem(text) is None


def test_a_step_of_a_sequence_is_explained_by_its_position(kb):
    ex = Explainer(kb)
    q = next(q for q in kb.kb.sequences if len(q.steps) == 4)
    step = next(s.id for s in kb.kb.statements if s.text.startswith("Scoring"))
    nxt = Fact(
        "next_step",
        "single",
        "n",
        ("Scoring",),
        ("Release", "Preparation"),
        (step,),
        "",
        (),
        {"sequence": "release path"},
    )
    why = ex.why_not("Release", nxt, {"Scoring": step})
    assert "“Release” is step 4 of 4" in why and "right after “Fitting” (step 2)" in why
    assert "says of it: “Release: the approved model is published behind an endpoint”" in why
    first = Fact(
        "first_step", "single", "f", ("Preparation",), ("Fitting",), (step,), "", (), {"sequence": "release path"}
    )
    assert "the first step is “Preparation”" in ex.why_not("Fitting", first, {})
    assert q.title and all(explanation_problem(t) is None for t in (why, ex.why_not("Fitting", first, {})))


def test_a_name_with_no_entry_is_explained_by_what_the_documents_say_of_it(kb):
    ex = Explainer(kb)
    cue = _use(kb, "Acme Vault", "numbered version")
    fact = Fact("concept", "single", "t", ("Acme Vault",), ("Shadow tests", "Blue sky"), (cue,), "")
    shadow = ex.why_not("Shadow tests", fact, {"Acme Vault": cue})
    assert "the guide says: “Shadow tests send copies of live requests" in shadow
    bare = ex.why_not("Blue sky", fact, {"Acme Vault": cue})
    assert bare != "Not the best fit here: Blue sky." and "“keep every approved model as a numbered version”" in bare
    for text in (shadow, bare):
        assert explanation_problem(text) is None


def test_a_select_two_distractor_misses_both_needs(kb):
    ex = Explainer(kb)
    cues = (_use(kb, "Acme Vault", "numbered version"), _use(kb, "Acme Lens", "alerts"))
    fact = Fact("multi", "multi", "t", ("Acme Vault", "Acme Lens"), ("Experiment tracking",), cues, "")
    why = ex.why_not("Experiment tracking", fact, {"Acme Vault": cues[0], "Acme Lens": cues[1]})
    assert why.endswith(
        "The documents tie the needs in the question to Acme Vault and Acme Lens, not to Experiment tracking."
    )
    assert explanation_problem(why) is None


def test_a_distractor_misses_the_situation_the_stem_was_worded_from(kb):
    """A remedy stem states a symptom from one entry and keys a service from another: a distractor is
    explained against the symptom, not against the key's own line."""
    ex = Explainer(kb)
    symptom, lens = _use(kb, "Drift", "no longer look"), _use(kb, "Acme Lens", "alerts")
    need = Need("live inputs no longer look like training data", "clause")
    fact = Fact("remedy", "single", "t", ("Acme Lens",), ("Acme Vault",), (symptom, lens), "", (need,))
    why = ex.why_not("Acme Vault", fact, {"Acme Lens": lens})
    assert "the glossary has that under “Drift”: “live inputs no longer look like training data”" in why
    assert "alerts are wanted" not in why and explanation_problem(why) is None


def test_keyword_lines_are_exam_technique():
    assert is_meta("experiment tracking is the keyword") and is_meta("a scenario describes degradation")
    assert is_meta("A question asks about detecting bias in training data → Answer: Amazon SageMaker Clarify")
    assert not is_meta("compare the keys of two runs") and not is_meta("Question: A user sends a question to the app")


def test_every_explanation_of_the_second_guide_reads_as_english_and_gives_a_reason():
    """On a guide and glossary the code was never tuned on: every option of every fact is explained, no
    explanation is flagged by the check, none is a bare name, and none quotes exam technique."""
    docs, problems = load_corpus(FIXTURE, max_bytes=1 << 20)
    assert not problems
    store = KnowledgeBase.build(docs, fake_encode)
    lines = [ln for d in docs for ln in d.text.splitlines() if ln.strip()]
    book = StemBook.load(STEMS, lines)
    facts = FactFinder(store, book, Shingles(lines), Topics.of(docs)).all()
    renderer = Renderer(store, book, lambda i: Cite("c", "s", store.kb.statements[i].text, ""))
    explained = 0
    for f in (f for f in facts if f.family != "case"):
        raw, _ = renderer.item(f, random.Random(0), "medium", model=False)
        assert raw is not None and set(raw["explanations"]) == set(raw["options"])
        for letter, text in raw["explanations"].items():
            explained += 1
            assert explanation_problem(text) is None, text
            assert not any(is_meta(q) for q in re.findall(r"(?:says|under “[^”]*”): “([^”]*)”", text))
            name = raw["options"][letter]
            assert text not in {f"Not the best fit here: {name}.", f"Not the best fit: {name}.", "Not the best fit."}
    assert explained >= 40
