"""Retrieval's third list: knowledge statements vote for guide sections (assistant/knowledge/expand.py),
and the retriever fuses the voted sections with its dense and BM25 rankings and spreads the top over
sections. Offline: a small guide and glossary written for these tests, a hashed bag-of-words encoder
(tests.fakes.FakeEncoder, not an embedding model) and an in-memory store standing in for Chroma."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.knowledge.expand import SectionVotes
from assistant.knowledge.service import KnowledgeBase
from assistant.services.corpus import Document, front_matter
from assistant.services.lexical import LexicalIndex
from assistant.services.retrieve import Retriever, keep_nearest, section_key
from assistant.types import Chunk
from tests.fakes import FakeEncoder

GUIDE = """# Orchard Handbook

## The Seasons

### 1. Planting Trees

- Dig holes and set saplings in rows
- Tools: spade, wheelbarrow

### 2. Pruning Branches

- Cut dead wood in late winter
- Tools: loppers, saw

## Harvest Day

- Pickers fill crates and the crates go to the barn
"""

GLOSSARY = """---
kind: glossary
title: Test glossary
---
# Test glossary

## Loppers
- Kind: tool
- What it is: Long-handled shears.
- Use when: thick twigs must come off an apple tree
- Not for: moving soil around the yard
- Lifecycle: 2. Pruning Branches

## Wheelbarrow
- Kind: tool
- What it is: A one-wheeled cart.
- Use when: soil must be moved around the yard
- Lifecycle: 1. Planting Trees
"""

ENCODE = FakeEncoder(dim=256)


def _knowledge() -> KnowledgeBase:
    meta, body = front_matter(GLOSSARY)
    docs = [
        Document("handbook.md", "Orchard Handbook", GUIDE),
        Document("glossary.md", "Test glossary", GLOSSARY, kind=meta["kind"], body_start=body),
    ]
    return KnowledgeBase.build(docs, ENCODE)


def _vector(text: str) -> np.ndarray:
    return ENCODE([text])[0]


def test_a_glossary_cue_votes_for_the_guide_section_its_entry_names() -> None:
    votes = SectionVotes(_knowledge(), top=3)
    # The question shares words with the Loppers cue only, none with the pruning section's own lines.
    ranked = votes.rank(_vector("thick twigs must come off an apple tree"))
    assert ranked[0][0] == ("handbook.md", "2. Pruning Branches")
    assert ranked[0][1] > 0


def test_a_guide_line_votes_for_the_section_it_stands_in() -> None:
    ranked = SectionVotes(_knowledge(), top=3).rank(_vector("pickers fill crates"))
    assert ranked[0][0] == ("handbook.md", "Harvest Day")


def test_a_not_for_line_casts_no_vote() -> None:
    # "moving soil around the yard" is Loppers' Not-for line and Wheelbarrow's Use-when cue: only the
    # cue counts, so the planting section is voted and the pruning section is not.
    sections = [key for key, _ in SectionVotes(_knowledge(), top=5).rank(_vector("moving soil around the yard"))]
    assert ("handbook.md", "1. Planting Trees") in sections
    assert ("handbook.md", "2. Pruning Branches") not in sections


def test_no_votes_without_statements_or_when_turned_off() -> None:
    kb = _knowledge()
    assert SectionVotes(kb, top=0).rank(_vector("thick twigs")) == []
    assert SectionVotes(kb, top=3).rank(np.zeros(ENCODE.dim, dtype=np.float32)) == []


# -- the retriever's fusion ---------------------------------------------------------------------------
class InMemoryStore:
    """Stands in for the Chroma store: exact cosine over the chunks' embed_text vectors."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks
        self.vectors = {c.id: _vector(c.embed_text) for c in chunks}

    def check_model(self, model: str, dim: int | None = None) -> None:
        pass

    def all_chunks(self) -> list[Chunk]:
        return list(self.chunks)

    def query(self, embedding: np.ndarray, n: int) -> list[tuple[str, float]]:
        scored = sorted(((float(v @ embedding), cid) for cid, v in self.vectors.items()), reverse=True)
        return [(cid, s) for s, cid in scored[:n]]

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        return {i: self.vectors[i] for i in ids}


class HashedEmbedder:
    name = "hashed-bag-of-words"

    def encode(self, texts: list[str]) -> np.ndarray:
        return ENCODE(texts)


def _chunk(cid: str, section: str, text: str, source: str = "handbook.md") -> Chunk:
    return Chunk(cid, source, section, text, 0, len(text))


CHUNKS = [
    _chunk("a1", "The Seasons > 1. Planting Trees", "Dig holes and set saplings in rows."),
    _chunk("a2", "The Seasons > 1. Planting Trees", "Water the saplings after you dig the holes."),
    _chunk("b1", "The Seasons > 2. Pruning Branches", "Cut dead wood in late winter."),
    _chunk("c1", "Harvest Day", "Pickers fill crates and the crates go to the barn."),
]


def _retriever(tmp_path: Path, **kw) -> Retriever:
    return Retriever(InMemoryStore(CHUNKS), HashedEmbedder(), LexicalIndex(tmp_path / "bm25"), k=3, **kw)  # type: ignore[arg-type]


def test_a_voted_section_rises_in_the_fused_ranking(tmp_path: Path) -> None:
    query = "which season is about shears for an apple tree"  # no word of any chunk
    plain = _retriever(tmp_path).search(query, k=4)
    voted = _retriever(tmp_path, section_votes=lambda _: [(("handbook.md", "2. Pruning Branches"), 1.0)]).search(
        query, k=4
    )
    assert voted[0].chunk.id == "b1"
    assert voted[0].score > next(p.score for p in plain if p.chunk.id == "b1")


def test_a_vote_for_a_section_the_index_lacks_changes_nothing(tmp_path: Path) -> None:
    query = "dig holes for saplings"
    plain = [p.chunk.id for p in _retriever(tmp_path).search(query, k=4)]
    stray = _retriever(tmp_path, section_votes=lambda _: [(("other.md", "Nowhere"), 1.0)])
    assert [p.chunk.id for p in stray.search(query, k=4)] == plain


def test_same_section_factor_spreads_the_top_over_sections(tmp_path: Path) -> None:
    query = "dig holes saplings water barn"
    together = [section_key(p.chunk) for p in _retriever(tmp_path).search(query, k=2)]
    assert together[0] == together[1]  # both planting chunks lead without the factor
    spread = [section_key(p.chunk) for p in _retriever(tmp_path, same_section=0.5).search(query, k=2)]
    assert spread[0] != spread[1]


def test_a_question_of_several_sentences_votes_once_with_the_whole_question(tmp_path: Path) -> None:
    # A second vote list from the leading sentences alone did nothing on evals/dev (recall@1 and MRR
    # equal or lower with it) and cost one more embedding per search: the whole question votes, once.
    seen: list[np.ndarray] = []

    def votes(vector: np.ndarray) -> list:
        seen.append(vector)
        return []

    _retriever(tmp_path, section_votes=votes).search("Pickers fill crates at dawn. Which season is this?")
    assert len(seen) == 1
    assert np.allclose(seen[0], _vector("Pickers fill crates at dawn. Which season is this?"))


def test_the_nearest_passage_stays_among_the_k_returned(tmp_path: Path) -> None:
    passages = _retriever(tmp_path).search("dig holes saplings water barn", k=4)
    nearest = passages[2].chunk.id
    kept = keep_nearest(passages, nearest, 2)
    assert [p.chunk.id for p in kept] == [passages[0].chunk.id, nearest]
    assert keep_nearest(passages, passages[1].chunk.id, 2) == passages[:2]  # already there: unchanged
    assert keep_nearest(passages, None, 3) == passages[:3]


def test_voted_sections_do_not_push_the_nearest_chunk_out(tmp_path: Path) -> None:
    # Two vote lists (the knowledge layer and a relay), both for the planting and pruning sections.
    query = "Pickers fill crates. Where do pickers go?"  # nearest by meaning: the harvest chunk
    votes = [(("handbook.md", "1. Planting Trees"), 2.0), (("handbook.md", "2. Pruning Branches"), 1.0)]
    fused = _retriever(tmp_path, section_votes=lambda _: votes)
    ranked = fused._fuse(  # the fused order alone: the harvest chunk falls below the voted ones
        ENCODE([query])[0],
        fused.store.query(ENCODE([query])[0], 4),
        [],
        fused._load(),
        [{"a1": 1, "a2": 1, "b1": 2}] * 2,
    )
    assert ranked[0].chunk.id != "c1" and ranked[1].chunk.id != "c1"
    assert "c1" in [p.chunk.id for p in fused.search(query, k=2)]


# -- supplement passages relay to the guide sections they name --------------------------------------------
RELAY_CHUNKS = [
    *CHUNKS,
    _chunk("g1", "Loppers", "Loppers: long-handled shears for thick twigs on an apple tree.", "glossary.md"),
    _chunk("g2", "Loppers", "Lifecycle: 2. Pruning Branches", "glossary.md"),
    _chunk("g3", "Wheelbarrow", "Wheelbarrow: a one-wheeled cart. Lifecycle: 1. Planting Trees", "glossary.md"),
]


def _relay_retriever(tmp_path: Path, **kw) -> Retriever:
    return Retriever(
        InMemoryStore(RELAY_CHUNKS),
        HashedEmbedder(),
        LexicalIndex(tmp_path / "bm25"),
        k=3,
        source_weight=lambda source: 1.0 if source == "handbook.md" else 0.3,
        **kw,
    )  # type: ignore[arg-type]


def test_a_supplement_chunk_names_the_guide_sections_of_its_whole_entry(tmp_path: Path) -> None:
    r = _relay_retriever(tmp_path)
    r._load()
    # g1 does not name the heading itself; g2, a chunk of the same entry, does.
    assert r._named["g1"] == r._named["g2"] == (("handbook.md", "2. Pruning Branches"),)
    assert r._named["g3"] == (("handbook.md", "1. Planting Trees"),)
    assert "b1" not in r._named  # guide chunks relay nothing


def test_a_top_glossary_passage_lifts_the_guide_section_it_names(tmp_path: Path) -> None:
    query = "long-handled shears for thick twigs"  # words of the Loppers entry, none of the pruning chunk
    off = {p.chunk.id: p for p in _relay_retriever(tmp_path, relay_depth=0).search(query, k=7)}
    on = _relay_retriever(tmp_path).search(query, k=7)
    guide = [p for p in on if p.chunk.source == "handbook.md"]
    assert guide[0].chunk.id == "b1"
    assert guide[0].score > off["b1"].score
    assert {p.chunk.id: p.score for p in on}["a1"] == off["a1"].score  # a section no top passage names


def test_no_relay_without_a_way_to_tell_supplements_from_the_guide(tmp_path: Path) -> None:
    r = Retriever(InMemoryStore(RELAY_CHUNKS), HashedEmbedder(), LexicalIndex(tmp_path / "bm25"), k=3)  # type: ignore[arg-type]
    r._load()
    assert r._named == {}
    assert r._relayed([("g1", 1.0)]) == {}
