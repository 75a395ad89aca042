"""Plain data passed between layers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A passage of a corpus document, with where it came from so a citation can show it."""

    id: str
    source: str  # path relative to the corpus dir, e.g. "ml-development-lifecycle-and-pipeline.md"
    section: str  # heading path, e.g. "What Is the ML Development Lifecycle? > 4. Model Training"
    text: str  # exactly source_text[start:end]
    start: int
    end: int
    title: str = ""  # the document's title (its first-level heading, or file name)

    @property
    def embed_text(self) -> str:
        """What is embedded and BM25-indexed: the heading path gives a short chunk its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "section": self.section,
            "start": self.start,
            "end": self.end,
            "title": self.title,
        }


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float  # fused rank score (reciprocal rank fusion), for ordering
    relevance: float  # cosine similarity of query and chunk in [0, 1]-ish, for "is this covered?"
    dense_rank: int | None = None
    bm25_rank: int | None = None

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "id": c.id,
            "source": c.source,
            "section": c.section,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
            "relevance": round(self.relevance, 4),
        }


@dataclass
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass
class Prompt:
    """A rendered prompt: chat messages for instruction-tuned models, or one raw completion text
    for small base models (completion-style few-shot). Exactly one of the two is set."""

    messages: list[Message] = field(default_factory=list)
    raw: str | None = None

    def text(self) -> str:
        """The whole prompt as text, for token budgeting and logs."""
        if self.raw is not None:
            return self.raw
        return "\n\n".join(m.content for m in self.messages)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
