"""What an exam item asks, as data: a `Fact` (the key, distractors the store does *not* link to the same
need, the cited lines), the corpus topics an item stands under, and the small helpers the families share.
Nothing here names a service, phase or heading: all of it comes from the documents."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.knowledge.model import Entity, Statement
from assistant.knowledge.service import KnowledgeBase
from assistant.services.corpus import Document
from assistant.services.exam.stems import Need
from assistant.services.text import content_stems
from assistant.services.topics import corpus_topics
from assistant.services.topics import topic_of as corpus_topic


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
    flaw: str = ""  # why the fact cannot make a fair item ("vague_stem", ...): drafting it is rejected


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


_REQUIREMENT = re.compile(
    r"\b(?:must|should|ought|has to|have to|needs?|wants?|wanted|requires?|required|insists?|expects?|plans? to|goal)\b",
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


def _siblings(a: str, b: str) -> bool:
    """Two features of one platform: the same words before their last one or two ("Amazon SageMaker
    Training Jobs", "Amazon SageMaker Automatic Model Tuning"), neither name inside the other."""
    x, y = a.split(), b.split()
    common = len(list(itertools.takewhile(lambda p: p[0].casefold() == p[1].casefold(), zip(x, y, strict=False))))
    return common >= 2 and common < min(len(x), len(y))


def _is_service(e: Entity) -> bool:
    return "service" in e.kind.lower()


def _deploys(e: Entity) -> bool:
    """A deployment option: its entry places it under a heading about deploying."""
    return any("deploy" in h.lower() for h in e.fields.get("lifecycle", []))


def _label(step_text: str) -> str:
    return step_text.split(":", 1)[0].strip() if ":" in step_text[:40] else step_text.strip()


def _lower(label: str) -> str:
    return " ".join(w if w.isupper() or any(c.isdigit() for c in w) else w.lower() for w in label.split())
