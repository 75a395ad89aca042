"""The evaluator: runs the assistant on eval sets through the same `AnswerService.ask` a user's question
goes through, so the numbers describe the product, not a component. Open questions are asked once
and reused by every suite of a split."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import GenerationError, InputError
from assistant.services import metrics as m
from assistant.services.evaluation import score as sc
from assistant.services.evaluation.load import EvalItem, EvalSet
from assistant.services.evaluation.matching import best_assignment, choice_scores, premise_question
from assistant.services.evaluation.report import Report, Run
from assistant.services.topics import corpus_topics, match_topic

Progress = Callable[[str, int, int], None]  # (stage, done, total), like IngestService.run
NO_CLAIM_CHECKER = "skipped: the assistant has no claim checker (container.claim_checker) to test"


@dataclass
class _Asked:
    answer: Any  # assistant.services.answer.Answer, or None when the assistant raised
    latency_s: float
    error: str = ""


def with_llm(settings: Any, backend: str | None, model: str | None) -> Any:
    """A copy of `settings` with a run's --backend/--model, for a Container built from it. A model ending
    in .gguf is the embedded backend's GGUF file; any other name is the Ollama tag."""
    update: dict[str, Any] = {}
    if backend:
        update["backend"] = backend
    if model and model.endswith(".gguf"):
        update["gguf_path"] = Path(model)
    elif model:
        update["ollama_model"] = model
    if not update:
        return settings
    return settings.model_copy(update={"llm": settings.llm.model_copy(update=update)})


class Evaluator:
    """Runs suites against an AnswerService and a Retriever. `progress(stage, done, total)` is called as
    items finish. `topics`: the corpus's topics (`services.topics`), which MCQ phases are grouped under
    when they name one.
    `claim_checker`: a zero-argument callable giving the object whose `verdict(sentence) -> bool` the
    claims suite tests (None when the assistant has none). Deterministic for a fixed backend and seed."""

    def __init__(
        self,
        answers: Any,
        retriever: Any,
        *,
        progress: Progress | None = None,
        meta: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        topics: Sequence[str] = (),
        claim_checker: Callable[[], Any] | None = None,
    ) -> None:
        self.answers = answers
        self.retriever = retriever
        self.progress = progress or (lambda *_: None)
        self.meta = dict(meta or {})
        self.clock = clock
        self.topics = list(topics)
        self.claim_checker = claim_checker or (lambda: None)
        self._asked: dict[str, _Asked] = {}

    @classmethod
    def from_container(cls, container: Any, *, progress: Progress | None = None) -> Evaluator:
        s = container.settings
        meta = {"seed": s.llm.seed, "temperature": s.llm.temperature, "embedding": s.embedding.model}
        meta["k"] = s.retrieval.k
        return cls(
            container.answers,
            container.retriever,
            progress=progress,
            meta=meta,
            topics=guide_topics(s),
            # Looked up only when a split has claims: building the checker may load a knowledge store.
            claim_checker=lambda: getattr(container, "claim_checker", None),
        )

    @property
    def backend(self) -> str:
        return self.answers.llm.backend

    @property
    def model(self) -> str:
        return self.answers.llm.model

    def _ask(self, question: str) -> _Asked:
        if question not in self._asked:
            start = self.clock()
            try:
                answer, error = self.answers.ask(question), ""
            except (InputError, GenerationError) as e:  # this item's problem; a dead backend still stops the run
                answer, error = None, str(e)
            self._asked[question] = _Asked(answer, self.clock() - start, error)
        return self._asked[question]

    def _each(self, stage: str, rows: Sequence[Any]) -> Iterator[Any]:
        self.progress(stage, 0, len(rows))
        for i, row in enumerate(rows, start=1):
            yield row
            self.progress(stage, i, len(rows))

    def topic(self, phase: str | None) -> str:
        """The group an item's phase is reported under: a corpus topic it names, else the phase as given."""
        return match_topic(phase, self.topics) or phase or sc.NO_PHASE

    def run_mcq(self, items: Sequence[EvalItem]) -> dict[str, Any]:
        scorable = [i for i in items if i.type != "ordering"]  # the solver picks options, it does not order them
        records = []
        for item in self._each("mcq", scorable):
            records.append(self._matching_record(item) if item.type == "matching" else self._mcq_record(item))
        skipped = [i.id for i in items if i.type == "ordering"]
        return sc.summarize_mcq(records, skipped=skipped, topics=self.topics)

    def _record(self, item: EvalItem, pick: str, correct: bool, latency_s: float, method: str) -> dict[str, Any]:
        return {
            "id": item.id,
            "phase": item.phase or sc.NO_PHASE,
            "topic": self.topic(item.phase),
            "type": item.type,
            "case": bool(item.scenario),
            "pick": pick,
            "gold": item.answer,
            "correct": correct,
            "latency_s": round(latency_s, 3),
            "method": method,
            "question": item.question,
            "options": item.options,
        }

    def _mcq_record(self, item: EvalItem) -> dict[str, Any]:
        asked = self._ask(item.text())
        mcq = asked.answer.mcq if asked.answer is not None else None
        pick = ",".join(mcq.choice) if mcq else ""
        failure = "error" if asked.error else "not parsed as a multiple-choice question"
        correct = bool(pick) and m.mcq_correct(pick, item.answer)
        return self._record(item, pick, correct, asked.latency_s, mcq.method if mcq else failure)

    def _matching_record(self, item: EvalItem) -> dict[str, Any]:
        """Each premise asked over the options, then one option per premise (`matching.best_assignment`).
        Correct only when every pair is; `pairs_right` counts the pairs that are."""
        letters, table, methods, latency = list(item.options), [], [], 0.0
        for premise in item.premises:
            asked = self._ask(premise_question(item.question, premise, item.options))
            mcq = asked.answer.mcq if asked.answer is not None else None
            table.append(choice_scores(mcq.scores, mcq.choice) if mcq else {})
            methods.append(mcq.method if mcq else "error" if asked.error else "not parsed")
            latency += asked.latency_s
        answered = any(table)
        pick = best_assignment(table, letters) if answered else []
        gold = item.answer.split(",")
        right = sum(p == g for p, g in zip(pick, gold, strict=False))
        method = "+".join(dict.fromkeys(methods)) + (" (one option per premise)" if answered else "")
        record = self._record(item, ",".join(pick), answered and right == len(gold), latency, method)
        return record | {"pairs_right": right, "pairs": len(gold), "premises": list(item.premises)}

    def run_retrieval(self, rows: Sequence[Mapping[str, Any]], k: int = 3) -> dict[str, Any]:
        ranked, records = [], []
        for row in self._each("retrieval", rows):
            start = self.clock()
            sections = [p.chunk.section for p in self.retriever.search(row["question"], k=max(10, k))]
            ranked.append(sections)
            rank = m.first_relevant_rank(sections, row["gold_sections"])
            records.append(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "gold": list(row["gold_sections"]),
                    "rank": rank,
                    "top": sections[:3],
                    "correct": rank is not None and rank <= k,
                    "latency_s": round(self.clock() - start, 3),
                }
            )
        return sc.summarize_retrieval(ranked, [r["gold_sections"] for r in rows], records, k)

    def run_citations(self, open_rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        records = []
        for row in self._each("citations", open_rows):
            answer = self._ask(row["question"]).answer
            if answer is None or answer.refused:
                records.append({"id": row["id"], "refused": True, "citations": [], "correct": False})
                continue
            ids = [p.chunk.id for p in answer.passages]
            verdicts = [
                {"n": c.n, "quote": c.quote, **sc.citation_verdict(answer.text, ids, c.n, c.id, c.quote)}
                for c in answer.citations
            ]
            ok = bool(verdicts) and all(v["correct"] for v in verdicts)
            records.append(
                {"id": row["id"], "refused": False, "citations": verdicts, "correct": ok, "answer": answer.text}
            )
        return sc.summarize_citations(records)

    def run_open(self, open_rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        records = []
        for row in self._each("open", open_rows):
            asked = self._ask(row["question"])
            text = sc.strip_markers(asked.answer.text) if asked.answer is not None else ""
            facts = row["required_facts"]
            coverage = m.fact_coverage(text, facts)
            records.append(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "coverage": round(coverage, 4),
                    "missing": [forms[0] for forms in facts if m.fact_coverage(text, [forms]) < 1.0],
                    "refused": asked.answer is None or asked.answer.refused,
                    "answer": text,
                    "correct": coverage >= 1.0,
                    "latency_s": round(asked.latency_s, 3),
                }
            )
        return sc.summarize_open(records)

    def run_refusals(
        self, out_of_scope_rows: Sequence[Mapping[str, Any]], in_scope_questions: Sequence[Mapping[str, Any] | str]
    ) -> dict[str, Any]:
        """Positive class: out of scope. An assistant error counts as a refusal: the user gets no answer."""
        rows = [(r["id"], r["question"], r.get("kind", "out_of_scope"), True) for r in out_of_scope_rows]
        for i, q in enumerate(in_scope_questions, start=1):
            in_scope = isinstance(q, Mapping)
            rows.append(
                (q["id"], q["question"], "in_scope", False) if in_scope else (f"in{i:03d}", q, "in_scope", False)
            )
        records = []
        for rid, question, kind, should in self._each("refusals", rows):
            asked = self._ask(question)
            refused = asked.answer is None or asked.answer.refused
            reason = asked.error or (asked.answer.reason if asked.answer is not None else "")
            records.append(
                {
                    "id": rid,
                    "question": question,
                    "kind": kind,
                    "should_refuse": should,
                    "refused": refused,
                    "reason": reason,
                    "correct": refused == should,
                    "latency_s": round(asked.latency_s, 3),
                }
            )
        return sc.summarize_refusals(records)

    def run_claims(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The false-sentence check on labelled sentences; reported as skipped when there is no checker."""
        checker = self.claim_checker()
        if checker is None:
            return {"n": len(rows), "skipped": NO_CLAIM_CHECKER}
        records = []
        for row in self._each("claims", rows):
            label = _label(row)
            accepted = bool(checker.verdict(row["sentence"]))
            records.append(
                {
                    "id": row["id"],
                    "sentence": row["sentence"],
                    "label": label,
                    "kind": row.get("kind", "true" if label else "false"),
                    "accepted": accepted,
                    "correct": accepted == label,
                }
            )
        return sc.summarize_claims(records)

    def latency(self) -> dict[str, float]:
        """p50/p95/mean/total of every question asked (each distinct question once)."""
        return sc.latency_stats([a.latency_s for a in self._asked.values()])

    def run_set(self, data: EvalSet, *, k: int = 3, command: str = "") -> Report:
        """Every suite whose data the set has. Refusals use the open, retrieval and in-scope questions as
        in-scope."""
        self._asked = {}  # latency per split: each split's questions are timed in its own run
        start, cpu_start = self.clock(), time.process_time()
        suites: dict[str, dict[str, Any]] = {}
        if data.mcq is not None:
            suites["mcq"] = self.run_mcq(data.mcq)
        if data.retrieval is not None:
            suites["retrieval"] = self.run_retrieval(data.retrieval, k)
        if data.open_rows is not None:
            suites["open"] = self.run_open(data.open_rows)
            suites["citations"] = self.run_citations(data.open_rows)
        if data.out_of_scope is not None:
            in_scope = [*(data.open_rows or []), *(data.retrieval or []), *(data.in_scope or [])]
            suites["refusals"] = self.run_refusals(data.out_of_scope, in_scope)
        if data.claims is not None:
            suites["claims"] = self.run_claims(data.claims)
        return Report(
            backend=self.backend,
            model=self.model,
            suites=suites,
            # CPU seconds beside wall time: on a shared machine the wall time also measures the neighbours.
            latency={**self.latency(), "run_cpu_s": round(time.process_time() - cpu_start, 1)},
            total_s=round(self.clock() - start, 2),
            command=command,
            meta=self.meta,
            split=data.name,
            problems=list(data.problems),
        )

    def run(self, sets: Sequence[EvalSet], *, k: int = 3, command: str = "") -> Run:
        """One report per set (split), in order."""
        return Run({s.name: self.run_set(s, k=k, command=command) for s in sets}, command=command)


def guide_topics(settings: Any) -> list[str]:
    """The corpus's topics, in order (`services.topics.corpus_topics`, as the exam and the bank use):
    what MCQ phases are grouped under. The team's glossary is left out: its entries are not topics."""
    from assistant.services.corpus import load_corpus

    docs, _ = load_corpus(settings.corpus_dir, max_bytes=settings.max_file_mb * 1024 * 1024)
    return corpus_topics(docs)


def _label(row: Mapping[str, Any]) -> bool:
    """A claim's label: true/false, or the strings "true"/"false"."""
    label = row["label"]
    if isinstance(label, str) and label.strip().casefold() in {"true", "false"}:
        return label.strip().casefold() == "true"
    if isinstance(label, bool):
        return label
    msg = f"Claim {row.get('id')!r}: label must be true or false, not {label!r}. Fix the claims file."
    raise InputError(msg)
