"""Practice-exam generation: plan topics, let the LLM write each scenario, build the item, check it.

Keys and distractors come from the guide's own lists (see plan.py), so they are right by construction;
the model writes the scenario wording as schema-constrained JSON (grammar on llama.cpp, `format` on
Ollama), with a retry and a repair for broken output. Every item then passes the checks in checks.py,
including a blind solve by the MCQ solver, before it is saved to the bank or shown.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError
from assistant.phases import PHASES
from assistant.prompts import PromptLibrary
from assistant.services.exam.bank import QuestionBank
from assistant.services.exam.checks import balance_keys, guide_terms, run_checks
from assistant.services.exam.items import ExamItem, read_items
from assistant.services.exam.plan import Fact, GuideFacts
from assistant.services.guide_lines import GuideLines
from assistant.services.mcq import MCQSolver
from assistant.services.mcq_parse import MCQ
from assistant.services.retrieve import Retriever
from assistant.services.text import sentences

Progress = Callable[[int, int, str], None]  # (accepted so far, requested, message)
COMPANIES = (
    "a retail company",
    "a bank",
    "a hospital",
    "a logistics firm",
    "a media company",
    "an insurance company",
    "a telecom provider",
    "a manufacturer",
    "an airline",
    "an online marketplace",
)
FAMILIES = {
    "easy": ("activity", "phase_service", "step_service"),
    "medium": ("activity", "phase_service", "step_service", "scenario"),
    "hard": ("phase_two", "scenario", "ordering", "step_service"),
}
SCENARIO_SCHEMA = {
    "type": "object",
    "properties": {"scenario": {"type": "string", "minLength": 20, "maxLength": 320}},
    "required": ["scenario"],
}
MAX_ATTEMPTS_PER_ITEM = 6
MIN_ON_TOPIC = 0.35  # cosine(scenario, fact) below which the model wrote about something else


@dataclass
class ExamRun:
    items: list[ExamItem]
    requested: int
    accepted: int
    rejected: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    template_stems: int = 0  # scenarios the model failed to write, worded from a template instead

    def summary(self) -> dict:
        return {
            "requested": self.requested,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 2),
            "seconds_per_accepted": round(self.seconds / self.accepted, 2) if self.accepted else None,
            "template_stems": self.template_stems,
        }


class ExamService:
    def __init__(
        self,
        *,
        retriever: Retriever,
        lines: GuideLines,
        llm: LLM,
        prompts: PromptLibrary,
        solver: MCQSolver,
        bank: QuestionBank,
        guide_text: str,
        eval_dir: Path,
    ) -> None:
        self.retriever = retriever
        self.lines = lines
        self.llm = llm
        self.prompts = prompts
        self.solver = solver
        self.bank = bank
        self.terms = guide_terms(guide_text)
        self.facts = GuideFacts(lines)
        self.eval_questions = _eval_questions(eval_dir)

    def generate(
        self,
        n: int,
        phases: Sequence[str] | None = None,
        difficulty: str = "medium",
        seed: int | None = None,
        progress: Progress | None = None,
    ) -> ExamRun:
        started = time.monotonic()
        # An explicit seed repeats an exam exactly; without one every exam is new (the same plan again
        # would only meet its own earlier questions in the bank and be rejected as duplicates).
        rng = random.Random(random.SystemRandom().randrange(1 << 30) if seed is None else seed)
        plan = self._plan(phases, difficulty, rng)
        run = ExamRun(items=[], requested=n, accepted=0)
        rejected: Counter[str] = Counter()
        seen = self.bank.questions()
        progress = progress or (lambda *_: None)
        tries = 0
        while run.accepted < n and plan and tries < n * MAX_ATTEMPTS_PER_ITEM:
            tries += 1
            fact = plan.pop(0)
            progress(run.accepted, n, f"Writing a question on {fact.phase}…")
            item, reasons, templated = self._one(fact, difficulty, rng, seen)
            if reasons:
                rejected.update(reasons)
                continue
            run.items.append(item)
            run.template_stems += templated
            seen.append(item.question)
            run.accepted += 1
            progress(run.accepted, n, f"{run.accepted} of {n} questions ready")
        run.items = balance_keys(run.items, seed=rng.randrange(1 << 30))
        self.bank.add_items(run.items)
        run.rejected = dict(rejected)
        run.seconds = time.monotonic() - started
        return run

    def _plan(self, phases: Sequence[str] | None, difficulty: str, rng: random.Random) -> list[Fact]:
        """Round-robin over phases so a set covers the guide, each fact at most once."""
        kinds = FAMILIES.get(difficulty, FAMILIES["medium"])
        facts = [f for f in self.facts.facts() if f.kind in kinds and (not phases or f.phase in phases)]
        if "ordering" in kinds and (not phases or "ML Pipelines and MLOps" in phases):
            facts += [o for o in (self.facts.ordering(rng) for _ in range(3)) if o]
        rng.shuffle(facts)
        # Facts that share a phase's work description would read alike: one of each kind per phase.
        once: set[tuple[str, str]] = set()
        by_phase: dict[str, list[Fact]] = {}
        for f in facts:
            if f.kind in {"phase_service", "phase_two"}:
                if (f.kind, f.phase) in once:
                    continue
                once.add((f.kind, f.phase))
            by_phase.setdefault(f.phase, []).append(f)
        for facts_of_phase in by_phase.values():  # one ordering item comes first where there is one
            ordering = [f for f in facts_of_phase if f.kind == "ordering"]
            if ordering:
                facts_of_phase.remove(ordering[0])
                facts_of_phase.append(ordering[0])
        order = [p for p in PHASES if p in by_phase]
        rng.shuffle(order)
        plan: list[Fact] = []
        while any(by_phase.values()):
            for p in order:
                if by_phase[p]:
                    plan.append(by_phase[p].pop())
        return plan

    def _one(
        self, fact: Fact, difficulty: str, rng: random.Random, seen: list[str]
    ) -> tuple[ExamItem | None, list[str], int]:
        company = rng.choice(COMPANIES)
        scenario, templated = self._scenario(fact, company)
        raw = build_item(fact, scenario, difficulty, rng)
        # Passages retrieved for the planned topic and for the fact's own wording; the quote check
        # then proves that the key's supporting line really is in one of them.
        queries = [f"{fact.text} {' '.join(fact.keys)}", fact.lines[0].text]
        passages = {p.chunk.id: p.chunk.text for q in queries for p in self.retriever.search(q, k=4)}
        solver = None if fact.kind == "ordering" else self._blind_solver
        reasons = run_checks(
            raw,
            passages=passages,
            guide_terms=self.terms,
            bank_questions=seen,
            eval_questions=self.eval_questions,
            solver=solver,
        )
        return (None if reasons else ExamItem.from_json(raw)), reasons, int(templated)

    def _on_topic(self, scenario: str, fact: Fact) -> bool:
        """The scenario must be about the fact: closer to it than to any other phase's lines."""
        encode = self.retriever.embedder.encode
        vecs = encode([scenario, fact.text])
        if float(vecs[0] @ vecs[1]) < MIN_ON_TOPIC:
            return False
        if fact.kind not in {"activity", "phase_service", "phase_two"}:
            return True
        sims = self.lines.similarity(scenario)
        best = self.lines.lines[max(range(len(self.lines.lines)), key=lambda i: sims[i])]
        return best in self.facts.phase_lines.get(fact.phase, [])

    def _blind_solver(self, question: str, options: dict[str, str]) -> list[str]:
        n = 2 if "(Choose TWO" in question else 1
        return self.solver.solve(MCQ(question, options, n)).choice

    def _scenario(self, fact: Fact, company: str) -> tuple[str, bool]:
        """The model writes the situation (JSON); checked, retried once, then a plain template."""
        if fact.kind == "ordering":
            return f"{company[0].upper() + company[1:]} is setting up a typical AWS ML pipeline.", False
        style = self.llm.style
        prompt = self.prompts.render("exam_scenario", style, fact=fact.text, company=company)
        for attempt in range(2):
            try:
                text = (
                    self.llm.generate_json(prompt, SCENARIO_SCHEMA, max_tokens=100)
                    if attempt == 0
                    else self.llm.complete(prompt, max_tokens=100, stop=["\n"])
                )
            except AssistantError:
                continue
            scenario = _parse_scenario(text)
            if scenario and _scenario_ok(scenario, fact) and self._on_topic(scenario, fact):
                return scenario, False
        return _template(fact, company), True


def build_item(fact: Fact, scenario: str, difficulty: str, rng: random.Random) -> dict:
    """The item as JSON: options, key, explanations and citations all from the fact."""
    if fact.kind == "ordering":
        return _ordering_item(fact, scenario, difficulty, rng)
    # Distractors of about the key's length, so length gives nothing away (4 options, or 5 for choose-two).
    target = sum(len(k) for k in fact.keys) / len(fact.keys)
    near = sorted(fact.pool, key=lambda s: (abs(len(s) - target), s))[:7]
    wrong = rng.sample(near, 3)
    options_list = list(fact.keys) + wrong
    rng.shuffle(options_list)
    letters = "ABCDE"[: len(options_list)]
    options = dict(zip(letters, options_list))
    keys = [k for k, v in options.items() if v in fact.keys]
    quote = fact.lines[0]
    explanations = {}
    for k, v in options.items():
        if v in fact.keys:
            explanations[k] = f"Correct: the guide ties {v} to this under “{quote.leaf}”: “{quote.text}”."
        else:
            explanations[k] = f"Not this one: {v} belongs to another part of the lifecycle, not “{quote.leaf}”."
    return {
        "type": "multi" if len(keys) > 1 else "single",
        "question": f"{scenario} {fact.ask}",
        "options": options,
        "answer": ",".join(sorted(keys)),
        "explanations": explanations,
        "citations": [{"id": ln.chunk_id, "section": ln.section, "quote": ln.text} for ln in fact.lines],
        "phase": fact.phase,
        "difficulty": difficulty,
    }


def _ordering_item(fact: Fact, scenario: str, difficulty: str, rng: random.Random) -> dict:
    steps = list(fact.keys)
    shuffled = steps[:]
    while shuffled == steps:
        rng.shuffle(shuffled)
    options = dict(zip("ABCD", shuffled))
    order = [next(k for k, v in options.items() if v == s) for s in steps]
    explanations = {
        k: f"Step {steps.index(v) + 1} of these four in the guide's typical pipeline." for k, v in options.items()
    }
    return {
        "type": "ordering",
        "question": f"{scenario} {fact.ask}",
        "options": options,
        "answer": ",".join(order),
        "explanations": explanations,
        "citations": [{"id": ln.chunk_id, "section": ln.section, "quote": ln.text} for ln in fact.lines],
        "phase": fact.phase,
        "difficulty": difficulty,
    }


def _parse_scenario(text: str) -> str | None:
    """The scenario from the model's JSON; a broken object is repaired when the string is intact."""
    try:
        value = json.loads(text).get("scenario")
    except (ValueError, AttributeError):
        m = re.search(r'"scenario"\s*:\s*"((?:[^"\\]|\\.)*)', text) or re.match(r"\s*([A-Z][^{}\n]{20,})", text)
        value = m.group(1) if m else None
    if not isinstance(value, str):
        return None
    value = " ".join(value.split()).strip()
    value = _before_question(value)  # we add the question ourselves
    return value if value.endswith(".") else (value + "." if value else None)


def _before_question(text: str) -> str:
    """The sentences of `text` before the first question ("Which ...", or anything ending in "?")."""
    kept: list[str] = []
    for sentence in sentences(text):
        if sentence.startswith(("Which", "What", "How")):
            break
        kept.append(sentence.split("?")[0])
        if "?" in sentence:
            break
    return " ".join(kept).strip()


def _scenario_ok(scenario: str, fact: Fact) -> bool:
    low = scenario.lower()
    if not 30 <= len(scenario) <= 320:
        return False
    for key in fact.keys:  # the scenario must not name the answer
        core = key.lower().removeprefix("amazon ").removeprefix("aws ").removeprefix("sagemaker ")
        if core in low or key.lower() in low:
            return False
    return not re.search(r"https?://|!\[|\[a service\]", scenario)


def _template(fact: Fact, company: str) -> str:
    if fact.kind == "activity":
        return f"{_owner(company)} ML team is working to {fact.text[0].lower() + fact.text[1:]}."
    if fact.kind in {"phase_service", "phase_two"}:
        work = fact.text.removeprefix("The team's work: ").split(";")[0]
        return f"{_owner(company)} ML team is focused on this work: {work[0].lower() + work[1:]}."
    if fact.kind == "step_service":
        step = fact.text.split(":", 1)[1].strip().replace("[a service]", "a managed AWS service")
        return f"In {company.split(' ', 1)[1]}'s ML pipeline, {step[0].lower() + step[1:]}."
    return f"{company[0].upper() + company[1:]} needs a solution for {fact.text.removeprefix('a company ')}."


def _owner(company: str) -> str:
    """'an airline' -> "An airline's"."""
    return f"{company[0].upper() + company[1:]}'s"


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
