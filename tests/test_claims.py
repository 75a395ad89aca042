"""The claim check's mechanisms: word matching and polarity (offline, no model), and, on a small guide
and glossary written for these tests with the real embedding model, the checks that catch a swapped
name, a borrowed clause, a reversed order and a negated fact while accepting the true sentences."""

from __future__ import annotations

import pytest

from assistant.knowledge.claim_roles import crossed, turned
from assistant.knowledge.claims import ClaimChecker
from assistant.knowledge.link import Linker
from assistant.knowledge.order import _around
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import claim_words, covered, negated, opposed, unbacked
from assistant.services.corpus import Document, front_matter
from assistant.services.text import stem

GUIDE = """# Parcel Sorting Primer

## Why a Process

Sorting projects are iterative. The process is not linear: teams often return to earlier stages.

## The Stages

The stages are:

### 1. Gather Parcels

- Collect parcels from depots and trucks
- AWS services: Amazon Kinesis

### 2. Weigh Parcels

- Weigh each parcel and record its mass
- AWS services: AWS Glue DataBrew

### 3. Ship Parcels

- Send parcels to customers quickly
- AWS services: Amazon SageMaker Endpoints

## Steps in Practice

1. Landing: raw manifests land in Amazon S3
2. Cleaning: AWS Glue jobs clean the manifests
3. Registry: approved manifests are registered with a version
4. Serving: an endpoint answers requests
"""

GLOSSARY = """---
kind: glossary
title: Test glossary
---
# Test glossary

## Hit rate
- Kind: metric
- What it is: Of all the parcels that really are damaged, the share the scanner found.
- Confused with: Purity — of the flagged parcels, the share that really are damaged

## Purity
- Kind: metric
- What it is: Of the parcels the scanner flagged as damaged, the share that really are damaged.
- Not for: when missing a damaged parcel costs most (use hit rate)

## Holdout set
- Kind: data split
- What it is: Parcels kept out of fitting and used repeatedly to tune the scanner's settings, which is why a separate final set is kept.

## Final set
- Kind: data split
- What it is: Parcels kept aside and used only once at the end to estimate how the scanner does on new parcels.

## Parcel Lens
- Kind: AWS service
- What it is: A visual tool for inspecting photos of parcels and marking the damaged ones by hand.
- Use when: inspectors want to review parcel photos with little code; the photos are stored in Amazon S3
"""


# -- words (offline) ------------------------------------------------------------------------------
def _stems(*words: str) -> set[str]:
    return {stem(w) for w in words}


def test_stems_that_share_their_first_letters_cover_each_other():
    have = _stems("registry", "deployment")
    assert covered(_stems("registered", "deployed"), have) == _stems("registered", "deployed")
    assert not covered(_stems("transparency"), _stems("transform"))  # 6 letters, not 5: "transp" / "transf"


def test_claim_words_leave_out_words_that_point_at_the_documents():
    assert claim_words("The guide lists Glue among the tools during ingestion") == _stems("glue", "tools", "ingestion")


def test_a_negation_turns_around_only_the_words_after_it():
    neg, plain = negated("Batch suits predictions that are not time-sensitive")
    assert neg == _stems("time", "sensitive") and stem("predictions") in plain
    assert negated("a no-code data preparation tool")[0] == _stems("code")  # the hyphenated compound only
    assert negated("set before training rather than learned")[0] == _stems("learned")
    assert negated("data it does not own can be bought")[0] == _stems("own")  # a modal starts a new verb
    assert opposed("The process is linear", "The process is not linear")
    assert not opposed("Analysts clean data without writing code", "A no-code data preparation tool")
    assert opposed("Edge devices run far from the data", "Devices close to where data is produced")
    # A negation ends with its clause: "not linear." says nothing against the next sentence's teams.
    assert not opposed(
        "Teams often go back to earlier stages", "It is not linear. Teams often go back to earlier stages."
    )


def test_two_negations_of_the_same_word_agree():
    # "without ... an endpoint" and "no persistent endpoint" say one thing; the rough scope of
    # "without" reaching "running" is not a contradiction of "runs the model".
    assert not opposed(
        "Batch jobs read from S3 without keeping an endpoint running",
        "Runs the model over data in S3, with no persistent endpoint",
    )
    assert opposed("Batch jobs keep an endpoint running", "Runs the model over data in S3, with no persistent endpoint")


def test_an_order_word_relates_the_steps_on_either_side_of_it():
    # (token, step position) in sentence order; the word stands at token 5.
    assert _around([(0, 2), (8, 0)], 5) == (2, 0, False)  # "C ... after A": C and A
    assert _around([(0, 6), (3, 2), (8, 0)], 5) == (2, 0, False)  # the nearest on the left, not the first
    assert _around([(2, 0), (8, 2)], 0) == (0, 2, True)  # "After A, C": it leads
    assert _around([(0, 2)], 5) is None  # nothing named after it


def test_a_claim_that_plays_the_support_down_is_not_backed_by_a_neutral_line():
    assert unbacked("Pipelines make projects less reproducible", "Pipelines make projects reproducible")
    assert not unbacked("AWS puts little emphasis on monitoring", "AWS puts strong emphasis on monitoring")
    assert not unbacked("Pipelines make projects reproducible", "Pipelines make projects reproducible")


def test_roles_swapped_between_two_entities_are_caught_and_rewordings_are_not():
    linker = Linker()
    linker.add_all(["Sorter"], "sorter")
    linker.add_all(["Scale"], "scale")
    line = "Sorter - the Sorter routes parcels to their bins, while the Scale weighs each parcel"
    ids, names = {"sorter", "scale"}, {stem("sorter"), stem("scale")}
    assert crossed(linker, "The Sorter weighs each parcel and the Scale routes parcels to bins", line, ids, names)
    assert not crossed(linker, "The Sorter routes parcels to bins and the Scale weighs each parcel", line, ids, names)
    # One clause matching the other entity's part is a rewording, not a swap: both parts must move.
    assert not crossed(linker, "The Sorter sends parcels on, and the Scale weighs parcels", line, ids, names)
    # A contrast line is written to set the two apart: one part moved to the other is enough there.
    contrast = "Sorter - the Sorter routes parcels to bins, while the Scale weighs their mass"
    assert crossed(
        linker, "The Sorter weighs their mass, and the Scale sends them on", contrast, ids, names, both=False
    )
    assert not crossed(linker, "The Sorter weighs their mass, and the Scale sends them on", contrast, ids, names)
    assert not crossed(
        linker, "The Sorter routes parcels to bins, and the Scale sends them on", contrast, ids, names, both=False
    )


def test_a_link_between_two_names_turned_round_is_caught_but_a_passive_is_not():
    linker = Linker()
    linker.add_all(["parcel weight"], "weight")
    linker.add_all(["shipping cost"], "cost")
    line = "Parcel weight directly drives shipping cost."
    ids, names = {"weight", "cost"}, set(claim_words("parcel weight shipping cost"))
    assert turned(linker, "Shipping cost directly drives parcel weight.", line, ids, names)
    assert not turned(linker, "Parcel weight drives the shipping cost.", line, ids, names)
    assert not turned(linker, "Shipping cost is driven by parcel weight.", line, ids, names)  # a passive
    # A glossary line's own entity stands before its words when the line does not name it first.
    entry = "Drives shipping cost directly; heavier parcels cost more."
    assert turned(linker, "Shipping cost drives parcel weight.", entry, ids, names, owner="weight")
    assert not turned(linker, "Parcel weight drives shipping cost.", entry, ids, names, owner="weight")


# -- the checker on a small corpus with the real embedding model ------------------------------------
@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> ClaimChecker:
    from assistant.adapters.embeddings import PACKAGED, Embedder

    meta, body = front_matter(GLOSSARY)
    docs = [
        Document("primer.md", "Parcel Sorting Primer", GUIDE),
        Document("glossary.md", "Test glossary", GLOSSARY, kind=meta["kind"], body_start=body),
    ]
    embedder = Embedder(PACKAGED, cache_dir=tmp_path_factory.mktemp("models"))
    return ClaimChecker(KnowledgeBase.build(docs, embedder.encode))


@pytest.mark.slow
def test_a_swapped_name_is_caught_by_substituting_its_rival(checker: ClaimChecker):
    assert checker.check("Hit rate is the share of the really damaged parcels that the scanner found.").ok
    assert checker.check("Purity is the share of flagged parcels that really are damaged.").ok
    swapped = checker.check("Purity is the share of the really damaged parcels that the scanner found.")
    assert not swapped.ok and "Hit rate" in swapped.reason


@pytest.mark.slow
def test_a_glossary_line_says_of_another_entry_only_the_clause_that_names_it(checker: ClaimChecker):
    assert checker.check("The final set is used only once at the end to estimate performance on new parcels.").ok
    borrowed = checker.check("The final set is used repeatedly to tune the scanner's settings.")
    assert not borrowed.ok


@pytest.mark.slow
def test_order_negation_and_compound_sentences(checker: ClaimChecker):
    # Steps named by their labels' words ("registered", "cleaned"), in the sequence's order.
    assert checker.check("In practice, the manifests are registered after they are cleaned.").ok
    assert not checker.check("In practice, the manifests are cleaned after they are registered.").ok
    assert not checker.check("Weigh Parcels comes before Gather Parcels.").ok
    # The documents say "not linear": the sentence that drops the negation is turned around.
    assert not checker.check("The sorting process is linear, so teams never return to earlier stages.").ok
    # Each clause of a compound sentence holds, though no one line says both.
    assert checker.check(
        "Amazon Kinesis is listed for gathering parcels, while AWS Glue DataBrew is listed for weighing parcels."
    ).ok
    assert not checker.check(
        "Amazon Kinesis is listed for weighing parcels, while AWS Glue DataBrew is listed for gathering parcels."
    ).ok


@pytest.mark.slow
def test_a_description_of_a_confusable_rival_is_caught(checker: ClaimChecker):
    # "Confused with" and "Not for (use ...)" make the two metrics confusable and describe each.
    d = checker.descriptions
    assert d.confused["hit-rate"] == {"purity"}
    # (A margin below the shipped one: this tiny glossary's two entries share most of their words.)
    found = d.rival("Purity tells how many of the really damaged parcels the scanner found.", {"purity"}, 0.1)
    assert found is not None and (found.subject, found.rival) == ("purity", "hit-rate")
    assert d.rival("Purity tells how many of the flagged parcels really are damaged.", {"purity"}, 0.1) is None
    # A clause that defines its subject ("Purity is ...") needs no margin: the rival fitting better is enough.
    defined = d.rival("Purity is the share of the really damaged parcels that the scanner found.", {"purity"})
    assert defined is not None and defined.rival == "hit-rate"
    assert d.rival("Purity is the share of flagged parcels that really are damaged.", {"purity"}) is None
    # A clause that names another entry further on stays with its own entry.
    assert not any(o == "final-set" and "repeatedly" in t for o, t in zip(d.owners, d.texts, strict=True))
    # A definition is held against every entry of its kind, confusable or not, by a wider margin.
    other = d.rival("The final set is parcels kept out of fitting and used repeatedly to tune settings.", {"final-set"})
    assert other is not None and other.rival == "holdout-set"
    assert d.rival("The final set is parcels used once at the end to estimate results on new parcels.", set()) is None
    # The subject is the name the clause starts with; a name further on is not what it describes.
    assert d.rival("Scanners report the share of damaged parcels found, called hit rate.", {"hit-rate"}) is None


@pytest.mark.slow
def test_neighbours_flow_words_and_a_leading_order_word(checker: ClaimChecker):
    assert checker.check("Weigh Parcels comes right after Gather Parcels.").ok
    assert not checker.check("Ship Parcels comes right after Gather Parcels.").ok  # after, but not next
    assert not checker.check("After Weigh Parcels comes Gather Parcels.").ok
    assert checker.check("After Gather Parcels comes Weigh Parcels.").ok
    assert checker.check("In practice, the manifests are cleaned and then registered.").ok
    assert not checker.check("In practice, the manifests are registered and then cleaned.").ok
    # An order that holds does not carry a claim beside it that nothing supports.
    assert not checker.check("Weigh Parcels comes after Gather Parcels, and it paints every parcel blue.").ok


@pytest.mark.slow
def test_what_an_entry_says_across_its_lines_supports_a_sentence(checker: ClaimChecker):
    # No one line of the entry says both halves; its "What it is" and a "Use when" item do together.
    sentence = "Parcel Lens lets inspectors mark damaged parcels by hand in photos stored in Amazon S3."
    assert checker.check(sentence).ok
    assert not checker.check("Parcel Lens weighs every parcel automatically in photos stored in Amazon S3.").ok


@pytest.mark.slow
def test_any_clause_is_held_against_every_entry_of_its_kind_by_a_wide_margin(
    checker: ClaimChecker, monkeypatch: pytest.MonkeyPatch
):
    import assistant.knowledge.rivals as rivals

    # (A margin below the shipped one: in this tiny glossary every entry shares words with the others.)
    monkeypatch.setattr(rivals, "ANY_MARGIN", 0.3)
    d = checker.descriptions
    assert "holdout-set" not in d.confused.get("final-set", set())  # not called confusable: same kind only
    found = d.rival("The final set gets used repeatedly to tune the scanner's settings.", {"final-set"})
    assert found is not None and found.rival == "holdout-set"
    assert d.rival("The final set gets used once at the end to estimate results on new parcels.", {"final-set"}) is None
    # A scenario before the name: the clause is about the name the defining verb follows (shipped margin).
    monkeypatch.undo()
    scenario = "For parcels kept aside and used only once at the end, the holdout set is the one to use."
    found = d.rival(scenario, {"holdout-set"})
    assert found is not None and found.rival == "final-set"
    fitting = "For parcels used repeatedly to tune the scanner's settings, the holdout set is the one to use."
    assert d.rival(fitting, {"holdout-set"}) is None


@pytest.mark.slow
def test_a_service_named_in_one_step_places_that_step(checker: ClaimChecker):
    # The "Steps in Practice" steps link no entity of their own; their texts name the services.
    assert checker.check("Manifests land in Amazon S3 before AWS Glue jobs clean them.").ok
    turned = checker.check("AWS Glue jobs clean the manifests before they land in Amazon S3.")
    assert not turned.ok and "other way round" in turned.reason


def test_a_change_phrase_is_not_a_denial():
    # "no longer looks like" says the data moved: it negates none of its words ...
    neg, plain = negated("Production data no longer looks like the training data.")
    assert not neg and {stem("looks"), stem("training")} <= plain
    assert not opposed("Inputs no longer look like the training data.", "The training data is stored in S3.")
    # ... and it stands on the change side: against "look the same" or "still look like", it is turned around.
    assert opposed("The inputs no longer look like the training data.", "The inputs still look the same.")
    assert opposed("Data drift: production data still looks like the training data.", "The data has changed.")


def test_same_x_but_different_y_states_a_change():
    changes = "The mapping from inputs to the correct output changes."
    assert not opposed("The same inputs can now call for a different correct answer.", changes)
    assert opposed("The inputs and the correct answer stay the same.", changes)


def test_the_loser_of_a_comparison_is_denied_like_rather_than():
    support = "Revisit data preparation rather than redeploy the model."
    assert not opposed("Revisiting data preparation usually beats simply redeploying the model.", support)
    assert opposed("Redeploying the model usually beats revisiting data preparation.", support)
