"""Hybrid retrieval: dense (Chroma, cosine) and lexical (BM25) candidates fused by reciprocal rank, with
a third ranked list when the knowledge layer is wired in: the guide sections its statements nearest the
query vote for (assistant/knowledge/expand.py), which reaches a section through a glossary cue when
the question shares no word with the section itself.

Each passage also carries its cosine relevance to the query: the answer service compares the best one
with `retrieval.min_relevance` to decide that the guide does not cover a question.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant.adapters.embeddings import Embedder
from assistant.adapters.store import ChunkStore
from assistant.errors import InputError
from assistant.services.lexical import LexicalIndex
from assistant.types import Chunk, Passage

MAX_QUERY_CHARS = 4000

SectionKey = tuple[str, str]  # (source, leaf heading)
# Guide sections for a query vector, best first: a ranked list fused like the dense and BM25 ones.
SectionVoter = Callable[[np.ndarray], list[tuple[SectionKey, float]]]


def section_key(chunk: Chunk) -> SectionKey:
    return chunk.source, chunk.section.split(" > ")[-1]


def keep_nearest(ranked: list[Passage], nearest: str | None, k: int) -> list[Passage]:
    """The first k passages, the one nearest the query by meaning among them (in the last place when
    fusion ranked it lower): whoever reads the best relevance of a search (the scope check) must see it,
    and it is often a supplement's passage that a voted guide section pushed down."""
    top = ranked[:k]
    if nearest is None or not top or any(p.chunk.id == nearest for p in top):
        return top
    found = next((p for p in ranked[k:] if p.chunk.id == nearest), None)
    return [*top[:-1], found] if found is not None else top


@dataclass
class Retriever:
    store: ChunkStore
    embedder: Embedder
    lexical: LexicalIndex
    k: int = 4
    candidates: int = 20
    # Small, so a first place in one list counts for much more than a fifth (1/6 against 1/10); see
    # retrieval.rrf_k in settings for the dev measurements.
    rrf_k: int = 5
    # A chunk's weight in the fused ranking by its source (the team glossary below the guide): a
    # supplement should not push the study guide's own passages out of the top k.
    source_weight: Callable[[str], float] | None = None
    # The sections the knowledge layer votes for (None: two lists only). Every chunk of the section at
    # rank r gets 1 / (rrf_k + r), as from the other two lists.
    section_votes: SectionVoter | None = None
    # Each further chunk of a section already ranked above is multiplied by this (1.0: no change), so
    # the top k spans more sections instead of repeating one.
    same_section: float = 1.0
    # The first `relay_depth` passages of the dense and of the BM25 list relay their rank to the guide
    # sections a supplement passage among them names (0: off; needs source_weight to tell supplements).
    # On evals/dev (570 questions with gold sections, rrf_k 5) depth 0 / 1 / 2 / 3 give recall@1 0.690 /
    # 0.758 / 0.766 / 0.766, recall@3 0.863 / 0.900 / 0.915 / 0.916; 5 or more helped less at rrf_k 60.
    relay_depth: int = 2
    _chunks: dict[str, Chunk] = field(default_factory=dict, repr=False)
    _sections: dict[SectionKey, list[str]] = field(default_factory=dict, repr=False)
    _named: dict[str, tuple[SectionKey, ...]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh(self) -> None:
        """Forget cached chunks (after an ingest)."""
        with self._lock:
            self._chunks, self._sections = {}, {}
        self.lexical.reset()

    def _load(self) -> dict[str, Chunk]:
        with self._lock:
            if self._chunks:
                return self._chunks
        self.store.check_model(self.embedder.name)
        chunks = self.store.all_chunks()
        self.lexical.ensure(len(chunks), lambda: chunks)
        sections: dict[SectionKey, list[str]] = {}
        for c in chunks:
            if c.section:
                sections.setdefault(section_key(c), []).append(c.id)
        named = self._named_sections(chunks, sections)
        with self._lock:
            self._chunks, self._sections, self._named = {c.id: c for c in chunks}, sections, named
            return self._chunks

    def _named_sections(
        self, chunks: list[Chunk], sections: dict[SectionKey, list[str]]
    ) -> dict[str, tuple[SectionKey, ...]]:
        """Each supplement chunk's guide sections: those whose heading its section's text names (every
        chunk of a glossary entry points where the entry does)."""
        if self.source_weight is None or self.relay_depth <= 0:
            return {}
        guide = {key for key in sections if self.source_weight(key[0]) >= 1.0}
        entries: dict[SectionKey, list[Chunk]] = {}
        for c in chunks:
            if c.section and self.source_weight(c.source) < 1.0:
                entries.setdefault(section_key(c), []).append(c)
        out: dict[str, tuple[SectionKey, ...]] = {}
        for members in entries.values():
            text = " ".join(c.text for c in members).lower()
            keys = tuple(sorted(key for key in guide if key[1].lower() in text))
            for c in members:
                out[c.id] = keys
        return out

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
        voted = [self._voted(qvec), self._relayed(dense), self._relayed(lexical)]
        ranked = self._fuse(qvec, dense, lexical, chunks, voted)
        return keep_nearest(ranked, dense[0][0] if dense else None, k)

    def _voted(self, qvec: np.ndarray) -> dict[str, int]:
        """Rank of each chunk in the knowledge layer's list: the rank of its section."""
        if self.section_votes is None:
            return {}
        with self._lock:
            sections = self._sections
        return _chunk_ranks([key for key, _ in self.section_votes(qvec)], sections)

    def _relayed(self, hits: list[tuple[str, float]]) -> dict[str, int]:
        """Rank of each guide chunk in the list its sections get from the supplement passages among the
        first relay_depth hits (one passage naming three sections gives each a third of its share)."""
        with self._lock:
            named, sections = self._named, self._sections
        scores: dict[SectionKey, float] = {}
        for r, (cid, _) in enumerate(hits[: self.relay_depth], start=1):
            keys = named.get(cid, ())
            for key in keys:
                scores[key] = scores.get(key, 0.0) + 1.0 / (self.rrf_k + r) / len(keys)
        return _chunk_ranks(sorted(scores, key=lambda k: (-scores[k], k)), sections)

    def _fuse(
        self,
        qvec: np.ndarray,
        dense: list[tuple[str, float]],
        lexical: list[tuple[str, float]],
        chunks: dict[str, Chunk],
        voted: Sequence[dict[str, int]] = (),
    ) -> list[Passage]:
        scores: dict[str, float] = {}
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        bm25_rank = {cid: r for r, (cid, _) in enumerate(lexical, start=1)}
        for ranks in (dense_rank, bm25_rank, *voted):
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
        return self._spread(passages) if self.same_section != 1.0 else passages

    def _spread(self, passages: list[Passage]) -> list[Passage]:
        """Scale the n-th chunk of a section (in fused order) by same_section ** n, and re-sort."""
        seen: dict[SectionKey, int] = {}
        out = []
        for p in passages:
            key = section_key(p.chunk)
            n = seen.get(key, 0)
            seen[key] = n + 1
            out.append(replace(p, score=p.score * self.same_section**n) if n else p)
        out.sort(key=lambda p: (-p.score, -p.relevance, p.chunk.id))
        return out

    def similarity(self, texts_a: list[str], texts_b: list[str]) -> np.ndarray:
        """Cosine similarities between two lists of texts (for citation support checks)."""
        a = self.embedder.encode(texts_a)
        b = self.embedder.encode(texts_b)
        return a @ b.T


def _chunk_ranks(ranked: Sequence[SectionKey], sections: Mapping[SectionKey, list[str]]) -> dict[str, int]:
    """A ranked list of sections as a ranked list of chunks: each chunk gets its section's rank."""
    out: dict[str, int] = {}
    for r, key in enumerate(ranked, start=1):
        for cid in sections.get(key, ()):
            out.setdefault(cid, r)
    return out
