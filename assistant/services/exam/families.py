"""Item families read off the knowledge layer: which entity a situation calls for, what comes next in a
sequence, which service remedies a symptom, and so on. Each `Fact` says what the corpus says (the key),
what it does not (distractors the store does *not* link to the same need) and where it says it.

Nothing here names a service, phase or heading: entities, cues, rivals and sequences all come from
the documents (glossary "Use when" / "Confused with" fields, numbered headings and lists).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from assistant.knowledge.model import Entity, Sequence, Statement
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import content
from assistant.services.corpus import Document
from assistant.services.exam.stems import Need, Shingles, StemBook
from assistant.services.text import content_stems
from assistant.services.topics import corpus_topics
from assistant.services.topics import topic_of as corpus_topic

FIT_OVERLAP = 0.5  # idf share of a cue's words found in a rival's own cue: the rival fits it too
FIT_COSINE = 0.82  # embedding similarity of a cue to a rival's own cue: the same need in other words
# A concept's rival is close in meaning (bias / fairness): it fits the cue at lower thresholds.
CONCEPT_FIT = (0.3, 0.72)
MAX_PREMISE_WORDS = 14
_OWN = frozenset({"use", "what"})


@dataclass(frozen=True)
class Fact:
    family: str
    type: str  # single | multi | ordering | matching
    ident: str  # what makes two items the same question (family, keys, cited lines)
    keys: tuple[str, ...]  # option texts: the key(s); ordering: steps in order; matching: per premise
    distractors: tuple[str, ...]
    support: tuple[int, ...]  # statement ids quoted as citations
    phase: str
    needs: tuple[Need, ...] = ()  # reworded cues: opening, constraint (matching: the premises)
    slots: dict[str, str] = field(default_factory=dict)  # sequence, step, activity
    parts: tuple[Fact, ...] = ()  # a case study's questions


@dataclass(frozen=True)
class Topics:
    """The corpus's topic list (services.topics.corpus_topics) and each guide's title, so an item stands
    under the same topic as the UI filter, `--phase` and the bank use."""

    names: tuple[str, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)  # source -> document title

    @classmethod
    def of(cls, docs: Iterable[Document]) -> Topics:
        docs = list(docs)
        return cls(tuple(corpus_topics(docs)), {d.source: d.title for d in docs})


def topic_of(kb: KnowledgeBase, s: Statement, topics: Topics) -> str:
    """The corpus topic an item stands under ("" when none): a guide line's by its heading path; a glossary
    line's by its entry's "Lifecycle" headings, else by the first guide line that names the entry."""
    if s.doc_kind != "glossary":
        return corpus_topic(s.section, topics.names, title=topics.titles.get(s.source, "")) or ""
    for eid in s.context:
        entity = kb.kb.entities.get(eid)
        for h in entity.fields.get("lifecycle", []) if entity else []:
            hit = corpus_topic(h, topics.names)
            if hit:
                return hit
    for eid in s.context:
        for j in kb.statements_about({eid}):
            g = kb.kb.statements[j]
            if g.doc_kind != "glossary" and eid in g.entities:
                hit = corpus_topic(g.section, topics.names, title=topics.titles.get(g.source, ""))
                if hit:
                    return hit
    return ""


def _strip_number(heading: str) -> str:
    return re.sub(r"^\d+[.)]\s*", "", heading).strip()


def sequence_name(title: str) -> str:
    """ "What Is the ML Development Lifecycle?" -> "ML development lifecycle" (words a stem can use)."""
    how = re.match(r"^how\b", title.strip(), flags=re.I)
    t = re.sub(r"^(?:what|how|why|when)\s+(?:is|are|does|do)?\s*(?:an?|the)?\s*", "", title.strip(), flags=re.I)
    t = re.sub(r"\s+works?\b.*$", "", t, flags=re.I).rstrip("?:. ")
    if how and len(t.split()) > 2:  # "How a Request Flows" -> "request process"
        t = re.sub(r"\s+\w+s(?:\s+in\s+.*)?$", "", t) + " process"
    t = " ".join(w if w.isupper() or not w[:1].isupper() else w.lower() for w in t.split()) or "process"
    return f"process of {t}" if t.split()[0].endswith("ing") else t


class FactFinder:
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

    def cues(self, e: Entity) -> list[tuple[int, Need]]:
        out = []
        for i in self.kb.statements_about({e.id}, roles=frozenset({"use"})):
            s = self.st[i]
            if e.id in s.context and e.id not in s.entities:  # a cue naming its own entity gives it away
                need = self.book.need(s.text, self.shingles)
                if need and not set(content_stems(need.text)) & self._name_words(e) and not _meta(need, e):
                    out.append((i, need))
        return out

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
        "Confused with" line and none near the cue in meaning — a concept's rival is a second key."""
        out: list[str] = []
        if close:
            exclude = set(exclude) | self.contrasted(key)
        for o in self.rivals(key):
            if o.id in exclude or any(_nested(o.name, x) for x in [key.name, *out]):
                continue  # a parent beside its feature ("X" and "X Clarify") is a second key or a giveaway
            if any(self.fits(o.id, i, close) for i in cues):
                continue
            out.append(o.name)
            if len(out) == n:
                break
        return out

    # -- families ---------------------------------------------------------------------------------
    def service_like(self, family: str, kind_test) -> Iterator[Fact]:
        """A glossary entry's cue + a second cue of the same entry as the constraint; the key is the entry."""
        for e in self.ents.values():
            if e.origin != "glossary" or not kind_test(e):
                continue
            cues = self.cues(e)
            # Situation + constraint from two cues; an entry with one cue gives a situation alone.
            pairs = list(itertools.permutations(cues, 2)) or [(c,) for c in cues]
            for pair in pairs:
                ids = [i for i, _ in pair]
                fam, wrong = self._family_options(e, family, ids)
                # A lone cue of a service or concept must state a need: a bare observation asks nothing.
                vague = len(pair) == 1 and fam in ("service", "concept") and _symptom(pair[0][1])
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
            if len(wrong) == 3:  # a service that deploys: asked as a service, among services that deploy
                return family, wrong
        return family, self.distractors(e, cues, 3, close=family == "concept")

    def _sequence_of(self, e: Entity) -> str:
        for q in self.kb.kb.sequences:
            if q.position(e.id) is not None:
                return sequence_name(q.title)
        return "process"

    def remedies(self) -> Iterator[Fact]:
        """A symptom (a concept's cue) and the service(s) whose own lines name that concept."""
        services = [e for e in self.ents.values() if _is_service(e)]
        in_sequences = {x for q in self.kb.kb.sequences for step in q.steps for x in step["entities"]}
        for c in self.ents.values():
            # A phase or a pipeline stage is not a symptom: what it "needs" is a whole stage of work.
            if _is_service(c) or c.origin != "glossary" or c.heading or c.id in in_sequences:
                continue
            # Both ways: the concept's entry names the service, and the service's entry names the concept.
            named = {
                x
                for j in self.kb.statements_about({c.id}, roles=_OWN)
                if c.id in self.st[j].context
                for x in self.st[j].entities
            }
            linked = {
                s.id: j
                for s in services
                if s.id in named
                for j in self.kb.statements_about({s.id}, roles=_OWN)
                if c.id in self.st[j].entities and s.id in self.st[j].context
            }
            if not 1 <= len(linked) <= 2:
                continue
            keys = [self.ents[x] for x in linked]
            for i, need in self.cues(c):
                wrong = [o.name for o in services if o.id not in linked and not self.fits(o.id, i)]
                wrong = self._plausible(keys[0], wrong, 3)
                if len(wrong) < 3:
                    continue
                typ = "single" if len(keys) == 1 else "multi"
                # A remedy states a symptom (an observation with its own subject and verb); any other cue is a need.
                fam = "multi" if typ == "multi" else "remedy" if _symptom(need) else "service"
                yield Fact(
                    fam,
                    typ,
                    f"{fam}:{c.id}:{i}",
                    tuple(k.name for k in keys),
                    tuple(wrong),
                    (i, *linked.values()),
                    self.topic(i),
                    (need,),
                )

    def _plausible(self, key: Entity, names: list[str], n: int) -> list[str]:
        order = {o.name: r for r, o in enumerate(self.rivals(key))}
        return sorted(names, key=lambda x: order.get(x, 999))[:n]

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

    def _by_name(self, name: str) -> Entity | None:
        return next((e for e in self.ents.values() if e.name == name), None)

    # -- sequences --------------------------------------------------------------------------------
    def sequence_facts(self) -> Iterator[Fact]:
        for q in self.kb.kb.sequences:
            labels = [_label(s["text"]) for s in q.steps]
            if len(labels) < 4 or len(set(labels)) < len(labels):
                continue
            cites = [self._step_statement(q, k) for k in range(len(labels))]
            if None in cites:
                continue
            slots = {"sequence": sequence_name(q.title)}
            for k in range(len(labels) - 1):
                near = sorted((x for x in range(len(labels)) if x not in (k, k + 1)), key=lambda x: abs(x - k - 1))
                wrong = [labels[x] for x in near]
                yield Fact(
                    "next_step",
                    "single",
                    f"next:{q.title}:{k}",
                    (labels[k + 1],),
                    tuple(wrong[:3]),
                    (cites[k + 1],),
                    self.topic(cites[k + 1]),
                    (),
                    {**slots, "step": _lower(labels[k])},
                )
            yield Fact(
                "first_step",
                "single",
                f"first:{q.title}",
                (labels[0],),
                tuple(labels[1:4]),
                (cites[0],),
                self.topic(cites[0]),
                (),
                slots,
            )
            for picked in itertools.combinations(range(len(labels)), 4):
                if picked[-1] - picked[0] <= 5 and sum(picked) % 4 == 0:
                    yield Fact(
                        "ordering",
                        "ordering",
                        f"order:{q.title}:{picked}",
                        tuple(labels[x] for x in picked),
                        (),
                        tuple(cites[x] for x in picked),
                        self.common_topic([cites[x] for x in picked]),
                        (),
                        slots,
                    )
            yield from self._phase_facts(q, labels, slots)

    def _phase_facts(self, q: Sequence, labels: list[str], slots: dict[str, str]) -> Iterator[Fact]:
        """An activity listed under one step heading of a sequence of headings: which step is it?"""
        heads = {re.sub(r"^\d+[.)]\s*", "", s["text"]): n for n, s in enumerate(q.steps)}
        for s in self.st:
            step = heads.get(_strip_number(s.leaf)) if s.doc_kind == "guide" and s.role == "fact" else None
            if step is None or s.split or not s.leaf[:1].isdigit():
                continue
            need = self.book.need(s.text, self.shingles)
            if need is None:
                continue
            others = [labels[x] for x in range(len(labels)) if x != step]
            wrong = sorted(others, key=lambda x: abs(labels.index(x) - step))[:3]
            yield Fact(
                "phase",
                "single",
                f"phase:{s.id}",
                (labels[step],),
                tuple(wrong),
                (s.id,),
                self.topic(s.id),
                (need,),
                slots,
            )

    def _step_statement(self, q: Sequence, k: int) -> int | None:
        text = q.steps[k]["text"]
        for s in self.st:
            if s.source != q.source or s.role not in ("step", "fact", "list", "definition"):
                continue
            if s.text == text or (_strip_number(s.leaf) == _strip_number(text) and not s.text.endswith(":")):
                return s.id
        return None

    def all(self) -> list[Fact]:
        services = list(self.service_like("service", _is_service))
        concepts = list(self.service_like("concept", lambda e: not _is_service(e)))
        out = services + concepts + list(self.remedies()) + list(self.sequence_facts())
        out += list(self.pairs(services)) + list(self.matching(services))
        return out


_REQUIREMENT = re.compile(
    r"\b(?:must|should|ought|has to|have to|needs?|wants?|requires?|required|insists?|expects?|plans? to|goal)\b",
    re.IGNORECASE,
)


def _symptom(need: Need) -> bool:
    """A cue that states what is observed ("accuracy falls under the agreed level"), not what is
    required ("runs must be repeatable"): a remedy item needs a symptom."""
    return need.form == "clause" and not _REQUIREMENT.search(need.text)


def _meta(need: Need, e: Entity) -> bool:
    """A cue restating an unnumbered guide heading of its entry ("Tip 2: Map AWS Services to Phases") is
    study-guide meta text, not project work."""
    words = set(content_stems(need.text))
    for h in e.fields.get("lifecycle", []):
        head = set(content_stems(h.split(":", 1)[-1]))
        if not h[:1].isdigit() and head and len(words & head) >= max(2, 2 * len(head) // 3):
            return True
    return False


def _nested(a: str, b: str) -> bool:
    """One name contains the other as whole words ("Amazon SageMaker" in "Amazon SageMaker Clarify")."""
    x, y = f" {a.casefold()} ", f" {b.casefold()} "
    return x in y or y in x


def _is_service(e: Entity) -> bool:
    return "service" in e.kind.lower()


def _deploys(e: Entity) -> bool:
    """A deployment option: its entry places it under a heading about deploying."""
    return any("deploy" in h.lower() for h in e.fields.get("lifecycle", []))


def _label(step_text: str) -> str:
    return step_text.split(":", 1)[0].strip() if ":" in step_text[:40] else step_text.strip()


def _lower(label: str) -> str:
    return " ".join(w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in label.split())
