"""Item families read off the knowledge layer: which entity a situation calls for, what comes next in a
sequence, which service remedies a symptom, and so on. Each `Fact` says what the corpus says (the key),
what it does not (distractors the store does *not* link to the same need) and where it says it.

The families live in family_entities.py (service, concept, deployment, remedy, multi, matching) and
family_sequences.py (next/first step, ordering, phase), on the shared look-ups of lookups.py. Nothing
names a service, phase or heading: entities, cues, rivals and sequences all come from the documents
(glossary "Use when" / "Confused with" fields, numbered headings and lists).
"""

from __future__ import annotations

from assistant.services.exam.facts import Fact, Topics, _is_service, sequence_name, topic_of
from assistant.services.exam.family_entities import EntityFamilies
from assistant.services.exam.family_sequences import SequenceFamilies

__all__ = ["Fact", "FactFinder", "Topics", "sequence_name", "topic_of"]


class FactFinder(EntityFamilies, SequenceFamilies):
    def all(self) -> list[Fact]:
        services = list(self.service_like("service", _is_service))
        concepts = list(self.service_like("concept", lambda e: not _is_service(e)))
        out = services + concepts + list(self.remedies()) + list(self.sequence_facts())
        fair = [f for f in services if not f.flaw]  # a vague cue makes no fair premise or Select-TWO half
        out += list(self.pairs(fair)) + list(self.matching(fair))
        return out
