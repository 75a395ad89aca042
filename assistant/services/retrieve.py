"""Hybrid retrieval: dense (Chroma, cosine) and lexical (BM25) candidates fused by reciprocal rank.

Each passage also carries its cosine relevance to the query: the answer service compares the best one
with `retrieval.min_relevance` to decide that the guide does not cover a question.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.adapters.embeddings import Embedder
from assistant.adapters.store import ChunkStore
from assistant.errors import InputError
from assistant.services.lexical import LexicalIndex
from assistant.types import Chunk, Passage

MAX_QUERY_CHARS = 4000


@dataclass
class Retriever:
    store: ChunkStore
    embedder: Embedder
    lexical: LexicalIndex
    k: int = 4
    candidates: int = 20
    rrf_k: int = 60
    # A chunk's weight in the fused ranking by its source (the team glossary below the guide): a
    # supplement should not push the study guide's own passages out of the top k.
    source_weight: Callable[[str], float] | None = None
    _chunks: dict[str, Chunk] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh(self) -> None:
        """Forget cached chunks (after an ingest)."""
        with self._lock:
            self._chunks = {}
        self.lexical.reset()

    def _load(self) -> dict[str, Chunk]:
        with self._lock:
            if self._chunks:
                return self._chunks
        self.store.check_model(self.embedder.name)
        chunks = self.store.all_chunks()
        self.lexical.ensure(len(chunks), lambda: chunks)
        with self._lock:
            self._chunks = {c.id: c for c in chunks}
            return self._chunks

    def chunk(self, cid: str) -> Chunk | None:
        return self._load().get(cid)

    def chunk_at(self, source: str, start: int, end: int) -> Chunk | None:
        """The chunk that holds the text at [start, end) of a source document (a statement of the
        knowledge layer), for citing it; the one with the most of it when chunks overlap."""
        best, most = None, 0
        for c in self._load().values():
            if c.source == source:
                shared = min(end, c.end) - max(start, c.start)
                if shared > most:
                    best, most = c, shared
        return best

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        query = query.strip()
        if not query:
            raise InputError("The question is empty.")
        if len(query) > MAX_QUERY_CHARS:
            query = query[:MAX_QUERY_CHARS]
        chunks = self._load()
        if not chunks:
            return []
        k = k or self.k
        qvec = self.embedder.encode([query])[0]
        # More candidates when some sources are weighted down, so the guide's are among them.
        n = min(self.candidates * (3 if self.source_weight else 1), len(chunks))
        dense = self.store.query(qvec, n)
        lexical = self.lexical.search(query, n)
        return self._fuse(qvec, dense, lexical, chunks)[:k]

    def _fuse(
        self,
        qvec: np.ndarray,
        dense: list[tuple[str, float]],
        lexical: list[tuple[str, float]],
        chunks: dict[str, Chunk],
    ) -> list[Passage]:
        scores: dict[str, float] = {}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(lexical, start=1)}
        for ranks in (dense_rank, bm25_rank):
            for cid, r in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (self.rrf_k + r)
        if self.source_weight is not None:
            scores = {cid: s * self.source_weight(chunks[cid].source) for cid, s in scores.items() if cid in chunks}
        relevance = dict(dense)
        missing = [cid for cid in scores if cid not in relevance]
        for cid, vec in self.store.embeddings(missing).items():
            relevance[cid] = float(np.dot(qvec, vec))
        passages = [
            Passage(
                chunk=chunks[cid],
                score=s,
                relevance=relevance.get(cid, 0.0),
                dense_rank=dense_rank.get(cid),
                bm25_rank=bm25_rank.get(cid),
            )
            for cid, s in scores.items()
            if cid in chunks
        ]
        passages.sort(key=lambda p: (-p.score, -p.relevance, p.chunk.id))
        return passages

    def similarity(self, texts_a: list[str], texts_b: list[str]) -> np.ndarray:
        """Cosine similarities between two lists of texts (for citation support checks)."""
        a = self.embedder.encode(texts_a)
        b = self.embedder.encode(texts_b)
        return a @ b.T
