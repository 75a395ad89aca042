"""Words for matching names and statements: the project's one toolkit (services/text.py) for tokens,
stems and stop words, plus what claims need on top of it: numbers and polarity."""

from __future__ import annotations

import re

from assistant.services.text import STOP_WORDS as STOP
from assistant.services.text import content_words as content
from assistant.services.text import stem
from assistant.services.text import stems as tokens

_TOKEN = re.compile(r"[a-z0-9]+")
__all__ = [
    "STOP",
    "claim_words",
    "content",
    "covered",
    "negated",
    "numbers",
    "opposed",
    "polarity",
    "tokens",
    "unbacked",
]

# Words a claim uses to point at the documents or to join its parts, not to say anything about an
# entity ("the guide lists X among ...", "X means ...", "during ..."): plain English, not any guide's terms.
_FILLER = frozenset(
    stem(w)
    for w in (  # noqa: SIM905 - a word list reads better as text (as STOP_WORDS in services/text.py)
        "guide document documents list listed lists mention mentions mentioned describe describes described "
        "say says said state states stated name names named called call means mean meaning one among "
        "during through via within across throughout part something thing things way whose"
    ).split()
)


def claim_words(text: str) -> set[str]:
    """The stems of a claim's content words that say something (no stop or filler words)."""
    return content(text) - _FILLER


# Stems that share this many leading letters are one word for coverage: the Snowball stemmer keeps
# "registered" (regist) and "registry" (registri), "deployed" and "deployment" apart.
STEM_PREFIX = 6


def _key(word: str) -> str:
    return word[:STEM_PREFIX] if len(word) >= STEM_PREFIX else word


def covered(words: set[str], have: set[str]) -> set[str]:
    """The stems of `words` that `have` holds, as such or as a stem with the same first letters."""
    keys = {_key(h) for h in have}
    return {w for w in words if w in have or _key(w) in keys}


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
_NEGATION = frozenset(["not", "no", "non", "never", "none", "cannot", "without", "neither", "nor"])
_POLES = (
    (
        frozenset(
            ["little", "rarely", "seldom", "few", "less", "least", "minor", "weak", "low", "lower", "rare", "poor"]
        ),
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
    (frozenset(["close", "closer", "near", "local", "locally"]), frozenset(["far", "remote", "distant"])),
    (
        frozenset(["change", "changes", "changed", "shift", "shifts", "shifted", "moves", "drifts"]),
        frozenset(["same", "unchanged", "constant", "stays", "static", "still"]),
    ),
    (
        frozenset(["include", "includes", "encompass", "encompasses", "covers", "combine", "combines"]),
        frozenset(["exclude", "excludes", "omit", "omits", "leaves", "unrelated"]),
    ),
)


# "set before training rather than learned": what follows "rather than" / "instead of" is denied, and
# so is the loser of a comparison ("revisiting the data usually beats redeploying").
_RATHER = re.compile(r"\b(?:rather than|instead of|in place of|better than|beats?|outperforms?)\b")
# A change, not a denial: "production data no longer looks like the training data" says the data moved
# (it stands on the change side of the change / same pair).
_CHANGE = re.compile(r"\b(?:no|not) (?:longer|any ?more)\b")
# "The same inputs now get a different answer": something changes while something else stays; the
# sentence takes neither side of the change / same pair.
_DIFFERENT = frozenset(["different", "differently", "differ", "differs", "another"])
_MODALS = frozenset(["can", "could", "will", "would", "should", "must", "may", "might"])
_SCOPE = 3  # a negation turns around this many content words after it ("not time-sensitive")


def negated(text: str) -> tuple[set[str], set[str]]:
    """(stems a negation turns around, stems said plainly): "predictions that are not time-sensitive"
    negates {time, sensit}, and so does "rather than time-sensitive"; a hyphenated "no-code" negates
    only {code}. A word the text also says
    plainly elsewhere is not counted as negated."""
    neg: set[str] = set()
    plain: set[str] = set()
    left = 0
    low = _RATHER.sub(" not ", _CHANGE.sub(" ", text.lower().replace("n't", " not")))
    for token in re.findall(r"[a-z']+(?:-[a-z']+)*|[.;:,!?]", low):
        # A negation does not reach past the end of its clause, nor past a modal that starts the next
        # verb ("data it does not own can be bought": "bought" is not negated).
        if not token[0].isalpha() or token in _MODALS:
            left = 0
            continue
        head, *rest = token.split("-")
        if head in _NEGATION and rest:  # "no-code", "non-time-sensitive": the compound is the scope
            neg |= {stem(w) for w in rest if w not in STOP}
            continue
        for w in [head, *rest]:
            if w in _NEGATION:
                left = _SCOPE
            elif w not in STOP and len(w) > 1:
                (neg if left else plain).add(stem(w))
                left = max(0, left - 1)
    return neg - plain, plain


def polarity(text: str) -> tuple[int, tuple[int, ...]]:
    """(negation parity, for each pole pair -1 / 0 / +1): the sides of each pair of opposite words."""
    raw = [w.replace("n't", "") for w in re.findall(r"[a-z']+", _CHANGE.sub(" changes ", text.lower()))]
    words = set(raw)
    neg = sum(1 for w in raw if w in _NEGATION)
    sides = []
    for low, high in _POLES:
        a, b = bool(words & low), bool(words & high)
        if "same" in high and words & _DIFFERENT:  # "same X ... different Y": neither side
            a = b = a or b
        sides.append(0 if a == b else (-1 if a else 1))
    return neg % 2, tuple(sides)


def opposed(claim: str, support: str) -> bool:
    """True when the claim turns the support around: a word one of them negates the other says plainly
    ("the lifecycle is linear" / "is not linear"), or they stand on the two poles of a pair."""
    n1, p1 = negated(claim)
    n2, p2 = negated(support)
    # Both negate the same word ("without an endpoint" / "no persistent endpoint"): one negation, said
    # twice; a conflict elsewhere is the negation's rough scope reaching a neighbouring word ("running").
    if ((n1 & p2) or (n2 & p1)) and not n1 & n2:
        return True
    _, s1 = polarity(claim)
    _, s2 = polarity(support)
    return any(a and b and a != b for a, b in zip(s1, s2))


def unbacked(claim: str, support: str) -> bool:
    """True when the claim takes the lesser side of a pair of opposite words ("less reproducible",
    "rarely") where the support takes neither: it plays the support down. (The other side is often
    plain emphasis: "automatically builds", "often a correct strategy".)"""
    lesser, greater = _POLES[0]  # the pair of degree words: "little" ... / "strong" ...
    said = set(re.findall(r"[a-z]+", support.lower()))
    return bool(set(re.findall(r"[a-z]+", claim.lower())) & lesser) and not said & (lesser | greater)
