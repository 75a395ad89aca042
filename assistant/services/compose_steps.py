"""The documents' ordered lists for the composer: a whole sequence in order, its first or last step, the
step before or after one a question names (or describes in its own words), and what the documents say of
a step. Also the one sentence type every composed answer is made of (`Lead`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.knowledge.model import Entity, Statement
from assistant.knowledge.model import Sequence as Seq
from assistant.knowledge.service import KnowledgeBase
from assistant.services.compose_asks import anchor, ask_parts

ENDS = re.compile(r"\b(first|last|final|initial)\s+(?:step|phase|stage)\b", re.IGNORECASE)
ANCHOR_MIN_SIMILARITY = 0.5
STEP_LINES = 4  # lines quoted under a step that is a heading (a phase lists three or four things done in it)


@dataclass(frozen=True)
class Lead:
    """One sentence of the composed answer: its text and the statement that backs it."""

    text: str
    statement: Statement

    @property
    def quoted(self) -> bool:
        """A statement shown in the documents' words (possibly after the name of what it is about)."""
        return self.text.endswith("\u201d")


class Steps:
    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.kb = knowledge

    def headings(self) -> list[Entity]:
        """Entities that are steps of a sequence of headings (a guide's phases), whatever they are called."""
        out = []
        for seq in self.kb.kb.sequences:
            for step in seq.steps:
                out += [self.kb.entity(i) for i in step["entities"] if self.kb.entity(i).heading]
        return list({e.id: e for e in out}.values())

    def sequence_for(self, question: str) -> Seq | None:
        """The documents' ordered list a question is about: the one whose title and steps read closest to it."""
        seqs = self.kb.kb.sequences
        if not seqs:
            return None
        texts = [f"{q.title}: " + "; ".join(step["text"] for step in q.steps) for q in seqs]
        vecs = self.kb.encode([question, *texts])
        sims = vecs[1:] @ vecs[0]
        return seqs[int(np.argmax(sims))]

    def listing(self, question: str) -> list[Lead]:
        seq = self.sequence_for(question)
        if seq is None:
            return []
        statements = [s for step in seq.steps if (s := self.step_statement(step)) is not None]
        if not statements:
            return []
        names = "; ".join(f"{n}. {step_name(step)}" for n, step in enumerate(seq.steps, start=1))
        return [Lead(f"In order: {names}.", statements[0])]

    def ends(self, question: str) -> list[Lead]:
        """ "What is the first step of ...?" names no step: the first (or last) step of the list it is about."""
        m = ENDS.search(question)
        seq = self.sequence_for(question) if m else None
        if seq is None:
            return []
        step = seq.steps[-1] if m.group(1).lower() in {"last", "final"} else seq.steps[0]
        return self.step_leads(step)

    def order(self, question: str) -> list[Lead]:
        ids = self.kb.linker.ids(question)
        seqs = self.kb.kb.sequences
        places = [(seq, pos) for seq in seqs for eid in ids if (pos := seq.position(eid)) is not None]
        places = places or self.anchored(question)
        if not places:
            return self.ends(question)
        backwards = re.search(r"\b(before|precedes?|prior)\b", question, re.IGNORECASE)
        for seq, pos in places:
            target = pos - 1 if backwards else pos + 1
            if 0 <= target < len(seq.steps):
                leads = self.step_leads(seq.steps[target])
                if leads:
                    return leads
        return []

    def anchored(self, question: str) -> list[tuple[Seq, int]]:
        """The steps an order question counts from when it names none the linker knows, in its own words
        ("before collecting any data" -> the data collection step), closest first."""
        # Counted from a step the question asks about, not one its situation mentions in passing ("her team
        # spends most of its hours before any training starts. Which phase takes that time?").
        words = anchor(" ".join(ask_parts(question)[1]))
        steps = [(seq, pos) for seq in self.kb.kb.sequences for pos in range(len(seq.steps))]
        if not words or not steps:
            return []
        names = [[step_name(seq.steps[pos]), *self.aliases(seq.steps[pos])] for seq, pos in steps]
        flat = [n for group in names for n in group]
        vecs = self.kb.encode([words, *flat])
        each = vecs[1:] @ vecs[0]
        ends = np.cumsum([len(group) for group in names])
        sims = np.array([each[end - len(group) : end].max() for group, end in zip(names, ends)])
        order = np.argsort(-sims)
        return [steps[int(i)] for i in order if sims[i] >= ANCHOR_MIN_SIMILARITY]

    def aliases(self, step: dict) -> list[str]:
        return [a for e in step["entities"] for a in self.kb.entity(e).aliases]

    def step_leads(self, step: dict) -> list[Lead]:
        """A step named, then what the documents say it is: its own line, or (a step that is a heading)
        the first lines under it, which list what is done in it."""
        s = self.step_statement(step)
        if s is None:
            return []
        heading = next((e for e in step["entities"] if self.kb.entity(e).heading), None)
        lines = self.lines_under(heading)[:STEP_LINES] if heading else []
        return [Lead(f"{step_name(step)}.", s)] + [Lead(quote(t.text), t) for t in (lines or [s])]

    def lines_under(self, eid: str) -> list[Statement]:
        kb = self.kb.kb
        return [s for s in kb.statements if eid in s.context and s.doc_kind == "guide" and s.role != "clause"]

    def step_statement(self, step: dict) -> Statement | None:
        """The statement that shows a step: its own line (a numbered list), or the first line under
        its heading (a numbered heading has no line of its own)."""
        kb = self.kb.kb
        for s in kb.statements:
            if s.role == "step" and s.text == step["text"]:
                return s
        # A step line about several things is stored as a whole line with its clauses beside it.
        for s in kb.statements:
            if s.doc_kind == "guide" and s.text == step["text"]:
                return s
        for eid in step["entities"]:
            under = [s for s in kb.statements if eid in s.context and s.doc_kind == "guide" and not s.split]
            if under:
                return under[0]
        return None


def step_name(step: dict) -> str:
    """ "Data Ingestion: Raw data lands in ..." -> "Data Ingestion"."""
    return step["text"].split(":")[0].strip()


def quote(text: str) -> str:
    return f"\u201c{text.strip()}\u201d"
