"""Taking practice exams: grade an attempt, record it in the question bank, look back over past attempts.

The web UI and the CLI call this service; neither reaches into the bank or the store itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.services.exam.bank import Attempt, Mistake, QuestionBank
from assistant.services.exam.items import ExamItem, split_answer
from assistant.services.text import is_correct as letters_correct
from assistant.services.topics import known_phase
from assistant.types import Chunk

UNANSWERED = "-"  # a matching premise left without an option: keeps the other premises in their places


@dataclass(frozen=True)
class Graded:
    item: ExamItem
    chosen: tuple[str, ...]
    correct: bool

    @property
    def pairs_right(self) -> tuple[int, int] | None:
        """Matching items: (premises matched right, premises); None for other types."""
        return pairs_right(self.item, self.chosen) if self.item.type == "matching" else None


def chosen_letters(item: ExamItem, chosen: str | Sequence[str]) -> tuple[str, ...]:
    """What was chosen, as letters ("b, d" or ["B", "", "D"] -> ("B", "D")). Matching: one entry per
    premise ("C,,B" or ["C", "", "B"] -> ("C", "-", "B")), UNANSWERED for a blank one."""
    if item.type != "matching":
        return tuple(split_answer(chosen))
    if isinstance(chosen, str):
        chosen = chosen.split(",")
    padded = [*chosen, *[""] * (len(item.premises) - len(chosen))][: len(item.premises)]
    return tuple((c or "").strip().upper() or UNANSWERED for c in padded)


def pairs_right(item: ExamItem, chosen: str | Sequence[str]) -> tuple[int, int]:
    """How many premises of a matching item got their option: (right, premises)."""
    picked = chosen_letters(item, chosen)
    return sum(p == k for p, k in zip(picked, item.keys, strict=True)), len(item.keys)


def is_correct(item: ExamItem, chosen: str | Sequence[str]) -> bool:
    """Single/multi: the same set of letters. Ordering: the same letters in the same order. Matching:
    every premise matched right (partial credit is reported by `pairs_right`, never counted correct)."""
    if item.type == "matching":
        right, total = pairs_right(item, chosen)
        return right == total
    return letters_correct(chosen, item.keys, ordered=item.ordered)


def grade(items: Sequence[ExamItem], answers: Sequence[Sequence[str]]) -> list[Graded]:
    return [Graded(item, chosen_letters(item, a), is_correct(item, a)) for item, a in zip(items, answers)]


def case_groups(items: Sequence[ExamItem]) -> list[list[ExamItem]]:
    """The items as they are asked: a stand-alone item alone, a case study's questions together at the
    place of its first question (so its scenario is shown once, right before them)."""
    groups: list[list[ExamItem]] = []
    by_case: dict[str, list[ExamItem]] = {}
    for item in items:
        if item.case is None:
            groups.append([item])
        elif item.case.id in by_case:
            by_case[item.case.id].append(item)
        else:
            by_case[item.case.id] = [item]
            groups.append(by_case[item.case.id])
    return groups


def phase_breakdown(graded: Iterable[Graded], topics: Sequence[str] = ()) -> dict[str, tuple[int, int]]:
    """phase -> (correct, answered). A phase that names one of the corpus's `topics` counts under it, in
    the topics' order; other phases follow in the order they first appear."""
    out: dict[str, list[int]] = {}
    for g in graded:
        row = out.setdefault(known_phase(g.item.phase, topics) or g.item.phase, [0, 0])
        row[0] += int(g.correct)
        row[1] += 1
    order = {p: i for i, p in enumerate(topics)}
    return {p: (c, n) for p, (c, n) in sorted(out.items(), key=lambda kv: order.get(kv[0], len(order)))}


@dataclass
class Scored:
    """A graded attempt, and the guide passages its questions cite (for the explanations)."""

    graded: list[Graded]
    chunks: dict[str, Chunk]
    topics: Sequence[str] = ()  # the corpus's topics, for the order of `by_phase`

    @property
    def by_phase(self) -> dict[str, tuple[int, int]]:
        return phase_breakdown(self.graded, self.topics)


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
    def __init__(
        self,
        bank: QuestionBank,
        chunk: Callable[[str], Chunk | None],
        topics: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self.bank = bank
        self._chunk = chunk  # chunk id -> the indexed passage, or None when it is gone
        self._topics = topics  # the corpus's topics, read when needed (they change when the corpus does)

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
        return Scored(graded, chunks, self._topics())

    def weakest_phases(self, n: int = 2) -> list[str]:
        """The weakest topics a new exam can be written on (phases of old or loaded items are left out)."""
        return self.bank.weakest_phases(n=n, topics=self._topics(), known_only=True)

    def mistakes(self, limit: int | None = None) -> list[Mistake]:
        """Items whose latest answer was wrong, most recent first: what a review of missed items asks."""
        return self.bank.mistakes(limit=limit)

    def history(self, limit: int = 50, *, weakest: int = 2) -> History:
        attempts = self.bank.attempts(limit=limit)
        items = {a.item_id: item for a in attempts if (item := self.bank.get(a.item_id)) is not None}
        topics = self._topics()
        return History(
            stats=self.bank.phase_stats(topics),
            weakest=self.bank.weakest_phases(n=weakest, topics=topics),
            attempts=attempts,
            items=items,
            mistakes=self.bank.mistakes(limit=limit),
        )
