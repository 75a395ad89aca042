"""Practice-exam generation on the knowledge layer: plan facts from every item family the corpus
supports (families.py, plan.py), word each stem from templates (stems.py, prompts/exam_stems.toml),
build the item (render.py) and check it (checks.py: schema, citations, flaws, no copied corpus text,
duplicates, and a blind solve by the MCQ solver). Asked for N, it delivers N or says why not.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.adapters.llm.base import LLM
from assistant.knowledge.options import option_evidence
from assistant.knowledge.service import KnowledgeBase
from assistant.prompts import PromptLibrary
from assistant.services.corpus import Document
from assistant.services.exam.bank import QuestionBank
from assistant.services.exam.checks import CorpusShingles, balance_keys, guide_terms, run_checks
from assistant.services.exam.families import Fact, FactFinder, Topics
from assistant.services.exam.items import ExamItem, read_items
from assistant.services.exam.plan import Caps, cases, fact_signatures, order, signature
from assistant.services.exam.render import Cite, Renderer
from assistant.services.exam.stems import Shingles, StemBook, case_problem, stem_problem
from assistant.services.exam.writer import ScenarioWriter
from assistant.services.mcq import MCQSolver
from assistant.services.mcq_parse import MCQ
from assistant.services.retrieve import Retriever

Progress = Callable[[int, int, str], None]  # (delivered so far, requested, message)
SURE_MARGIN = 0.1  # knowledge-evidence lead of the top option(s) that needs no model to confirm


@dataclass
class ExamRun:
    items: list[ExamItem]
    requested: int
    accepted: int
    rejected: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    template_stems: int = 0  # delivered stems worded by templates (the rest: a chat model wrote the situation)
    shortfall: str = ""  # why fewer than requested were delivered ("" when all were)
    pool_remaining: int = 0  # unused facts left for later exams (with the same topic filter)

    def summary(self) -> dict:
        return {
            "requested": self.requested,
            "delivered": self.accepted,
            "accepted": self.accepted,
            "shortfall": self.shortfall or None,
            "rejected": self.rejected,
            "pool_remaining": self.pool_remaining,
            "pool_used_up": self.pool_remaining == 0,
            "families": dict(Counter(i.family or "?" for i in self.items)),
            "types": dict(Counter(i.type for i in self.items)),
            "seconds": round(self.seconds, 2),
            "seconds_per_delivered": round(self.seconds / self.accepted, 2) if self.accepted else None,
            "template_stems": self.template_stems,
        }


class ExamService:
    def __init__(
        self,
        *,
        knowledge: KnowledgeBase,
        retriever: Retriever,
        llm: LLM,
        prompts: PromptLibrary,
        solver: MCQSolver,
        bank: QuestionBank,
        docs: Sequence[Document],
        eval_dir: Path,
    ) -> None:
        self.kb = knowledge
        self.retriever = retriever
        self.llm = llm
        self.solver = solver
        self.bank = bank
        self.corpus_lines = [line for d in docs for line in d.text.splitlines() if line.strip()]
        self.book = StemBook.load(prompts.directory / "exam_stems.toml", self.corpus_lines)
        self.shingles = Shingles(self.corpus_lines)
        self.corpus_shingles = CorpusShingles.of(self.corpus_lines)  # built once, not per draft
        self.topics = Topics.of(docs)
        self.terms = guide_terms("\n\n".join(d.text for d in docs))
        self.eval_questions = _eval_questions(eval_dir)
        # A chat model writes the situation of a stem (checked like a template's); a base model never does.
        writer = ScenarioWriter(llm, prompts, knowledge, self.shingles) if getattr(llm, "style", "") == "chat" else None
        self.renderer = Renderer(knowledge, self.book, self._cite, writer)
        self._keys: dict[str, list[str]] = {}

    @cached_property
    def facts(self) -> list[Fact]:
        """Every fact the corpus supports (built once per service: about a second)."""
        return FactFinder(self.kb, self.book, self.shingles, self.topics).all()

    def generate(
        self,
        n: int,
        phases: Sequence[str] | None = None,
        difficulty: str = "medium",
        seed: int | None = None,
        progress: Progress | None = None,
    ) -> ExamRun:
        started = time.monotonic()
        rng = random.Random(random.SystemRandom().randrange(1 << 30) if seed is None else seed)
        used = self._used()
        singles = [f for f in self.facts if f.family == "service" and not f.flaw]
        queue = order([*self.facts, *cases(singles, rng, 3), *cases(singles, rng, 2)], rng, used, self._quote, phases)
        run = ExamRun([], n, 0)
        fill = _Fill(n, used, self.bank.questions())
        for f in queue:
            if len(run.items) >= n:
                break
            fill.tried += 1
            if fill.blocked(f, self._quote, len(run.items)):
                continue
            (progress or _quiet)(
                len(run.items), n, f"Writing a {f.family} question" + (f" on {f.phase}…" if f.phase else "…")
            )
            items, reasons = self._draft(f, rng, difficulty, fill.seen)
            if reasons:
                fill.rejected.update(reasons)
                continue
            run.items += items
            fill.accept(f, items, self._quote, by_model=self.renderer.last_by_model)
            (progress or _quiet)(len(run.items), n, f"{len(run.items)} of {n} questions ready")
        run.template_stems = len(run.items) - fill.by_model
        run.items = _balance(run.items, rng.randrange(1 << 30))
        self.bank.add_items(run.items)
        run.accepted, run.rejected = len(run.items), dict(fill.rejected)
        left = [f for f in [*fill.skipped, *queue[fill.tried :]] if not used & set(fact_signatures(f, self._quote))]
        run.pool_remaining = len({f.ident for f in left})
        run.shortfall = _shortfall(run, bool(fill.skipped))
        run.seconds = time.monotonic() - started
        return run

    # -- one draft --------------------------------------------------------------------------------
    def _draft(self, f: Fact, rng: random.Random, difficulty: str, seen: list[str]) -> tuple[list[ExamItem], list]:
        if f.flaw:  # found when the fact was read (a vague lone cue, an activity of two phases): no fair item
            return [], [f.flaw]
        drafts = (
            self.renderer.case(f, rng, difficulty) if f.family == "case" else [self.renderer.item(f, rng, difficulty)]
        )
        if not drafts or any(raw is None for raw, _ in drafts):
            return [], ["uncitable"]
        out = []
        for raw, passages in drafts:
            reasons = self._check(raw, passages, seen)
            if reasons:
                return [], reasons
            out.append(ExamItem.from_json(raw))
        return out, []

    def _check(self, raw: dict, passages: dict[str, str], seen: list[str]) -> list[str]:
        scenario = (raw.get("case") or {}).get("scenario", "")
        # A case question is asked of the one need it is about (the scenario lists them all).
        context = raw.pop("_need", scenario)
        problem = case_problem(scenario, raw["question"], self.shingles) if scenario else None
        problem = problem or (None if scenario else stem_problem(raw["question"], self.shingles))
        if problem:
            return [problem]
        for premise in raw.get("premises", []):
            if self.shingles.copied(premise):
                return ["verbatim_corpus"]
        solver = self._blind_solver(context) if raw["type"] in ("single", "multi") else None
        # The solver never sees the key; knowing it only lets a lost case skip the model's second opinion.
        self._keys = {raw["question"]: sorted(raw["answer"].split(","))}
        return run_checks(
            raw,
            passages=passages,
            guide_terms=self.terms,
            bank_questions=seen,
            eval_questions=self.eval_questions,
            solver=solver,
            corpus_lines=self.corpus_shingles,
            knowledge=self.kb,
        )

    def _blind_solver(self, scenario: str):
        """The MCQ solver answers without the key. Its knowledge evidence decides alone when it ranks
        another option first (a reject: the store may hold a second key) or the key(s) first by a clear
        margin (SURE_MARGIN); only a close win pays for the full solver with the model's option
        likelihood (2-4 s on 2 cores)."""

        def solve(question: str, options: dict[str, str]) -> list[str]:
            stem, n = f"{scenario} {question}".strip(), 2 if "TWO" in question else 1
            scores = {k: e.score for k, e in option_evidence(self.kb, stem, options).items()}
            ranked = sorted(scores, key=lambda k: -scores[k])
            top, rest = sorted(ranked[:n]), ranked[n:]
            keys = self._keys.get(question)
            if keys is not None and top != keys:
                return top
            if rest and scores[ranked[n - 1]] - scores[rest[0]] >= SURE_MARGIN:
                return top
            return self.solver.solve(MCQ(stem, options, n)).choice

        return solve

    # -- citations and the bank -------------------------------------------------------------------
    def _cite(self, i: int) -> Cite | None:
        s = self.kb.quotable(i) or self.kb.kb.statements[i]
        chunk = self.retriever.chunk_at(s.source, s.start, s.end)
        if chunk is None or " ".join(s.text.split()) not in " ".join(chunk.text.split()):
            return None
        return Cite(chunk.id, s.section or chunk.section, s.text, chunk.text)

    def _quote(self, i: int) -> str:
        s = self.kb.quotable(i) or self.kb.kb.statements[i]
        return s.text

    def _used(self) -> set[str]:
        """Facts already asked by an item in the bank: its key(s) with each line it cites."""
        out = set()
        for item in self.bank.items():
            keys = [item.options[k] for k in item.keys]
            out.update(signature(keys, c.quote) for c in item.citations)
        return out


def _quiet(*_: object) -> None:
    pass


@dataclass
class _Fill:
    """What one exam has taken so far: facts used, stems seen, caps, rejects by reason."""

    n: int
    used: set[str]
    seen: list[str]
    caps: Caps = field(init=False)
    rejected: Counter = field(default_factory=Counter)
    skipped: list[Fact] = field(default_factory=list)  # capped now, left for a later exam
    tried: int = 0
    by_model: int = 0

    def __post_init__(self) -> None:
        self.caps = Caps(self.n)

    def blocked(self, f: Fact, quote_of, have: int) -> bool:
        if any(s in self.used for s in fact_signatures(f, quote_of)):
            return True
        size = len(f.parts) if f.family == "case" else 1
        if not self.caps.allows(f) or have + size > self.n:
            self.skipped.append(f)
            return True
        return False

    def accept(self, f: Fact, items: list[ExamItem], quote_of, *, by_model: bool) -> None:
        self.used.update(fact_signatures(f, quote_of))
        self.seen += [i.question for i in items]
        self.caps.add(f, len(items))
        self.by_model += len(items) if by_model else 0


def _balance(items: list[ExamItem], seed: int) -> list[ExamItem]:
    """Key letters balanced over single/multi/ordering items; matching items keep their shuffle."""
    kinds = ("single", "multi", "ordering")
    balanced = iter(balance_keys([i for i in items if i.type in kinds], seed=seed))
    return [next(balanced) if i.type in kinds else i for i in items]


def _shortfall(run: ExamRun, capped: bool) -> str:
    missing = run.requested - len(run.items)
    if missing <= 0:
        return ""
    if run.pool_remaining == 0:
        return (
            f"{missing} fewer than asked: every fact the corpus supports for these topics is already in the "
            "question bank (the pool is used up). Review your missed questions, or add a guide to corpus/."
        )
    why = "the quality checks rejected the other drafts"
    if capped:
        why = "the facts left are of kinds one exam may hold only a few of (phase, ordering, matching, case)"
    return f"{missing} fewer than asked: {why}; {run.pool_remaining} unused facts are left for later exams."


def _eval_questions(eval_dir: Path) -> list[str]:
    out: list[str] = []
    # The eval sets live in split folders (evals/dev, evals/test); a flat folder still works.
    folders = [eval_dir, *sorted(p for p in eval_dir.iterdir() if p.is_dir())] if eval_dir.is_dir() else []
    for path in (folder / "mcq.jsonl" for folder in folders):
        if path.exists():
            out += [i.question for i in read_items(path).items]  # lenient: a bad line must not stop exams
    names = ("open.jsonl", "retrieval.jsonl", "out_of_scope.jsonl")
    for path in (folder / name for folder in folders for name in names):
        if path.exists():
            out += [
                json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            ]
    return out
