"""Building the knowledge store from corpus documents.

Guides give structure: numbered headings and numbered lists are sequences, "Label: a, b, c" items are
list facts, "X → Answer: Y" lines are mappings, "Term: definition" items are definitions, and AWS
service names are found by AWS's naming convention. A glossary (a document whose front matter says
`kind: glossary`) gives one entry per `##` heading with the fields of GLOSSARY_FIELDS. No guide heading,
phase or service name is written here: everything comes from the documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence as Seq

from assistant.knowledge.blocks import Block, ParsedDocument, parse, split_arrow, split_list
from assistant.knowledge.link import Linker, name_variants, service_names
from assistant.knowledge.model import Entity, Knowledge, Sequence, Statement
from assistant.knowledge.words import tokens
from assistant.services.corpus import Document

# The glossary format (README "The team glossary"): field label -> (key, role of its statements).
GLOSSARY_FIELDS: dict[str, tuple[str, str]] = {
    "kind": ("kind", ""),
    "also called": ("aliases", ""),
    "what it is": ("what", "what"),
    "use when": ("use", "use"),
    "not for": ("not_for", "not_for"),
    "confused with": ("contrast", "contrast"),
    "lifecycle": ("lifecycle", "lifecycle"),
    "source": ("source", ""),
}
_MAX_LABEL_WORDS = 5
_CUE_FIELDS = ("use", "not_for", "contrast", "lifecycle")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Builder:
    def __init__(self, docs: Seq[Document]) -> None:
        self.docs = [parse(d) for d in docs]
        self.kb = Knowledge(doc_kinds={d.source: d.kind for d in self.docs})
        self.linker = Linker()
        self._lower_words = _lowercase_words(docs)

    # -- entities ---------------------------------------------------------------------------------
    def _entity(self, name: str, kind: str, origin: str, aliases: Seq[str] = ()) -> Entity:
        """The entity called `name` (created when new), with its aliases added to the linker."""
        eid = slug(name)
        e = self.kb.entities.get(eid)
        if e is None:
            e = Entity(eid, name, kind, [], origin)
            self.kb.entities[eid] = e
        for alias in [*name_variants(name), *aliases]:
            alias = alias.strip()
            own_name = alias.lower() == name.lower().strip() and "service" not in kind.lower()
            if alias and alias not in e.aliases and (own_name or self._usable_alias(alias)):
                e.aliases.append(alias)
                self.linker.add(alias, eid)
        return e

    def _usable_alias(self, alias: str) -> bool:
        """A one-word alias that the documents also use as an ordinary lower-case word ("processing",
        "training") would link every sentence that uses the word; brand names ("Clarify") are fine."""
        toks = alias.split()
        return len(toks) > 1 or not (alias.lower() in self._lower_words or alias.islower())

    def _glossary(self, doc: ParsedDocument) -> None:
        entries: dict[str, list[Block]] = {}
        for b in doc.blocks:
            if b.path and b.kind in ("item", "step") and b.label:
                entries.setdefault(b.path[-1], []).append(b)
        for name, blocks in entries.items():
            fields = {GLOSSARY_FIELDS[b.label.lower()][0]: b for b in blocks if b.label.lower() in GLOSSARY_FIELDS}
            kind = fields["kind"].value if "kind" in fields else "concept"
            aliases = split_list(fields["aliases"].value, ";") if "aliases" in fields else []
            e = self._entity(name, kind, "glossary", aliases)
            e.origin = "glossary"
            e.kind = kind
            for key, b in fields.items():
                if key not in ("kind", "aliases"):
                    e.fields[key] = split_list(b.value, ";") if key in _CUE_FIELDS else [b.value]

    def _guide_entities(self, doc: ParsedDocument) -> None:
        # Numbered headings under one parent are steps of a sequence; each is a topic entity.
        for _parent, heads in doc.children.items():
            numbered = [h for h in heads if h.number is not None]
            if len(numbered) >= 3:
                for h in numbered:
                    e = self._linked_or_new(h.text, "topic")
                    e.heading = h.raw
        for b in doc.blocks:
            for name in service_names(b.text):
                self._linked_or_new(name, "service")
            if b.kind == "item" and b.label and len(b.label.split()) <= _MAX_LABEL_WORDS and not self._is_list(b):
                self._linked_or_new(b.label, "concept")

    def _linked_or_new(self, name: str, kind: str) -> Entity:
        ids, cov = self.linker.coverage(name)
        if ids and cov >= 0.99:
            return self.kb.entities[ids[0]]
        return self._entity(name, kind, "guide")

    def _is_list(self, b: Block) -> bool:
        items = split_list(b.value)
        return len(items) >= 2 and sum(1 for i in items if self.linker.coverage(i)[1] >= 0.6) >= 2

    # -- statements -------------------------------------------------------------------------------
    def _add(
        self,
        b: Block,
        doc: ParsedDocument,
        role: str,
        text: str | None = None,
        start: int | None = None,
        context: Seq[str] = (),
        answer: Seq[str] = (),
        cue: str = "",
    ) -> Statement:
        text = text if text is not None else b.text
        start = start if start is not None else b.start
        s = Statement(
            len(self.kb.statements),
            text,
            doc.source,
            doc.kind,
            b.section,
            start,
            start + len(text),
            role,
            self.linker.ids(text),
            list(dict.fromkeys(context)),
            list(answer),
            cue,
        )
        self.kb.statements.append(s)
        return s

    def _heading_context(self, b: Block) -> list[str]:
        out = []
        for raw in b.path:
            ids, cov = self.linker.coverage(re.sub(r"^\d+[.)]\s*", "", raw))
            if ids and cov >= 0.99:
                out += ids
        return out

    def _guide_statements(self, doc: ParsedDocument) -> None:
        for b in doc.blocks:
            ctx = self._heading_context(b)
            arrow = split_arrow(b.text)
            if arrow:
                cue, ans = arrow
                self._add(b, doc, "mapping", context=ctx, answer=self.linker.ids(ans), cue=cue)
                continue
            if b.label and self._is_list(b):
                for eid in self.linker.ids(b.value):
                    self.kb.entities[eid].sections.append(b.leaf)
                self._clauses(self._add(b, doc, "list", context=ctx), b, doc, ctx)
                continue
            if b.label and len(b.label.split()) <= _MAX_LABEL_WORDS:
                label_ids = self.linker.ids(b.label)
                role = "step" if b.kind == "step" else "definition"
                self._clauses(self._add(b, doc, role, context=ctx + label_ids), b, doc, ctx)
                continue
            self._clauses(self._add(b, doc, "fact", context=ctx), b, doc, ctx)

    def _clauses(self, parent: Statement, b: Block, doc: ParsedDocument, ctx: list[str]) -> None:
        """A line naming several entities ("S3 for storage, Glue for ETL, ... Clarify for bias") says
        something different of each: each clause that names one becomes a statement of its own."""
        label_ids = set(self.linker.ids(b.label)) if b.label else set()
        if len(set(parent.entities) - label_ids) < 2:
            return
        body_at = len(b.text) - len(b.value) if b.label else 0
        pieces = [(m.start() + body_at, m.group(0)) for m in re.finditer(r"[^,;:]+", b.text[body_at:])]
        named = [(at, t) for at, t in pieces if self.linker.ids(t)]
        if len(named) < 2:
            return
        parent.split = True
        for at, t in named:
            m = re.match(r"\s*(?:(?:and|or|then)\s+)?", t)
            lead = m.end() if m else 0
            text = t[lead:].rstrip().rstrip(".")
            # The line's label travels with each clause ("AWS services" for "Amazon S3").
            self._add(b, doc, "clause", text=text, start=b.start + at + lead, context=ctx, cue=b.label)

    def _glossary_statements(self, doc: ParsedDocument) -> None:
        for b in doc.blocks:
            if not (b.path and b.label and b.label.lower() in GLOSSARY_FIELDS):
                continue
            key, role = GLOSSARY_FIELDS[b.label.lower()]
            if not role:
                continue
            eid = slug(b.path[-1])
            offset = b.start + len(b.text) - len(b.value)
            parts = split_list(b.value, ";") if key in _CUE_FIELDS else [b.value]
            for part in parts:
                at = b.text.find(part)
                start = b.start + at if at >= 0 else offset
                self._add(b, doc, role, text=part, start=start, context=[eid])

    def _sequences(self, doc: ParsedDocument) -> None:
        by_heading = {}
        for parent, heads in doc.children.items():
            numbered = [h for h in heads if h.number is not None]
            if len(numbered) >= 3:
                steps = [{"number": h.number, "text": h.text, "entities": self.linker.ids(h.text)} for h in numbered]
                by_heading[parent] = Sequence(parent, doc.source, steps)
        runs: dict[str, list[Block]] = {}
        for b in doc.blocks:
            if b.kind == "step":
                runs.setdefault(b.section, []).append(b)
        for section, blocks in runs.items():
            if len(blocks) >= 3:
                steps = [
                    {"number": b.number, "text": b.text, "entities": self.linker.ids(b.label or b.text)} for b in blocks
                ]
                by_heading[section] = Sequence(section.split(" > ")[-1], doc.source, steps)
        self.kb.sequences += list(by_heading.values())

    def build(self) -> tuple[Knowledge, Linker]:
        for doc in self.docs:
            if doc.kind == "glossary":
                self._glossary(doc)
        for doc in self.docs:
            if doc.kind != "glossary":
                self._guide_entities(doc)
        for doc in self.docs:
            if doc.kind == "glossary":
                self._glossary_statements(doc)
            else:
                self._guide_statements(doc)
                self._sequences(doc)
        for s in self.kb.statements:
            if s.doc_kind != "glossary":
                for eid in s.entities:
                    self.kb.entities[eid].mentions += 1
        return self.kb, self.linker


def build_knowledge(docs: Seq[Document]) -> tuple[Knowledge, Linker]:
    return Builder(docs).build()


def linker_for(kb: Knowledge) -> Linker:
    linker = Linker()
    for e in kb.entities.values():
        linker.add_all(e.aliases, e.id)
    return linker


def _lowercase_words(docs: Seq[Document]) -> set[str]:
    """Words the documents use in lower case mid-sentence (ordinary words, not names)."""
    out = set()
    for d in docs:
        for m in re.finditer(r"(?<=[a-z,;] )([a-z][a-z\-]+)", d.text):
            out.add(m.group(1))
    return out


__all__ = ["GLOSSARY_FIELDS", "build_knowledge", "linker_for", "slug", "tokens"]
