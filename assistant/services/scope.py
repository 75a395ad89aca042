"""Deciding whether a question is one the guide can answer, before any generation.

Three signals: the retrieval relevance of the best passage; AWS services named in the question that
the guide never mentions (a question about Amazon Bedrock pricing is out of scope even if it shares
words with the guide); and text that reads as instructions to the assistant (prompt injection).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from assistant.errors import InputError
from assistant.services.text import service_mentions, tokens

_INJECTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier)|disregard (?:the|all|any|your|previous)|"
    r"system prompt|you are now|\bDAN\b|jailbreak|developer mode|system override|new instructions|"
    r"reveal (?:your|the) (?:instructions|prompt)|print (?:your|the) (?:instructions|prompt)|"
    r"!\[[^\]]*\]\(|</?(?:context|system|instructions?)>|reply only with|repeat after me",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
# Acronyms alone are weak evidence ("REST APIs" is a fine in-scope question): they only count when
# the question is also far from every passage.
ACRONYM_RELEVANCE = 0.45


@dataclass(frozen=True)
class Scope:
    covered: bool
    reason: str  # "" when covered; else a sentence for the reader
    relevance: float


def clean_question(text: str, *, max_chars: int) -> str:
    """Strip control characters and check size. Raises InputError for empty or oversized input."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        raise InputError("The question is empty. Type a question about the guide.")
    if len(text) > max_chars:
        msg = f"The question is {len(text):,} characters; the limit is {max_chars:,} (ASSISTANT_UI__MAX_INPUT_CHARS). Shorten it."
        raise InputError(msg)
    return text


def looks_like_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


def foreign_terms(question: str, guide_text: str, *, relevance: float = 0.0) -> list[str]:
    """AWS product names (Amazon Bedrock, AWS Shield) whose product words the guide never uses, and,
    when the question is only loosely related to the guide, acronyms it never uses (EC2, IAM)."""
    vocab = set(tokens(guide_text))
    out = []
    for name in dict.fromkeys(service_mentions(question)):
        words = tokens(name)[1:]  # drop the Amazon/AWS prefix
        if words and any(w not in vocab for w in words):
            out.append(name)
    if relevance < ACRONYM_RELEVANCE:
        out += [a for a in _ACRONYM.findall(question) if a.lower() not in vocab and a not in {"TWO", "THREE"}]
    return out


def decide(question: str, relevance: float, *, threshold: float, guide_text: str, acronyms: bool = True) -> Scope:
    """`acronyms=False` for exam scenarios, whose stems name file formats and devices (JSON, GPS)
    freely: only AWS product names the corpus never uses count as foreign there."""
    if looks_like_injection(question):
        return Scope(False, "This reads as instructions to the assistant, not a question about the guide.", relevance)
    foreign = foreign_terms(question, guide_text, relevance=relevance if acronyms else 1.0)
    if foreign:
        return Scope(False, f"The guide does not mention {', '.join(dict.fromkeys(foreign))}.", relevance)
    if relevance < threshold:
        return Scope(False, "No passage of the guide is close enough to this question.", relevance)
    return Scope(True, "", relevance)
