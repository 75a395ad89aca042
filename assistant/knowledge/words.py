"""Words for matching names and statements: the project's one toolkit (services/text.py) for tokens,
stems and stop words, plus what claims need on top of it: numbers and polarity."""

from __future__ import annotations

import re

from assistant.services.text import STOP_WORDS as STOP
from assistant.services.text import content_words as content
from assistant.services.text import stems as tokens

_TOKEN = re.compile(r"[a-z0-9]+")
__all__ = ["STOP", "content", "numbers", "opposed", "polarity", "tokens"]

_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
    )
}
_ORDINALS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "sixth": "6",
    "seventh": "7",
    "eighth": "8",
    "ninth": "9",
    "tenth": "10",
}


def numbers(text: str) -> set[str]:
    """Numbers a text states, in digits or words ("ten phases" -> {"10"}); "one" is too often not a
    number ("one of the phases") and ordinals name positions, so neither counts."""
    found = set(re.findall(r"\d+(?:\.\d+)?", text))
    found |= {_NUMBER_WORDS[w] for w in _TOKEN.findall(text.lower()) if w in _NUMBER_WORDS and w != "one"}
    return found


# Words that turn a statement around. Plain English, not knowledge of any guide: a sentence whose
# polarity differs from its supporting statement's says the opposite ("little emphasis" / "strong
# emphasis", "rarely tests" / "frequently tests", "should be preferred" / "eliminate it").
_NEGATION = frozenset(["not", "no", "never", "none", "cannot", "without", "neither", "nor"])
_POLES = (
    (
        frozenset(["little", "rarely", "seldom", "few", "less", "least", "minor", "weak", "low", "lower", "rare"]),
        frozenset(
            [
                "strong",
                "frequently",
                "often",
                "always",
                "most",
                "many",
                "major",
                "critical",
                "essential",
                "high",
                "higher",
                "much",
            ]
        ),
    ),
    (
        frozenset(["prefer", "preferred", "choose", "keep", "favor", "pick"]),
        frozenset(["eliminate", "eliminated", "avoid", "drop", "discard", "reject"]),
    ),
    (frozenset(["manual", "manually"]), frozenset(["automated", "automate", "automatic", "automatically"])),
    (frozenset(["linear"]), frozenset(["iterative"])),
    (
        frozenset(["increase", "increases", "increasing", "more"]),
        frozenset(["decrease", "decreases", "decreasing", "reduce", "reduces", "fewer"]),
    ),
    (frozenset(["improve", "improves", "improved"]), frozenset(["degrade", "degrades", "degraded", "worsen"])),
)


def polarity(text: str) -> tuple[int, tuple[int, ...]]:
    """(negation parity, for each pole pair -1 / 0 / +1), compared between a claim and its support."""
    raw = [w.replace("n't", "") for w in re.findall(r"[a-z']+", text.lower())]
    words = set(raw)
    neg = sum(1 for w in raw if w in _NEGATION)
    sides = []
    for low, high in _POLES:
        a, b = bool(words & low), bool(words & high)
        sides.append(0 if a == b else (-1 if a else 1))
    return neg % 2, tuple(sides)


def opposed(claim: str, support: str) -> bool:
    """True when the claim turns the support around (negation, or the other pole of a pair)."""
    n1, p1 = polarity(claim)
    n2, p2 = polarity(support)
    if n1 != n2:
        return True
    return any(a and b and a != b for a, b in zip(p1, p2))
