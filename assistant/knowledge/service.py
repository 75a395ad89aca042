"""The knowledge layer at run time: the store, its name linker and one embedding per statement.

Built from the corpus at ingest and cached under the data dir (JSON + .npy), keyed by the documents'
hashes and the embedding model, so a cold `ask` loads it instead of re-embedding.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.knowledge.build import build_knowledge, linker_for
from assistant.knowledge.link import Linker
from assistant.knowledge.model import QUOTABLE, SUPPORTING, Entity, Knowledge, Statement
from assistant.knowledge.words import content
from assistant.services.corpus import Document

Encoder = Callable[[Sequence[str]], np.ndarray]
FORMAT = 4  # bump when the store's shape or the embedded texts change


def embed_text(kb: Knowledge, s: Statement) -> str:
    """What a statement is embedded as: glossary lines with their entry's name; guide lines with their
    heading (a bare list item means little without it)."""
    if s.doc_kind == "glossary":
        names = [kb.entities[e].name for e in s.context if e in kb.entities]
        return f"{names[0]}: {s.text}" if names and s.role == "what" else s.text
    leaf = re.sub(r"^\d+[.)]\s*", "", s.leaf)
    return f"{leaf}: {s.text}" if leaf else s.text


class KnowledgeBase:
    def __init__(self, kb: Knowledge, linker: Linker, vectors: np.ndarray, encode: Encoder) -> None:
        self.kb = kb
        self.linker = linker
        self.vectors = vectors
        self.encode = encode
        self.words = [content(embed_text(kb, s)) for s in kb.statements]
        n = max(1, len(kb.statements))
        df: dict[str, int] = {}
        for ws in self.words:
            for w in ws:
                df[w] = df.get(w, 0) + 1
        self.idf = {w: float(np.log(1 + n / d)) for w, d in df.items()}
        self._profiles: dict[frozenset[str], set[str]] = {}

    # -- building and caching -------------------------------------------------------------------
    @classmethod
    def build(cls, docs: Sequence[Document], encode: Encoder) -> KnowledgeBase:
        kb, linker = build_knowledge(docs)
        texts = [embed_text(kb, s) for s in kb.statements]
        vectors = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        return cls(kb, linker, np.asarray(vectors, dtype=np.float32), encode)

    @classmethod
    def load_or_build(cls, docs: Sequence[Document], encode: Encoder, cache_dir: Path, model: str) -> KnowledgeBase:
        key = _key(docs, model)
        meta, npy = cache_dir / "knowledge.json", cache_dir / "knowledge.npy"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            if data.get("key") == key:
                kb = Knowledge.from_json(data["knowledge"])
                vectors = np.load(npy)
                if len(vectors) == len(kb.statements):
                    return cls(kb, linker_for(kb), vectors, encode)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no cache, or an unreadable one: build it again
        built = cls.build(docs, encode)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            np.save(npy, built.vectors)
            meta.write_text(json.dumps({"key": key, "knowledge": built.kb.to_json()}), encoding="utf-8")
        except OSError:
            pass  # a read-only data dir still answers, it just rebuilds next time
        return built

    # -- lookups ----------------------------------------------------------------------------------
    def similarity(self, text: str) -> np.ndarray:
        if not len(self.vectors):
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.encode([text])[0] @ self.vectors.T, dtype=np.float32)

    def overlap(self, words: set[str], i: int) -> float:
        """idf-weighted share of `words` found in statement i."""
        total = sum(self.idf.get(w, 1.0) for w in words)
        return sum(self.idf.get(w, 1.0) for w in words & self.words[i]) / total if total else 0.0

    def statements_about(
        self, entity_ids: set[str], *, roles: frozenset[str] = SUPPORTING, whole_lines: bool = False
    ) -> list[int]:
        """Statements about any of the entities; a split line is represented by its clauses unless
        `whole_lines` (the claim check wants the whole relation)."""
        return [
            s.id
            for s in self.kb.statements
            if s.role in roles and s.about() & entity_ids and (whole_lines or not s.split)
        ]

    def profile(self, entity_ids: set[str]) -> set[str]:
        """Every content word the documents use about these entities (what an option may add to a
        name and still be about it: "Model Monitor with drift detection and alerts")."""
        key = frozenset(entity_ids)
        if key not in self._profiles:
            words: set[str] = set()
            for i in self.statements_about(set(entity_ids)):
                words |= self.words[i]
            self._profiles[key] = words
        return self._profiles[key]

    def quotable(self, i: int) -> Statement | None:
        """What to show a reader for statement i: a clause as its whole line (the list it stands in),
        a glossary "Lifecycle:" line as its entry's "what it is"; nothing for a heading-like line."""
        s = self.kb.statements[i]
        if s.role == "clause":
            for p in self.kb.statements:
                if p.split and p.source == s.source and p.start <= s.start and s.end <= p.end:
                    return p
        if s.role == "lifecycle":
            whats = [j for j in self.statements_about(set(s.context)) if self.kb.statements[j].role == "what"]
            return self.kb.statements[whats[0]] if whats else None
        if s.role not in QUOTABLE or s.text.rstrip().endswith(":"):
            return None
        return s

    def what_is(self, eid: str) -> Statement | None:
        for j in self.statements_about({eid}):
            s = self.kb.statements[j]
            if s.role == "what" and eid in s.context:
                return s
        return None

    def entity(self, eid: str) -> Entity:
        return self.kb.entities[eid]

    def doc_kind(self, source: str) -> str:
        return self.kb.doc_kinds.get(source, "guide")


def _key(docs: Sequence[Document], model: str) -> str:
    h = hashlib.sha256(f"{FORMAT}\n{model}".encode())
    for part in sorted(Path(__file__).parent.glob("*.py")):  # a change in how it is built rebuilds it
        h.update(part.read_bytes())
    for d in sorted(docs, key=lambda d: d.source):
        h.update(f"\n{d.source}\n{d.kind}\n".encode())
        h.update(d.text.encode())
    return h.hexdigest()[:24]
