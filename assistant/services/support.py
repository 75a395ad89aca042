"""Grounding checks for generated answers.

Every answer sentence is checked against the passage it cites (lexical overlap of content words and
embedding similarity to the passage's best sentence) and must not name an AWS service the passage does
not contain. An unsupported sentence is replaced by the passage sentence that best supports it, quoted,
or dropped. Sentences without a marker get one by alignment; markers that point at no retrieved
passage are re-aligned. So a reader never sees a fact presented as from the guide that is not in it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.services.text import Span, content_words, sentence_spans, sentences, service_mentions, split_markers
from assistant.types import Passage

__all__ = ["CheckedSentence", "Span", "SupportChecker", "content_words", "split_sentences", "unknown_services"]

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass
class CheckedSentence:
    text: str  # what the reader sees (without the marker)
    passage: int  # 1-based index into the passages shown
    quote: Span  # the passage sentence that supports it
    replaced: bool  # True when the model's sentence was swapped for the quote


def services_in(text: str) -> set[str]:
    return set(service_mentions(text))


def passage_sentences(p: Passage) -> list[Span]:
    """Lines and sentences of a passage, with offsets into its document."""
    return sentence_spans(p.chunk.text, p.chunk.start)


def split_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, cited passage numbers) for each sentence of an answer."""
    pieces = (split_markers(s) for s in sentences(answer))
    return [(text, marks) for text, marks in pieces if len(text) > 1]


def lexical_support(sentence: str, passage_text: str) -> float:
    words = content_words(sentence)
    if not words:
        return 1.0
    return len(words & content_words(passage_text)) / len(words)


_IDENTIFIER = re.compile(r"\b(?=[\w-]*\d)[\w-]{3,}\b|\b[A-Z]{2,}[-_][\w-]+\b")


def foreign_identifiers(sentence: str, passage_text: str) -> set[str]:
    """Code-like tokens (with digits, or CAPS-with-dashes) that the passage does not contain: a
    sentence otherwise true to its passage must not carry them (a leaked secret, an injected code)."""
    return {t for t in _IDENTIFIER.findall(sentence) if t not in passage_text}


def unknown_services(sentence: str, passage_text: str) -> set[str]:
    """Service names in the sentence that the passage does not contain."""
    flat = re.sub(r"\s+", " ", passage_text).lower()
    return {
        s
        for s in services_in(sentence)
        if s.lower() not in flat and s.lower().removeprefix("amazon ").removeprefix("aws ") not in flat
    }


class SupportChecker:
    """Checks and repairs answer sentences against the retrieved passages."""

    def __init__(
        self, encode: Encoder, *, min_lexical: float = 0.6, min_semantic: float = 0.62, min_replace: float = 0.45
    ) -> None:
        self.encode = encode
        self._span_vectors: dict[str, np.ndarray] = {}  # passage sentences recur in every check
        self._lock = threading.Lock()
        self.min_lexical = min_lexical
        self.min_semantic = min_semantic
        self.min_replace = min_replace

    def check(self, answer: str, passages: Sequence[Passage]) -> list[CheckedSentence]:
        sentences = split_sentences(answer)
        if not sentences or not passages:
            return []
        spans = [(i, s) for i, p in enumerate(passages, start=1) for s in passage_sentences(p)]
        if not spans:
            return []
        sims = self.encode([t for t, _ in sentences]) @ self._spans_encoded([s.text for _, s in spans]).T
        out: list[CheckedSentence] = []
        for row, (text, marks) in enumerate(sentences):
            checked = self._one(text, marks, sims[row], spans, passages)
            if checked and not any(c.quote == checked.quote and c.replaced and checked.replaced for c in out):
                out.append(checked)
        return out

    def _spans_encoded(self, texts: list[str]) -> np.ndarray:
        """Embeddings of passage sentences, cached: a streamed answer checks each of its sentences
        against the same passages (this was most of the pipeline's overhead over raw generation)."""
        with self._lock:  # the web UI checks answers from several threads
            missing = list(dict.fromkeys(t for t in texts if t not in self._span_vectors))
            if missing:
                if len(self._span_vectors) > 20_000:
                    self._span_vectors.clear()
                self._span_vectors.update(zip(missing, self.encode(missing)))
            return np.stack([self._span_vectors[t] for t in texts])

    def _one(
        self, text: str, marks: list[int], sims: np.ndarray, spans: list[tuple[int, Span]], passages: Sequence[Passage]
    ) -> CheckedSentence | None:
        valid = [m for m in marks if 1 <= m <= len(passages)]
        # Best supporting sentence within the cited passages, else anywhere in what was retrieved.
        candidates = [j for j, (i, _) in enumerate(spans) if i in valid] or list(range(len(spans)))
        best = max(candidates, key=lambda j: sims[j])
        n, span = spans[best]
        cited_text = passages[n - 1].chunk.text
        lexical = lexical_support(text, cited_text)
        ok = (
            not unknown_services(text, cited_text)
            and not foreign_identifiers(text, cited_text)
            and (lexical >= self.min_lexical or (sims[best] >= self.min_semantic and lexical >= 0.3))
        )
        if ok:
            return CheckedSentence(text=text, passage=n, quote=span, replaced=False)
        overall = int(np.argmax(sims))
        if sims[overall] >= self.min_replace:
            n, span = spans[overall]
            return CheckedSentence(text=f"\u201c{span.text}\u201d", passage=n, quote=span, replaced=True)
        return None

    def extractive(self, question: str, passages: Sequence[Passage], *, limit: int = 2) -> list[CheckedSentence]:
        """A fallback answer made only of quoted passage sentences most similar to the question."""
        spans = [(i, s) for i, p in enumerate(passages, start=1) for s in passage_sentences(p)]
        if not spans:
            return []
        sims = (self.encode([question]) @ self._spans_encoded([s.text for _, s in spans]).T)[0]
        qwords = content_words(question)
        scores = [
            sims[j] + 0.3 * (len(qwords & content_words(s.text)) / max(1, len(qwords)))
            for j, (_, s) in enumerate(spans)
        ]
        order = sorted(range(len(spans)), key=lambda j: -scores[j])[:limit]
        return [
            CheckedSentence(
                text=f"\u201c{spans[j][1].text}\u201d", passage=spans[j][0], quote=spans[j][1], replaced=True
            )
            for j in order
        ]
