"""Fakes for unit tests: an LLM registered through the real interface (assistant.adapters.llm.base.LLM),
a bag-of-words encoder and a keyword retriever.

They are fakes: they replay scripted text or count words, and never stand in for a measurement of any
model or of retrieval.
"""

from __future__ import annotations

import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from assistant.adapters.llm.base import LLM
from assistant.services.text import content_words
from assistant.types import Chunk, Passage, Prompt


class FakeLLM(LLM):
    backend = "fake"

    def __init__(
        self,
        *,
        style: str = "base",
        model: str = "fake-model",
        context_window: int = 4096,
        scorer: Callable[[str, str], float] | None = None,
        responder: Callable[[str], str] | None = None,
        rendezvous: threading.Barrier | None = None,
    ) -> None:
        self.style = style  # type: ignore[assignment]
        self.model = model
        self.context_window = context_window
        self.replies: deque[str] = deque()
        self.json_replies: deque[str] = deque()
        self.prompts: list[Prompt] = []
        self.scorer = scorer
        self.responder = responder  # computes a reply from the prompt text when the queue is empty
        self.rendezvous = rendezvous  # streams wait here until as many streams as it has parties started

    def enqueue(self, *texts: str) -> FakeLLM:
        self.replies.extend(texts)
        return self

    def enqueue_json(self, *texts: str) -> FakeLLM:
        self.json_replies.extend(texts)
        return self

    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        text = self.replies.popleft() if self.replies else (self.responder(prompt.text()) if self.responder else "")
        for s in stop:
            if s and s in text:
                text = text[: text.index(s)]
        if self.rendezvous is not None:
            self.rendezvous.wait()
        for i in range(0, len(text), 7):  # arrive in pieces, like a real stream
            yield text[i : i + 7]

    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        self.prompts.append(prompt)
        if self.json_replies:
            return self.json_replies.popleft()
        return self.responder(prompt.text()) if self.responder else "{}"

    def score_options_normalized(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        return self.score_options(prompt, continuations)

    def score_options(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        if self.scorer is None:
            return None
        return [self.scorer(prompt, c) for c in continuations]

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)


class FakeEncoder:
    """A fake sentence encoder: unit vectors of hashed content-word counts, so texts sharing words are
    similar and texts sharing none are orthogonal. Not an embedding model."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)


class FakeRetriever:
    """A fake retriever over a few chunks: passages sharing a content word with the query, relevance = share."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = {c.id: c for c in chunks}

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        words = content_words(query)
        scored = [(len(words & content_words(c.text)) / max(1, len(words)), c) for c in self.chunks.values()]
        hits = sorted((s, c.id, c) for s, c in scored if s > 0)[::-1][: k or 4]
        return [Passage(chunk=c, score=s, relevance=s) for s, _, c in hits]

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.chunks.get(chunk_id)


def bag_of_words_encoder(dims: int = 64, strip: str = ".,:;") -> Callable[[Sequence[str]], np.ndarray]:
    """A named fake encoder: hashed bag of every word (stop words too, unlike FakeEncoder's content
    words), L2-normalised, deterministic, no model. crc32, not hash(): Python salts str hashes per
    process, which made results depend on PYTHONHASHSEED."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), dims), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, zlib.crc32(w.strip(strip).encode()) % dims] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    return encode
