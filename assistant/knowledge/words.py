"""Tokens for matching names and statements: lower-cased word pieces, stemmed with PyStemmer."""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+")

# Function words that carry no content for overlap scores (names are matched on all tokens).
STOP = frozenset(
    ["a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "as", "at", "from", "into", "can", "could", "should", "would", "will", "may", "might", "must", "do", "does", "did", "not", "no", "so", "such", "than", "then", "there", "their", "they", "them", "you", "your", "we", "our", "what", "which", "who", "whom", "how", "why", "when", "where", "also", "often", "more", "most", "very", "about", "over", "has", "have", "had", "if", "each", "any", "all", "both", "some", "one", "two", "its", "which", "while", "after", "before", "during", "between"]
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokens(text: str) -> list[str]:
    """Stemmed tokens in order (for name matching)."""
    return [stem(t) for t in _TOKEN.findall(text.lower())]


def content(text: str) -> set[str]:
    """Stemmed content words (for overlap)."""
    return {stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOP and len(t) > 1}


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))
