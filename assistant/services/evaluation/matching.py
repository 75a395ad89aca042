"""Scoring a matching item with the multiple-choice solver: each premise is asked as its own question
over the item's options, and the options are then given out one per premise so that the solver's
scores add up to the most (an exact assignment: at most 5 premises, so at most 120 orders to try).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence


def premise_question(question: str, premise: str, options: Mapping[str, str]) -> str:
    """One premise as a user would paste it: the item's instruction, the premise, the lettered options.

    A case study's scenario is left out: it is the same for every premise, so it cannot tell them
    apart, and pasted before a short premise it outweighs the premise's own words in the solver's
    retrieval (on the hand-made case item of the tests it turned a right match into a wrong one).
    """
    return "\n".join([question, premise, *(f"{k}. {v}" for k, v in options.items())])


def _standardized(scores: Mapping[str, float], letters: Sequence[str]) -> dict[str, float]:
    """Scores on one scale per premise (mean 0, sd 1), so no premise's scale outweighs another's."""
    values = [float(scores.get(k, 0.0)) for k in letters]
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values) or 1.0
    return {k: (v - mean) / sd for k, v in zip(letters, values, strict=True)}


def best_assignment(scores: Sequence[Mapping[str, float]], letters: Sequence[str]) -> list[str]:
    """The option letter for each premise, every letter once, that maximizes the summed scores.

    `scores[i]` are premise i's option scores (missing letters score 0). Ties go to the earliest order
    in letter order, so the result is deterministic.
    """
    if len(scores) != len(letters):
        msg = f"a matching item needs one option per premise: {len(scores)} premises, {len(letters)} options"
        raise ValueError(msg)
    table = [_standardized(s, letters) for s in scores]
    best, best_total = list(letters), float("-inf")
    for order in itertools.permutations(letters):
        total = sum(row[k] for row, k in zip(table, order, strict=True))
        if total > best_total + 1e-12:
            best, best_total = list(order), total
    return best


def choice_scores(scores: Mapping[str, float] | None, choice: Sequence[str]) -> dict[str, float]:
    """A premise's option scores: the solver's, or 1 for what it chose when it gave no scores."""
    if scores:
        return dict(scores)
    return {k: 1.0 for k in choice}
