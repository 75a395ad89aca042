"""Shared look-ups of the item families on the knowledge layer: an entry's cues, its rivals ("Confused
with" entries first, then the most alike of its kind), and whether a rival fits a cue too (a second key)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from assistant.knowledge.model import Entity
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import content
from assistant.services.exam.facts import Topics, _meta, _nested, _siblings, topic_of
from assistant.services.exam.stems import Need, Shingles, StemBook
from assistant.services.text import content_stems

FIT_OVERLAP = 0.5  # idf share of a cue's words found in a rival's own cue: the rival fits it too
FIT_COSINE = 0.82  # embedding similarity of a cue to a rival's own cue: the same need in other words
# A concept's rival is close in meaning (bias / fairness): it fits the cue at lower thresholds.
CONCEPT_FIT = (0.3, 0.72)
MAX_PREMISE_WORDS = 14
DISTINCT_IDF = 3.5  # a word in more than ~1 statement in 30 tells nothing apart ("model", "data", "train")
# Idf a lone cue's content words must carry: "runs must be repeatable" (7) and "configuring a training job"
# (11) name no concrete need; "IoT sensors send telemetry every second" (> 20) does.
CONCRETE_IDF = 14.0
_REQUIREMENT_WORDS = content("must should need needs needed want wants wanted require required requires")
_OWN = frozenset({"use", "what"})


class Lookups:
    def __init__(self, kb: KnowledgeBase, book: StemBook, shingles: Shingles, topics: Topics | None = None) -> None:
        self.kb = kb
        self.topics = topics or Topics()
        self.book = book
        self.shingles = shingles
        self.st = kb.kb.statements
        self.ents = kb.kb.entities
        self._fits: dict[tuple[str, int, bool], bool] = {}
        self._contrast: dict[str, list[str]] = {}

    # -- shared lookups ---------------------------------------------------------------------------
    def topic(self, i: int) -> str:
        return topic_of(self.kb, self.st[i], self.topics)

    def common_topic(self, ids: list[int]) -> str:
        """The one topic all of `ids` stand under, else "" (an order across topics is under none)."""
        found = {self.topic(i) for i in ids}
        return found.pop() if len(found) == 1 else ""

    def cues(self, e: Entity, own_name: bool = False) -> list[tuple[int, Need]]:
        """The entry's "use when" cues as needs. A cue that names its own entry gives it away; so does one
        with a distinctive word of its name, unless `own_name` (the key is another entry: a remedy)."""
        out = []
        for i in self.kb.statements_about({e.id}, roles=frozenset({"use"})):
            s = self.st[i]
            if e.id in s.context and e.id not in s.entities:
                need = self.book.need(s.text, self.shingles)
                named = not own_name and set(content_stems(need.text)) & self._name_words(e) if need else False
                if need and not named and not _meta(need, e):
                    out.append((i, need))
        return out

    def _shares_words(self, i: int, lines: list[int]) -> bool:
        """Statement i shares a distinctive word (idf >= DISTINCT_IDF) with one of `lines`."""
        mine = {w for w in content(self.st[i].text) - _REQUIREMENT_WORDS if self.distinct(w)}
        return any(mine & content(self.st[j].text) for j in lines)

    def _name_words(self, e: Entity) -> set[str]:
        """Words of an entry's name that few names of its kind share ("feature" of Feature Store, not
        "sagemaker"): a stem that says one of them points at the key."""
        kind = [o for o in self.ents.values() if o.kind == e.kind]
        counts = Counter(w for o in kind for w in set(content_stems(o.name)))
        return {w for w in content_stems(e.name) if counts[w] <= max(1, len(kind) // 4)}

    def fits(self, eid: str, i: int, close: bool = False) -> bool:
        """Does entity `eid` fit the need of statement i by its own facts (a second key)? `close`: at the
        lower concept thresholds, where a rival near in meaning already counts."""
        if (eid, i, close) not in self._fits:
            self._fits[eid, i, close] = self._fits_now(eid, i, *(CONCEPT_FIT if close else (FIT_OVERLAP, FIT_COSINE)))
        return self._fits[eid, i, close]

    def _fits_now(self, eid: str, i: int, overlap: float, cosine: float) -> bool:
        if eid in self.st[i].entities:
            return True
        words = content(self.st[i].text)
        mine = self.kb.statements_about({eid}, roles=frozenset({"use", "what"}))
        for j in mine:
            if self.kb.overlap(words, j) >= overlap:
                return True
        if mine and len(self.kb.vectors) == len(self.st):
            sims = self.kb.vectors[mine] @ self.kb.vectors[i]
            return bool(np.max(sims) >= cosine)
        return False

    def contrasted(self, e: Entity) -> set[str]:
        """Entries e's "Confused with" line names, and entries whose own "Confused with" names e."""
        return {o.id for o in self._named(e)} | {o.id for o in self.ents.values() if e.id in self._named_ids(o)}

    def separated(self, key: Entity, rival: Entity, cues: list[int]) -> bool:
        """Does a cue say what tells `key` from a rival it is confused with? The "Confused with" line
        between them (either entry's) names the difference; the cue must share one of its words
        (besides the two names and words common in the corpus)."""
        lines = [c for c in key.fields.get("contrast", []) if rival.id in self.kb.linker.ids(c.split(" — ")[0])[:1]]
        lines += [c for c in rival.fields.get("contrast", []) if key.id in self.kb.linker.ids(c.split(" — ")[0])[:1]]
        names = content(f"{key.name} {rival.name} {' '.join(key.aliases)} {' '.join(rival.aliases)}")
        told = {w for c in lines for w in content(c) - names if self.distinct(w)}
        return any(told & content(self.st[i].text) for i in cues)

    def distinct(self, w: str) -> bool:
        """A word few statements use (idf >= DISTINCT_IDF; in a small store, one of its rarer words)."""
        if not hasattr(self, "_rare"):
            self._rare = min(DISTINCT_IDF, max(self.kb.idf.values(), default=0.0) - 1.0)
        return self.kb.idf.get(w, 0.0) >= self._rare

    def concrete(self, need: Need) -> bool:
        """A lone cue names a concrete need: its content words (not "must", "need", ...) carry at least
        CONCRETE_IDF of idf ("runs must be repeatable" does not: a property, not a task)."""
        words = content(need.text) - _REQUIREMENT_WORDS
        return sum(self.kb.idf.get(w, 1.0) for w in words) >= CONCRETE_IDF

    def _named(self, e: Entity) -> list[Entity]:
        return [self.ents[x] for x in self._named_ids(e)]

    def _named_ids(self, e: Entity) -> list[str]:
        if e.id not in self._contrast:
            found = [x for c in e.fields.get("contrast", []) for x in self.kb.linker.ids(c.split(" — ")[0])[:1]]
            self._contrast[e.id] = found
        return self._contrast[e.id]

    def same_kind(self, e: Entity) -> list[Entity]:
        """Entries of the same kind, the most alike first (by what they are), so distractors are plausible."""
        others = [o for o in self.ents.values() if o.kind == e.kind and o.id != e.id and o.origin == "glossary"]
        mine = self.kb.what_is(e.id)
        if mine is None or len(self.kb.vectors) != len(self.st):
            return others

        def alike(o: Entity) -> float:
            w = self.kb.what_is(o.id)
            return float(self.kb.vectors[w.id] @ self.kb.vectors[mine.id]) if w else -1.0

        return sorted(others, key=alike, reverse=True)

    def rivals(self, e: Entity) -> list[Entity]:
        """ "Confused with" entries first (the plausible wrong answers), then the rest of its kind."""
        named = [o for o in self._named(e) if o.kind == e.kind and o.id != e.id]
        seen: set[str] = set()
        out = []
        for o in named + self.same_kind(e):
            if o.id not in seen:
                seen.add(o.id)
                out.append(o)
        return out

    def distractors(
        self, key: Entity, cues: list[int], n: int, exclude: set[str] = frozenset(), close: bool = False
    ) -> list[str]:
        """Up to n rivals that do not fit the cues. `close` (concepts): no rival named in either entry's
        "Confused with" line and none near the cue in meaning — a concept's rival is a second key. A
        platform name that would shut out its own features ("X" before "X Guardrails") is passed over
        when that leaves more distractors."""
        if close:
            exclude = set(exclude) | self.contrasted(key)
        allowed = [o for o in self.rivals(key) if o.id not in exclude and self._fair_rival(key, o, cues, close)]
        out = _unnested(key, allowed, n)
        umbrellas = {
            o.id for o in allowed if any(len(x.name) > len(o.name) and _nested(o.name, x.name) for x in allowed)
        }
        fewer = _unnested(key, [o for o in allowed if o.id not in umbrellas], n)
        return fewer if len(fewer) > len(out) else out

    def _fair_rival(self, key: Entity, o: Entity, cues: list[int], close: bool) -> bool:
        # A sibling of the same platform fits at the closer thresholds ("Training Jobs" beside tuning).
        if any(self.fits(o.id, i, close or _siblings(o.name, key.name)) for i in cues):
            return False
        # Confused with the key and nothing in the stem tells the two apart: a second key in the making.
        return o.id not in self.contrasted(key) or self.separated(key, o, cues)

    # -- families ---------------------------------------------------------------------------------

    def _plausible(self, key: Entity, names: list[str], n: int) -> list[str]:
        order = {o.name: r for r, o in enumerate(self.rivals(key))}
        return sorted(names, key=lambda x: order.get(x, 999))[:n]

    def _by_name(self, name: str) -> Entity | None:
        return next((e for e in self.ents.values() if e.name == name), None)


def _unnested(key: Entity, rivals: list[Entity], n: int) -> list[str]:
    """The first n rivals, none nested in the key or in one taken before: a parent beside its feature
    ("X" and "X Clarify") is a second key or a giveaway."""
    out: list[str] = []
    for o in rivals:
        if not any(_nested(o.name, x) for x in [key.name, *out]):
            out.append(o.name)
        if len(out) == n:
            break
    return out
