"""What a typed question asks, as opposed to the situation it describes first.

Learners set the scene before they ask: "Our data team already runs Redshift and EMR. Where does S3 sit
in an ML pipeline?", "we pay a lot for EC2 already, so which SageMaker service deploys a model for
real-time predictions?". A term the corpus never uses (Redshift, EC2) counts against the question only
when it is in the part that asks; in the scene-setting part it is context, and the question is judged on
what it asks.

The asked part: the clauses that ask. Clauses are cut at sentence ends (. ! ? ;), dashes and line breaks,
and within a sentence at commas; a clause asks when it starts with a question or request word (after an
optional "so", "and", "but", "then", "ok"), and in a sentence that ends with "?", the clauses from the
first such clause to its end all ask ("Which instance types does it support, and what do they cost?";
"what should I do if the model is bad, retrain on bigger instances?"). A negative question ("..., but isn't
the answer retraining?") asks too. A sentence ending with "?" in
which no clause starts with a question word asks as a whole. A question without any asking clause
("feature store pricing model drift") is all asked: there is nothing to call context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Sentence ends, dashes between words, line breaks: a piece of the question.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s+[\u2014\u2013]+\s+|\s+-{1,2}\s+|\s*\n+\s*")
_LEAD = r"(?:(?:so|and|but|then|ok(?:ay)?|k|also|now|basically|anyway|ugh|hmm+|pls|please)\b[\s,]*)*"
# Question and request words that open an asking clause (informal spellings included).
_ASKS = re.compile(
    _LEAD
    + r"(?:(?:is|are|was|were|do|does|did|ca|could|should|would|wo)n['\u2019]t|what|what's|whats|wat|which|how|how's|why|when|where|where's|wheres|who|whom|whose|is|are|was|were|"
    r"do|does|did|can|could|should|shall|would|will|may|might|must|explain|describe|tell|help|compare|"
    r"define|list|name|give|show|walk|eli5|any|anything|difference|diff)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Focus:
    asked: str  # the clauses that ask, joined
    context: str  # the scene-setting clauses before them ("" when there are none)


def _asks(clause: str) -> bool:
    return bool(_ASKS.match(clause.strip(" \t\"'(*")))


def _sentence_focus(sentence: str) -> tuple[str, str]:
    """(the asking clauses, the context clauses) of one sentence, each joined with commas."""
    clauses = [c for c in re.split(r",\s*", sentence) if c.strip()]
    first = next((i for i, c in enumerate(clauses) if _asks(c)), None)
    if first is None:
        return (sentence, "") if sentence.rstrip().endswith("?") else ("", sentence)
    asked = clauses[first:] if sentence.rstrip().endswith("?") else [c for c in clauses[first:] if _asks(c)]
    return ", ".join(asked), ", ".join(c for c in clauses if c not in asked)


def focus(question: str) -> Focus:
    """The asked part and the context of a typed question (see the module docstring)."""
    asked: list[str] = []
    context: list[str] = []
    for sentence in (s for s in _SENTENCE.split(question.strip()) if s and s.strip()):
        a, c = _sentence_focus(sentence)
        asked += [a] if a else []
        context += [c] if c else []
    if not asked:
        return Focus(question, "")
    return Focus(" ".join(asked), " ".join(context))
