"""The typed store of what the documents say: entities (services, concepts, phases) with aliases,
statements (one citable line or cue each, linked to the entities it is about), ordered sequences and
mappings. Plain data, saved as JSON beside the index."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Statement roles. Only SUPPORTING roles may support a sentence or a key; "not_for" and "contrast"
# describe what an entity is *not* (a contrast line names the neighbour it is confused with).
SUPPORTING = frozenset({"fact", "mapping", "definition", "what", "use", "list", "step", "lifecycle", "clause"})
# What may be shown as a quote: a glossary "Lifecycle:" line only names headings, it says nothing by itself.
QUOTABLE = SUPPORTING - {"lifecycle"}


@dataclass
class Entity:
    id: str
    name: str
    kind: str  # free text from the glossary ("AWS service", "lifecycle phase", ...) or "topic"/"service"
    aliases: list[str]
    origin: str  # "glossary" | "guide"
    fields: dict[str, list[str]] = field(default_factory=dict)  # glossary fields: what, use, not_for, ...
    sections: list[str] = field(default_factory=list)  # guide headings where the guide lists it
    heading: str = ""  # the guide heading this entity *is* (a phase heading), if any
    mentions: int = 0  # guide statements that name it (how often the corpus talks about it)


@dataclass
class Statement:
    id: int
    text: str
    source: str
    doc_kind: str  # "guide" | "glossary"
    section: str  # heading path
    start: int
    end: int
    role: str  # fact | mapping | definition | list | step | what | use | not_for | contrast | lifecycle
    entities: list[str] = field(default_factory=list)  # named in the text
    context: list[str] = field(default_factory=list)  # implied by where it stands (its heading, its entry)
    answer: list[str] = field(default_factory=list)  # for mappings: the entities on the answer side
    cue: str = ""  # for mappings: the situation side; for clauses: the label of their line
    split: bool = False  # a line about several entities whose clauses are statements of their own

    @property
    def leaf(self) -> str:
        return self.section.split(" > ")[-1] if self.section else ""

    def about(self) -> set[str]:
        return set(self.entities) | set(self.context)


@dataclass
class Sequence:
    """An ordered list the documents state: numbered headings under one parent, or a numbered list."""

    title: str  # the heading the sequence stands under
    source: str
    steps: list[dict[str, Any]]  # {"number", "text", "entities", "statement"}

    def position(self, entity_id: str) -> int | None:
        for i, step in enumerate(self.steps):
            if entity_id in step["entities"]:
                return i
        return None


@dataclass
class Knowledge:
    entities: dict[str, Entity] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    sequences: list[Sequence] = field(default_factory=list)
    doc_kinds: dict[str, str] = field(default_factory=dict)  # source -> "guide" | "glossary"

    def to_json(self) -> dict[str, Any]:
        return {
            "entities": [asdict(e) for e in self.entities.values()],
            "statements": [asdict(s) for s in self.statements],
            "sequences": [asdict(q) for q in self.sequences],
            "doc_kinds": self.doc_kinds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Knowledge:
        return cls(
            entities={e["id"]: Entity(**e) for e in data["entities"]},
            statements=[Statement(**s) for s in data["statements"]],
            sequences=[Sequence(**q) for q in data["sequences"]],
            doc_kinds=dict(data.get("doc_kinds", {})),
        )

    def by_kind(self, words: set[str]) -> list[Entity]:
        """Entities whose kind contains one of `words` (e.g. {"service"})."""
        return [e for e in self.entities.values() if any(w in e.kind.lower() for w in words)]
