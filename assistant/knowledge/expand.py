"""Query expansion through the knowledge layer: the statements nearest a query vote for guide sections.

A guide statement votes for the section it stands in: a line is a sharper unit than a chunk of several
lines. A supplement's statement (a glossary entry's "what it is" line or one of its "use when" cues)
votes for the guide sections its entry points to: a field of the entry that names a guide heading, the
sections where the guide lists the entry, the heading the entry is. So a question worded as a scenario
("thousands of sensors send readings every second") reaches the guide section of the service whose cue
it matches, though it shares no word with that section. The retriever ranks the voted sections as one
more list in its fusion; which statements vote, and for what, is read from the documents.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from assistant.knowledge.model import Entity, Statement
from assistant.knowledge.service import KnowledgeBase

# A guide section, as the retriever finds its chunks: (source document, leaf heading).
SectionKey = tuple[str, str]

# Supplement statements that say what an entry is or when to use it; "not for" and "confused with"
# lines describe what an entry is *not*, so they must not pull its sections up.
CUE_ROLES = frozenset({"what", "use"})
# A clause is also part of its whole line, which votes already: one line, one vote.
SKIP_GUIDE_ROLES = frozenset({"clause"})


class SectionVotes:
    def __init__(self, knowledge: KnowledgeBase, *, top: int = 5) -> None:
        self.top = top
        kb = knowledge.kb
        headings = _guide_headings(kb.statements)
        voters: list[int] = []
        self.targets: list[tuple[SectionKey, ...]] = []
        for s in kb.statements:
            if s.doc_kind == "guide":
                keys = () if s.role in SKIP_GUIDE_ROLES or not s.leaf else ((s.source, s.leaf),)
            elif s.role in CUE_ROLES:
                keys = _pointed(headings, (kb.entities[e] for e in s.context if e in kb.entities))
            else:
                keys = ()
            if keys:
                voters.append(s.id)
                self.targets.append(keys)
        vectors = knowledge.vectors
        self.vectors = vectors[voters] if len(voters) and len(vectors) else np.zeros((0, 1), dtype=np.float32)

    def rank(self, query_vector: np.ndarray) -> list[tuple[SectionKey, float]]:
        """Guide sections, best first, each with the summed similarity of those of the `top` statements
        nearest the query that vote for it."""
        if not len(self.vectors) or self.top <= 0 or self.vectors.shape[1] != len(query_vector):
            return []
        sims = self.vectors @ np.asarray(query_vector, dtype=np.float32)
        n = min(self.top, len(sims))
        nearest = np.argpartition(-sims, n - 1)[:n]
        scores: dict[SectionKey, float] = {}
        for i in sorted(nearest.tolist(), key=lambda j: (-sims[j], j)):
            if sims[i] <= 0.0:  # unrelated: no evidence for any section
                continue
            for key in self.targets[i]:
                scores[key] = scores.get(key, 0.0) + float(sims[i])
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _guide_headings(statements: Iterable[Statement]) -> dict[str, list[SectionKey]]:
    """Every heading the guides' statements stand under (any level of their path), by its lower case."""
    out: dict[str, list[SectionKey]] = {}
    for s in statements:
        if s.doc_kind != "guide" or not s.section:
            continue
        for part in s.section.split(" > "):
            keys = out.setdefault(part.strip().lower(), [])
            if (s.source, part) not in keys:
                keys.append((s.source, part))
    return out


def _pointed(headings: dict[str, list[SectionKey]], entities: Iterable[Entity]) -> tuple[SectionKey, ...]:
    """The guide sections the entities point to: a field value that is a guide heading ("Lifecycle: 2.
    Data Collection and Integration"), the sections the guide lists them in, the heading they are."""
    keys: list[SectionKey] = []
    for e in entities:
        names = [v for values in e.fields.values() for v in values] + e.sections + [e.heading]
        for name in names:
            for key in headings.get(name.strip().lower(), ()):
                if key not in keys:
                    keys.append(key)
    return tuple(keys)
