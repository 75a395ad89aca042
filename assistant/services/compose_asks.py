"""Reading a question: what it asks for (a service, a phase, a kind of thing, what comes next, ...),
the things it asks one by one, and the separate needs of a situation it asks about "each" of.

Plain English only: no word of any study guide.
"""

from __future__ import annotations

import re

from assistant.services.text import sentences

# Plain-English cues of what a question asks for (no guide's words).
_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "order",
        re.compile(
            r"\b(next|comes? after|after (?:the|a|an|its|their|our|your)\b|follows?|before|precedes?|first step|"
            r"last step|final step|what (?:step|phase) comes)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "service",
        re.compile(
            r"\b(which|what)\s+(?:\w+\s+){0,2}(?:service|tool|product|feature)s?\b|"
            r"\bservices? (?:should|would|could|can|helps?|does)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "phase",
        re.compile(r"\b(which|what) (?:lifecycle |ml )?(?:phase|stage)\b|\bin which (?:phase|stage)\b", re.IGNORECASE),
    ),
    (
        # A named kind of thing that is neither a service nor a phase: "which serving style", "what kind of
        # drift", "which metric", "what practice", "what should the bank put in place" ("set up" asks for a
        # service as often: "what should we set up to catch drift?").
        "concept",
        re.compile(
            r"\b(?:which|what)\s+(?:\w+[\s-]+){0,2}?(?:kind|type|sort|style|strategy|approach|practice|"
            r"metric|method|technique|mode|pattern|principle)s?\b|"
            r"\bwhat (?:should|would|must|can) (?:\w+\s+){1,3}?(?:put in place|adopt|introduce)\b|"
            # One of the things named before: "Into which three sets ..., and which of them is held out?"
            r"\b(?:which|what) (?:one )?of (?:them|these|those)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "definition",
        re.compile(
            r"^\s*(what is|what are|what'?s|define|what does .+ mean|meaning of|explain)\b|"
            # What a named thing is for: its definition says so ("Why would a team use a feature store?").
            r"^\s*why (?:would|should|do|does|did|might) (?:\w+\s+){0,3}?(?:use|need|want|bother with)\b|"
            r"\bwhat(?:'s| is) the (?:point|purpose) of\b",
            re.IGNORECASE,
        ),
    ),
)
# A question that asks for a whole ordered list ("List the phases in order", "What are the steps of ...").
_LIST = re.compile(
    r"\b(?:list|name|enumerate)\b.*\b(?:phases|steps|stages)\b|\b(?:phases|steps|stages)\b.*\bin order\b|"
    r"^\s*what are the (?:\w+\s+){0,3}(?:phases|steps|stages)\b",
    re.IGNORECASE,
)
# Where one question asks a second thing: "..., and what should the team do once it is confirmed?"
_SECOND_ASK = re.compile(
    r"(?:,\s*|;\s*|\s+)(?:and|but|plus)\s+(?=(?:which|what|where|when|how|why|who|"
    r"(?:in|at|on|into|from|by) (?:which|what))\b)",
    re.IGNORECASE,
)
# A part that asks the same thing of every need its situation describes: "Which serving style suits each need?"
_EACH = re.compile(r"\b(?:each|both|respectively|either case)\b", re.IGNORECASE)
# Where a one-sentence situation joins two needs: "..., plus a weekly score ...", "...; a sales model ...".
_JOINS = (re.compile(r"\s*;\s*"), re.compile(r",\s+(?:plus|while|whereas|and also|and)\s+", re.IGNORECASE))
# What an order question's step is anchored on: "before collecting any data ..." -> "collecting any data ...".
_ANCHOR = re.compile(
    r"\b(?:after|before|follows?|precedes?|prior to)\s+(?:the\s+|a\s+|an\s+)?(?P<what>[^,;?.]+)", re.IGNORECASE
)

# The noun a question asks for ("which three sets", "what two things"), skipping a count; asking verbs are no noun.
_ASKED_NOUN = re.compile(
    r"\b(?:which|what)\s+(?:(?:one|two|three|four|five|\d+)\s+)?(?!(?:should|would|could|can|must|do|does|did|is|"
    r"are|was|were|will|happens?|comes?|follows?|to|of|the|a|an)\b)([a-z]+)\b",
    re.IGNORECASE,
)
_STEP_WORDS = frozenset(
    {"step", "steps", "phase", "phases", "stage", "stages", "thing", "things", "activity", "activities"}
)
# Where an anchor's step ends and the rest of the question begins: "collecting any data | for a fraud project".
_TAIL = re.compile(r"\s+(?:for|in|of|on|at|with|so|to|because|when|while|and|or)\s.*$", re.IGNORECASE)


def answer_type(question: str) -> str:
    found = answer_types(question)
    return found[0] if found else "other"


def answer_types(question: str) -> list[str]:
    """Every type a question asks for, in the order it asks ("Which service ..., and in which phase ...?"
    asks for a service, then a phase). A list question ("List the phases in order") is "list"."""
    if _LIST.search(question):
        return ["list"]
    hits = sorted((m.start(), name) for name, pattern in _TYPES if (m := pattern.search(question)))
    names = [name for _, name in hits]
    # "What is the first step ...?" opens like a definition but asks for a step: a definition only alone.
    return names if len(names) < 2 else [n for n in names if n != "definition"]


def ask_parts(question: str) -> tuple[str, list[str]]:
    """A question's situation (its sentences that ask nothing) and the things it asks, one part each:
    "A bank ... . Which service should it use, and in which phase ...?" asks two things."""
    said = sentences(question)
    asks = [s for s in said if s.rstrip().endswith("?")] or said[-1:]
    situation = " ".join(s for s in said if s not in asks)
    parts = [p.strip() for a in asks for p in _SECOND_ASK.split(a) if p.strip()]
    return situation, parts


def needs(situation: str, part: str) -> list[str]:
    """The separate needs a part asks about "each" of: "A startup needs X on the spot, plus Y every week.
    Which serving style suits each need?" -> ["A startup needs X on the spot", "Y every week"]. One need
    (the whole situation) when the part asks once or the situation cannot be cut in two."""
    if not situation or not _EACH.search(part):
        return [situation]
    for cut in (sentences, *(j.split for j in _JOINS)):
        pieces = [p.strip(" .") for p in cut(situation) if len(p.split()) >= 3]
        if len(pieces) >= 2:
            return pieces
    return [situation]


def anchor(question: str) -> str | None:
    """What an order question counts from, in its own words ("collecting any data"), or None when it
    counts from nothing or asks for a named thing that is no step ("Into which three sets ... before
    training?" asks for sets: "before training" says when, not which step)."""
    m = _ANCHOR.search(question)
    asked = _ASKED_NOUN.search(question)
    if m is None or (asked and asked.group(1).lower() not in _STEP_WORDS):
        return None
    return _TAIL.sub("", m.group("what")).strip() or None
