"""The corpus's vocabulary, as `scope` compares questions with it: words, stems and stem phrases
(with one typo allowed), and whether a text uses a term."""

from __future__ import annotations

import functools

from assistant.services.text import STOP_WORDS, stem, tokens

# Joins the guide and the entries a question brings in (`scope._corpus_for`): a control character,
# which no question keeps (`scope.clean_question`), so each part's vocabulary is built once and reused.
PART = "\n\x1e\n"


class Vocabulary:
    """Word stems and stem phrases (up to 4 words, within a line) of the corpus text."""

    def __init__(self, text: str) -> None:
        self.words = set(tokens(text))
        self.stems = {stem(w) for w in self.words}
        self.phrases: set[tuple[str, ...]] = set()
        for line in text.splitlines():
            s = [stem(w) for w in tokens(line)]
            self.phrases.update(tuple(s[i : i + n]) for n in range(1, 5) for i in range(len(s) - n + 1))

    def has_phrase(self, phrase: str) -> bool:
        return tuple(stem(w) for w in tokens(phrase)) in self.phrases

    def uses(self, term: str) -> bool:
        """The term as a phrase, each word as written or in its plural or singular: a stem alone joins
        words apart ("transformers" and "transform" share one)."""
        return self.has_phrase(term) and all(_inflections(w) & self.words for w in tokens(term))

    def near(self, word: str) -> bool:
        """The word, a word with its stem, or one a typo away (one letter added, dropped, changed or
        two swapped; words of 5+ letters)."""
        root = stem(word)
        if word in self.words or root in self.stems:
            return True
        if len(word) < 5:
            return False
        return any(
            _one_edit(w, v)
            for w, known in ((word, self.words), (root, self.stems))
            for v in known
            if abs(len(v) - len(w)) <= 1
        )


def _inflections(word: str) -> set[str]:
    return {word, f"{word}s", f"{word}es", word.removesuffix("s"), word.removesuffix("es")}


def says(text: str, term: str) -> bool:
    """`text` uses `term` (see `Vocabulary.uses`)."""
    words = set(tokens(text))
    return mentions(text, term) and all(_inflections(w) & words for w in tokens(term))


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        return len(diff) == 1 or swapped
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def words_covered(question: str, guide_text: str) -> tuple[float, int]:
    """(share of the question's content words the corpus uses, allowing a typo; how many there are)."""
    vocab = vocabulary(guide_text)
    words = [w for w in tokens(question) if w not in STOP_WORDS and len(w) > 2]
    return (sum(vocab.near(w) for w in words) / len(words) if words else 0.0), len(words)


@functools.lru_cache(maxsize=512)
def _part_vocabulary(text: str) -> Vocabulary:
    return Vocabulary(text)


@functools.lru_cache(maxsize=256)
def vocabulary(text: str) -> Vocabulary:
    if PART not in text:
        return _part_vocabulary(text)
    parts = [_part_vocabulary(p) for p in text.split(PART)]
    merged = Vocabulary("")
    for v in parts:
        merged.words |= v.words
        merged.stems |= v.stems
        merged.phrases |= v.phrases
    return merged


@functools.lru_cache(maxsize=4096)
def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in tokens(text))


def mentions(question: str, term: str) -> bool:
    q, t = stems(question), stems(term)
    if not t or t[0] not in q:  # most terms are not there at all: skip the window scan
        return False
    return any(q[i : i + len(t)] == t for i in range(len(q) - len(t) + 1))
