"""Families read off the corpus's numbered sequences: the next step, the first step, the order of
four steps, and the phase of an activity listed under one step heading."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from assistant.knowledge.model import Sequence
from assistant.knowledge.words import content
from assistant.services.exam.facts import Fact, _label, _lower, _strip_number, sequence_name
from assistant.services.exam.lookups import Lookups


class SequenceFamilies(Lookups):
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
            two = bool(self._other_steps(q, heads, s.id) - {step})
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
                flaw="activity_in_two_phases" if two else "",
            )

    def _other_steps(self, q: Sequence, heads: dict[str, int], i: int) -> set[int]:
        """The steps the documents tie the activity of statement i to: for each entity it names, the steps
        named beside that entity anywhere (a glossary "Lifecycle" line, "bias can enter through data
        collection") and the step headings its lines stand under; and the steps under whose heading
        another line shares one of its distinctive words. One step: a fair phase question."""
        steps: set[int] = set()
        for x in self.st[i].entities:
            if q.position(x) is not None:
                continue  # the activity names a step itself
            for j in self.kb.statements_about({x}):
                t = self.st[j]
                steps |= {q.position(y) for y in t.entities if q.position(y) is not None}
                steps |= {heads[h] for h in [_strip_number(t.leaf)] if h in heads and t.doc_kind == "guide"}
        words = {w for w in content(self.st[i].text) if self.distinct(w)}
        for t in self.st:
            head = heads.get(_strip_number(t.leaf)) if t.doc_kind == "guide" and t.id != i else None
            if head is not None and words & content(t.text):
                steps.add(head)
        return steps

    def _step_statement(self, q: Sequence, k: int) -> int | None:
        text = q.steps[k]["text"]
        for s in self.st:
            if s.source != q.source or s.role not in ("step", "fact", "list", "definition"):
                continue
            if s.text == text or (_strip_number(s.leaf) == _strip_number(text) and not s.text.endswith(":")):
                return s.id
        return None
