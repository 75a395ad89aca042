"""Taking practice exams: grade an attempt, record it in the question bank, look back over past attempts.

The web UI and the CLI call this service; neither reaches into the bank or the store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.phases import PHASES
from assistant.services.exam.bank import Attempt, Mistake, QuestionBank
from assistant.services.exam.items import ExamItem
from assistant.services.text import is_correct as letters_correct
from assistant.types import Chunk


@dataclass(frozen=True)
class Graded:
    item: ExamItem
    chosen: tuple[str, ...]
    correct: bool


def is_correct(item: ExamItem, chosen: Sequence[str]) -> bool:
    """Single/multi: the same set of letters. Ordering: the same letters in the same order."""
    return letters_correct(chosen, item.keys, ordered=item.type == "ordering")


def grade(items: Sequence[ExamItem], answers: Sequence[Sequence[str]]) -> list[Graded]:
    return [Graded(item, tuple(a), is_correct(item, a)) for item, a in zip(items, answers)]


def phase_breakdown(graded: Iterable[Graded]) -> dict[str, tuple[int, int]]:
    """phase -> (correct, answered), in lifecycle order (phases the guide does not list come last)."""
    out: dict[str, list[int]] = {}
    for g in graded:
        row = out.setdefault(g.item.phase, [0, 0])
        row[0] += int(g.correct)
        row[1] += 1
    order = {p: i for i, p in enumerate(PHASES)}
    return {p: (c, n) for p, (c, n) in sorted(out.items(), key=lambda kv: order.get(kv[0], len(order)))}


@dataclass
class Scored:
    """A graded attempt, and the guide passages its questions cite (for the explanations)."""

    graded: list[Graded]
    chunks: dict[str, Chunk]

    @property
    def by_phase(self) -> dict[str, tuple[int, int]]:
        return phase_breakdown(self.graded)


@dataclass
class History:
    """Everything the review view shows: per-phase stats, the weakest phases, recent answers, mistakes."""

    stats: dict[str, dict[str, Any]]
    weakest: list[str]
    attempts: list[Attempt]
    items: dict[str, ExamItem]
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def by_phase(self) -> dict[str, tuple[int, int]]:
        return {p: (s["correct"], s["answered"]) for p, s in self.stats.items()}


class ExamSessionService:
    def __init__(self, bank: QuestionBank, chunk: Callable[[str], Chunk | None]) -> None:
        self.bank = bank
        self._chunk = chunk  # chunk id -> the indexed passage, or None when it is gone

    def add(self, items: Sequence[ExamItem]) -> None:
        """Questions loaded from a file join the bank, so their attempts can be recorded."""
        self.bank.add_items(items)

    def submit(self, items: Sequence[ExamItem], answers: Sequence[Sequence[str]], *, session: str = "") -> Scored:
        """Grade one attempt and record every answer in the bank under `session`."""
        graded = grade(items, answers)
        self.bank.add_items(items)  # generated items are already there; loaded files may not be
        for g in graded:
            self.bank.record_attempt(g.item.id, list(g.chosen), g.correct, session=session)
        chunks = {c.id: chunk for i in items for c in i.citations if (chunk := self._chunk(c.id))}
        return Scored(graded, chunks)

    def weakest_phases(self, n: int = 2) -> list[str]:
        return self.bank.weakest_phases(n=n)

    def history(self, limit: int = 50, *, weakest: int = 2) -> History:
        attempts = self.bank.attempts(limit=limit)
        items = {a.item_id: item for a in attempts if (item := self.bank.get(a.item_id)) is not None}
        return History(
            stats=self.bank.phase_stats(),
            weakest=self.bank.weakest_phases(n=weakest),
            attempts=attempts,
            items=items,
            mistakes=self.bank.mistakes(limit=limit),
        )
