"""Families whose key is a glossary entry: the service (or concept) for a situation and its constraint,
the deployment option for a workload, the service that remedies a symptom, two services at once
("Select TWO") and matching needs to services. Entries, cues and rivals all come from the documents."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from assistant.knowledge.model import Entity
from assistant.services.exam.facts import Fact, _deploys, _is_service, _nested, _symptom, sequence_name
from assistant.services.exam.lookups import _OWN, MAX_PREMISE_WORDS, Lookups


class EntityFamilies(Lookups):
    def service_like(self, family: str, kind_test) -> Iterator[Fact]:
        """A glossary entry's cue + a second cue of the same entry as the constraint; the key is the entry."""
        for e in self.ents.values():
            if e.origin != "glossary" or not kind_test(e):
                continue
            cues = self.cues(e)
            # Situation + constraint from two cues; an entry with one cue gives a situation alone.
            pairs = list(itertools.permutations(cues, 2)) or [(c,) for c in cues]
            for pair in pairs:
                if len(pair) == 2 and not self.concrete(pair[0][1]):
                    continue  # the opening cue stands alone in a case, a matching premise or a Select-TWO half
                ids = [i for i, _ in pair]
                fam, wrong = self._family_options(e, family, ids)
                # A lone cue of a service or concept must state a need: a bare observation asks nothing.
                vague = len(pair) == 1 and fam in ("service", "concept") and _symptom(pair[0][1])
                lone = len(pair) == 1 and not self.concrete(pair[0][1])  # "runs must be repeatable"
                if len(wrong) == 3 and not vague:
                    # The ask names the entry's kind ("Which pipeline step ...", "Which ML concept ...").
                    slots = {"sequence": self._sequence_of(e)} if e.heading else {"kind": e.kind}
                    yield Fact(
                        fam,
                        "single",
                        f"{fam}:{e.id}:{ids[0]}",
                        (e.name,),
                        tuple(wrong),
                        tuple(ids),
                        self.topic(ids[0]),
                        tuple(n for _, n in pair),
                        slots,
                        flaw="vague_stem" if lone else "",
                    )

    def _family_options(self, e: Entity, family: str, cues: list[int]) -> tuple[str, list[str]]:
        """The family of an entry's item and its three distractors. A deployment item (a concept placed
        under a deploying heading) offers deployment options only, or is not asked; a service that deploys
        is a service item, among other deploying services when there are three."""
        if e.heading:
            return "phase", self.distractors(e, cues, 3)
        if _deploys(e):
            others = {o.id for o in self.ents.values() if not _deploys(o)}
            wrong = self.distractors(e, cues, 3, others)  # deployment modes: rivals by design
            if family != "service":
                return "deployment", wrong
            if len(wrong) == 3:  # a service that deploys, among services that deploy: a deployment item when
                return ("deployment" if self._serving(cues) else family), wrong  # the cue is a way of serving
        return family, self.distractors(e, cues, 3, close=family == "concept")

    def _serving(self, cues: list[int]) -> bool:
        """Every cue fits a deployment option of the documents that is no service (real-time, batch or edge
        inference): they describe how predictions are served, not some other job a deploying service does."""
        modes = [m for m in self.ents.values() if _deploys(m) and not _is_service(m) and not m.heading]
        return all(any(self.fits(m.id, i, close=True) for m in modes) for i in cues)

    def _sequence_of(self, e: Entity) -> str:
        for q in self.kb.kb.sequences:
            if q.position(e.id) is not None:
                return sequence_name(q.title)
        return "process"

    def remedies(self) -> Iterator[Fact]:
        """A symptom (a concept's cue) and the service(s) the documents link to that concept both ways.
        The concept's own name may stand in the stem (the key is a service, not the concept); no service
        linked to the concept either way is a distractor, and a cue that shares no distinctive word with
        its key's lines, or names no concrete need, is flagged vague."""
        services = [e for e in self.ents.values() if _is_service(e)]
        in_sequences = {x for q in self.kb.kb.sequences for step in q.steps for x in step["entities"]}
        for c in self.ents.values():
            # A phase or a pipeline stage is not a symptom: what it "needs" is a whole stage of work.
            if _is_service(c) or c.origin != "glossary" or c.heading or c.id in in_sequences:
                continue
            named, naming = self._concept_links(c, services)
            linked = {x: j for x, j in naming.items() if x in named}  # both ways
            if not 1 <= len(linked) <= 2:
                continue
            keys = [self.ents[x] for x in linked]
            for i, need in self.cues(c, own_name=True):
                wrong = self.distractors(keys[0], [i], 3, named | set(naming))
                if len(wrong) < 3:
                    continue
                typ = "single" if len(keys) == 1 else "multi"
                # A remedy states a symptom (an observation with its own subject and verb); any other cue is a need.
                fam = "multi" if typ == "multi" else "remedy" if _symptom(need) else "service"
                tied = self._shares_words(i, [*linked.values(), *self._own_lines(keys)])
                yield Fact(
                    fam,
                    typ,
                    f"{fam}:{c.id}:{i}",
                    tuple(k.name for k in keys),
                    tuple(wrong),
                    (i, *linked.values()),
                    self.topic(i),
                    (need,),
                    flaw="" if tied and self.concrete(need) else "vague_stem",
                )

    def _concept_links(self, c: Entity, services: list[Entity]) -> tuple[set[str], dict[str, int]]:
        """Services the concept's own lines name, and services whose own lines name the concept (with
        the line that does)."""
        named = {
            x
            for j in self.kb.statements_about({c.id}, roles=_OWN)
            if c.id in self.st[j].context
            for x in self.st[j].entities
        }
        naming = {
            s.id: j
            for s in services
            for j in self.kb.statements_about({s.id}, roles=_OWN)
            if c.id in self.st[j].entities and s.id in self.st[j].context
        }
        return named, naming

    def _own_lines(self, keys: list[Entity]) -> list[int]:
        return [j for k in keys for j in self.kb.statements_about({k.id}, roles=_OWN) if k.id in self.st[j].context]

    def pairs(self, singles: list[Fact]) -> Iterator[Fact]:
        """Two needs met by two different services: "(Select TWO.)"."""
        by_key: dict[str, Fact] = {}
        for f in singles:
            by_key.setdefault(f.keys[0], f)
        facts = list(by_key.values())
        for a, b in zip(facts, facts[1:] + facts[:1], strict=False):
            ea, eb = self._by_name(a.keys[0]), self._by_name(b.keys[0])
            if not (ea and eb) or ea.id == eb.id or self.fits(ea.id, b.support[0]) or self.fits(eb.id, a.support[0]):
                continue
            wrong = [
                w
                for w in self.distractors(ea, [a.support[0], b.support[0]], 6, {eb.id})
                if not self.fits(self._by_name(w).id, b.support[0])
            ][:3]
            if len(wrong) == 3:
                yield Fact(
                    "multi",
                    "multi",
                    f"multi:{a.ident}+{b.ident}",
                    (ea.name, eb.name),
                    tuple(wrong),
                    (a.support[0], b.support[0]),
                    a.phase if a.phase == b.phase else "",
                    (a.needs[0], b.needs[0]),
                )

    def matching(self, singles: list[Fact], size: int = 4) -> Iterator[Fact]:
        short = [f for f in singles if len(f.needs[0].text.split()) <= MAX_PREMISE_WORDS]
        one_each: dict[str, Fact] = {}
        for f in short:
            one_each.setdefault(f.keys[0], f)
        pool = list(one_each.values())
        for start in range(len(pool) - size + 1):  # overlapping windows: the bank check keeps one of each
            group = pool[start : start + size]
            if any(_nested(a.keys[0], b.keys[0]) for a, b in itertools.combinations(group, 2)):
                continue  # a parent beside its own feature: the same rule as single items
            ids = [self._by_name(f.keys[0]).id for f in group]
            if any(self.fits(x, f.support[0]) for x in ids for f in group if self._by_name(f.keys[0]).id != x):
                continue
            yield Fact(
                "matching",
                "matching",
                "matching:" + "+".join(f.ident for f in group),
                tuple(f.keys[0] for f in group),
                (),
                tuple(f.support[0] for f in group),
                self.common_topic([f.support[0] for f in group]),
                tuple(f.needs[0] for f in group),
            )
