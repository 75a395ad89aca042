"""The guide as lines (list items and sentences), each with its section and an embedding.

The guide states its facts one per line ("- AWS services: Amazon SageMaker Clarify, ..."), so a line is
the unit that answers "where does this service or concept belong?": the MCQ solver scores options by
the lines that mention them, option notes name the section an option belongs to, and the exam writer
draws keys and distractors from them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.services.text import content_words, sentence_spans
from assistant.types import Chunk

Encoder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Line:
    text: str
    section: str
    chunk_id: str
    source: str
    start: int
    end: int

    @property
    def leaf(self) -> str:
        return self.section.split(" > ")[-1] if self.section else self.source


class GuideLines:
    def __init__(self, chunks: Sequence[Chunk], encode: Encoder) -> None:
        self.lines: list[Line] = []
        seen: set[tuple[str, int]] = set()
        for c in sorted(chunks, key=lambda c: (c.source, c.start)):
            for span in sentence_spans(c.text, c.start):
                if (c.source, span.start) not in seen:  # overlapping chunks share sentences
                    seen.add((c.source, span.start))
                    self.lines.append(Line(span.text, c.section, c.id, c.source, span.start, span.end))
        self.words = [content_words(f"{ln.leaf} {ln.text}") for ln in self.lines]
        df = Counter(w for ws in self.words for w in ws)
        n = max(1, len(self.lines))
        self.idf = {w: math.log(1 + n / d) for w, d in df.items()}
        texts = [f"{ln.leaf}: {ln.text}" for ln in self.lines]
        self.vectors = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        self._encode = encode

    def similarity(self, query: str) -> np.ndarray:
        if not self.lines:
            return np.zeros(0, dtype=np.float32)
        return self._encode([query])[0] @ self.vectors.T

    def mentions(self, phrase: str, *, min_overlap: float = 0.75) -> list[tuple[int, float]]:
        """Lines that mention `phrase`: (index, idf-weighted share of its content words present)."""
        words = content_words(phrase)
        if not words:
            return []
        total = sum(self.idf.get(w, 1.0) for w in words)
        out = []
        for i, ws in enumerate(self.words):
            share = sum(self.idf.get(w, 1.0) for w in words & ws) / total
            if share >= min_overlap:
                out.append((i, share))
        return out
