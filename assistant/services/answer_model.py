"""What an answer is: its text, citations (guide or team glossary), refusal and MCQ result, and the
events the answer stream yields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.services.mcq import MCQResult
from assistant.types import Passage


@dataclass
class Citation:
    n: int
    id: str
    section: str
    source: str
    quote: str
    start: int  # the quote's offsets in the source document, for highlighting
    end: int
    origin: str = "guide"  # "guide", or "glossary" for the team's glossary (not the study guide)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "id": self.id,
            "section": self.section,
            "source": self.source,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "origin": self.origin,
        }


@dataclass
class Answer:
    question: str
    query: str
    text: str
    citations: list[Citation]
    refused: bool
    passages: list[Passage]
    backend: str
    model: str
    reason: str = ""
    general: str | None = None  # labelled general-knowledge answer, only when the user allows it
    mcq: MCQResult | None = None
    replaced: int = 0  # sentences swapped for quotes or dropped by the support check
    prompt_cut: str | None = None  # the server cut the prompt (Ollama reads fewer tokens than sent)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "backend": self.backend,
            "model": self.model,
            "query": self.query,
            "passages": [p.to_json() for p in self.passages],
        }
        if self.reason:
            data["reason"] = self.reason
        if self.general is not None:
            data["general_knowledge"] = self.general
        if self.prompt_cut:
            data["prompt_cut"] = self.prompt_cut
        if self.mcq is not None:
            data["choice"] = self.mcq.choice
            data["option_notes"] = self.mcq.option_notes
            data["method"] = self.mcq.method
        return data


@dataclass
class Event:
    kind: str  # "status" | "delta" | "done"
    text: str = ""
    answer: Answer | None = None
