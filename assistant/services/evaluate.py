"""The eval engine: runs the assistant on the eval sets and scores it without an LLM judge.

Suites (each optional): MCQ accuracy (overall and per phase), retrieval (recall@1/3/5, MRR),
citation correctness and fact coverage on the open questions, refusal precision/recall, latency.
Every question goes through the same `AnswerService.ask` a user's question does, so the numbers
describe the product, not a component. Open questions are asked once and reused by every suite.

Citation correctness is a judgement, so it is defined here. A citation [n] of an answer is correct when
  1. it points at a retrieved passage: its chunk id is among the answer's passages, and passage n is
     that chunk (the number the reader sees leads to the cited text); and
  2. its quote supports a sentence of the answer that cites [n]: the sentence *is* the quote (the
     assistant quoted the guide), or at least half of the sentence's content words are in the quote
     (`support.lexical_support(sentence, quote) >= 0.5`).
`citation_correctness` = correct citations / all citations of the non-refused open answers. An answer
with no citation cannot lower that rate, so such answers are counted separately as `uncited`.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assistant.errors import ConfigError, GenerationError, InputError
from assistant.phases import PHASES, normalize_phase
from assistant.services import metrics as m
from assistant.services.exam.items import ExamItem, load_items
from assistant.services.support import lexical_support

Progress = Callable[[str, int, int], None]  # (stage, done, total), like IngestService.run
NO_PHASE = "(no phase)"
MIN_QUOTE_SUPPORT = 0.5
_MARKER = re.compile(r"\s*\[(\d{1,3})\](?:\s+|$)")
# Headline metrics: name -> (suite, key, higher_is_better).
METRICS: dict[str, tuple[str, str, bool]] = {
    "mcq_accuracy": ("mcq", "accuracy", True),
    "recall_at_1": ("retrieval", "recall_at_1", True),
    "recall_at_3": ("retrieval", "recall_at_3", True),
    "recall_at_5": ("retrieval", "recall_at_5", True),
    "mrr": ("retrieval", "mrr", True),
    "citation_correctness": ("citations", "citation_correctness", True),
    "fact_coverage": ("open", "fact_coverage", True),
    "full_coverage": ("open", "full_coverage", True),
    "refusal_precision": ("refusals", "refusal_precision", True),
    "refusal_recall": ("refusals", "refusal_recall", True),
}
LATENCY = {"latency_p50_s": "p50_s", "latency_p95_s": "p95_s"}  # lower is better


# -- items --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalItem:
    """A multiple-choice question to score. `phase` is None for files that do not name one."""

    id: str
    question: str
    options: dict[str, str]
    answer: str  # "B", or "B,D" for choose-two
    phase: str | None = None
    type: str = "single"

    @classmethod
    def from_item(cls, item: ExamItem, phase: str | None = "") -> EvalItem:
        return cls(
            item.id, item.question, dict(item.options), item.answer, item.phase if phase == "" else phase, item.type
        )

    def text(self) -> str:
        """The question as a user would paste it: the stem, then one lettered option per line."""
        return self.question + "\n" + "\n".join(f"{k}. {v}" for k, v in self.options.items())


def load_questions(path: str | Path) -> list[EvalItem]:
    """MCQ-schema JSONL or an exported `{"items": [...]}` exam file (see `exam.items.load_items`).

    Items without a phase (or with one outside this guide's topics) are still scored for accuracy.
    """
    try:
        return [EvalItem.from_item(i) for i in load_items(path)]
    except InputError:
        lenient = _load_without_phases(Path(path))
        if lenient is None:
            raise
        return lenient


def _load_without_phases(path: Path) -> list[EvalItem] | None:
    """Validate each item with a placeholder phase, then drop it; None when that does not help."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else None
        rows = data["items"] if isinstance(data, dict) else [json.loads(x) for x in text.splitlines() if x.strip()]
        out = []
        for row in rows:
            phase = row.get("phase") if isinstance(row.get("phase"), str) else None
            item = ExamItem.from_json({**row, "phase": PHASES[0]})
            out.append(EvalItem.from_item(item, phase=_known_phase(phase) or phase or None))
        return out
    except (ValueError, TypeError, KeyError, AttributeError, ValidationError):
        return None


def _known_phase(name: str | None) -> str | None:
    try:
        return normalize_phase(name) if name else None
    except ValueError:
        return None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def load_sets(
    evals_dir: Path, *, questions: Path | None = None, suite: str = "all", limit: int | None = None
) -> dict[str, list[Any]]:
    """`run_all` keyword arguments: the MCQs (`questions` or evals/mcq.jsonl) and, for suite "all",
    the retrieval, open and out-of-scope sets of `evals_dir`; the first `limit` rows of each."""
    names = ("retrieval", "open", "out_of_scope") if suite == "all" else ()
    needed = [questions or evals_dir / "mcq.jsonl", *(evals_dir / f"{n}.jsonl" for n in names)]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        msg = (
            f"Eval data not found: {', '.join(missing)}. Run from the project checkout, or pass --questions FILE.jsonl."
        )
        raise InputError(msg)
    data: dict[str, list[Any]] = {"mcq": load_questions(needed[0])}
    for name, path in zip(names, needed[1:]):
        data["open_rows" if name == "open" else name] = read_jsonl(path)
    return {k: v[:limit] if limit else v for k, v in data.items()}


# -- the evaluator ------------------------------------------------------------------------------
@dataclass
class _Asked:
    answer: Any  # assistant.services.answer.Answer, or None when the assistant raised
    latency_s: float
    error: str = ""


class Evaluator:
    """Runs suites against an AnswerService and a Retriever. `progress(stage, done, total)` is called
    as items finish. Deterministic for a fixed backend, model and seed (temperature 0)."""

    def __init__(
        self,
        answers: Any,
        retriever: Any,
        *,
        progress: Progress | None = None,
        meta: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.answers = answers
        self.retriever = retriever
        self.progress = progress or (lambda *_: None)
        self.meta = dict(meta or {})
        self.clock = clock
        self._asked: dict[str, _Asked] = {}

    @classmethod
    def from_container(cls, container: Any, *, progress: Progress | None = None) -> Evaluator:
        s = container.settings
        meta = {
            "seed": s.llm.seed,
            "temperature": s.llm.temperature,
            "embedding": s.embedding.model,
            "k": s.retrieval.k,
        }
        return cls(container.answers, container.retriever, progress=progress, meta=meta)

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

    def _each(self, stage: str, rows: Sequence[Any]):
        self.progress(stage, 0, len(rows))
        for i, row in enumerate(rows, start=1):
            yield row
            self.progress(stage, i, len(rows))

    def run_mcq(self, items: Sequence[EvalItem]) -> dict[str, Any]:
        scorable = [i for i in items if i.type != "ordering"]  # the solver picks options, it does not order them
        records = []
        for item in self._each("mcq", scorable):
            asked = self._ask(item.text())
            mcq = asked.answer.mcq if asked.answer is not None else None
            pick = ",".join(mcq.choice) if mcq else ""
            records.append(
                {
                    "id": item.id,
                    "phase": item.phase or NO_PHASE,
                    "pick": pick,
                    "gold": item.answer,
                    "correct": bool(pick) and m.mcq_correct(pick, item.answer),
                    "latency_s": round(asked.latency_s, 3),
                    "method": mcq.method
                    if mcq
                    else ("error" if asked.error else "not parsed as a multiple-choice question"),
                    "question": item.question,
                    "options": item.options,
                }
            )
        return summarize_mcq(records, skipped=[i.id for i in items if i.type == "ordering"])

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
        return summarize_retrieval(ranked, [r["gold_sections"] for r in rows], records, k)

    def run_citations(self, open_rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        records = []
        for row in self._each("citations", open_rows):
            answer = self._ask(row["question"]).answer
            if answer is None or answer.refused:
                records.append({"id": row["id"], "refused": True, "citations": [], "correct": False})
                continue
            ids = [p.chunk.id for p in answer.passages]
            verdicts = [
                {"n": c.n, "quote": c.quote, **citation_verdict(answer.text, ids, c.n, c.id, c.quote)}
                for c in answer.citations
            ]
            ok = bool(verdicts) and all(v["correct"] for v in verdicts)
            records.append(
                {"id": row["id"], "refused": False, "citations": verdicts, "correct": ok, "answer": answer.text}
            )
        return summarize_citations(records)

    def run_open(self, open_rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        records = []
        for row in self._each("open", open_rows):
            asked = self._ask(row["question"])
            text = strip_markers(asked.answer.text) if asked.answer is not None else ""
            facts = row["required_facts"]
            missing = [forms[0] for forms in facts if m.fact_coverage(text, [forms]) < 1.0]
            coverage = m.fact_coverage(text, facts)
            records.append(
                {
                    "id": row["id"],
                    "question": row["question"],
                    "coverage": round(coverage, 4),
                    "missing": missing,
                    "refused": asked.answer is None or asked.answer.refused,
                    "answer": text,
                    "correct": coverage >= 1.0,
                    "latency_s": round(asked.latency_s, 3),
                }
            )
        return summarize_open(records)

    def run_refusals(
        self, out_of_scope_rows: Sequence[Mapping[str, Any]], in_scope_questions: Sequence[Mapping[str, Any] | str]
    ) -> dict[str, Any]:
        """Positive class: out of scope. An assistant error counts as a refusal: the user gets no answer."""
        rows = [(r["id"], r["question"], r.get("kind", "out_of_scope"), True) for r in out_of_scope_rows]
        for i, q in enumerate(in_scope_questions, start=1):
            rows.append(
                (q["id"], q["question"], "in_scope", False)
                if isinstance(q, Mapping)
                else (f"in{i:03d}", q, "in_scope", False)
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
        return summarize_refusals(records)

    def latency(self) -> dict[str, float]:
        """p50/p95/mean/total of every question asked (each distinct question once)."""
        return latency_stats([a.latency_s for a in self._asked.values()])

    def run_all(
        self,
        *,
        mcq: Sequence[EvalItem] | None = None,
        retrieval: Sequence[Mapping[str, Any]] | None = None,
        open_rows: Sequence[Mapping[str, Any]] | None = None,
        out_of_scope: Sequence[Mapping[str, Any]] | None = None,
        k: int = 3,
        command: str = "",
    ) -> Report:
        """Every suite whose data is given. Refusals use the open and retrieval questions as in-scope."""
        start, cpu_start = self.clock(), time.process_time()
        suites: dict[str, dict[str, Any]] = {}
        if mcq is not None:
            suites["mcq"] = self.run_mcq(mcq)
        if retrieval is not None:
            suites["retrieval"] = self.run_retrieval(retrieval, k)
        if open_rows is not None:
            suites["open"] = self.run_open(open_rows)
            suites["citations"] = self.run_citations(open_rows)
        if out_of_scope is not None:
            suites["refusals"] = self.run_refusals(out_of_scope, [*(open_rows or []), *(retrieval or [])])
        return Report(
            backend=self.backend,
            model=self.model,
            suites=suites,
            # CPU seconds beside wall time: on a shared machine the wall time also measures the neighbours.
            latency={**self.latency(), "run_cpu_s": round(time.process_time() - cpu_start, 1)},
            total_s=round(self.clock() - start, 2),
            command=command,
            meta=self.meta,
        )


# -- scoring rules (pure) -----------------------------------------------------------------------
def strip_markers(text: str) -> str:
    return _MARKER.sub(" ", text).strip()


def answer_sentences(text: str) -> list[tuple[str, int]]:
    """(sentence, n) for each cited sentence of a rendered answer: every sentence ends with " [n]"."""
    parts = _MARKER.split(text.strip())
    return [(parts[i].strip(), int(parts[i + 1])) for i in range(0, len(parts) - 1, 2) if parts[i].strip()]


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return " ".join(s.strip().strip("\u201c\u201d\"'").split()).rstrip(".").casefold()

    return norm(a) == norm(b)


def citation_verdict(text: str, passage_ids: Sequence[str], n: int, cid: str, quote: str) -> dict[str, Any]:
    """The citation-correctness rule of this module's docstring, for one citation of an answer."""
    points = cid in passage_ids and 1 <= n <= len(passage_ids) and passage_ids[n - 1] == cid
    cited = [s for s, mark in answer_sentences(text) if mark == n]
    best = max(cited, key=lambda s: 2.0 if _same_text(s, quote) else lexical_support(s, quote), default="")
    supports = bool(cited) and (_same_text(best, quote) or lexical_support(best, quote) >= MIN_QUOTE_SUPPORT)
    return {"points_to_passage": points, "supports": supports, "sentence": best, "correct": points and supports}


def latency_stats(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_s": round(m.percentile(values, 50), 3),
        "p95_s": round(m.percentile(values, 95), 3),
        "mean_s": round(sum(values) / len(values), 3) if values else 0.0,
        "total_s": round(sum(values), 2),
    }


def _rate(k: int, n: int) -> float:
    return round(k / n, 4) if n else 0.0


def summarize_mcq(records: Sequence[Mapping[str, Any]], skipped: Sequence[str] = ()) -> dict[str, Any]:
    order = [*PHASES, *sorted({r["phase"] for r in records} - set(PHASES))]
    per_phase = {}
    for phase in order:
        rows = [r for r in records if r["phase"] == phase]
        if rows:
            ok = sum(1 for r in rows if r["correct"])
            per_phase[phase] = {"n": len(rows), "correct": ok, "accuracy": _rate(ok, len(rows))}
    correct = sum(1 for r in records if r["correct"])
    slim = ("id", "phase", "pick", "gold", "correct", "latency_s", "method")
    return {
        "n": len(records),
        "correct": correct,
        "accuracy": _rate(correct, len(records)),
        "per_phase": per_phase,
        "failed": [dict(r) for r in records if not r["correct"]],
        "skipped": list(skipped),
        "items": [{k: r.get(k) for k in slim} for r in records],
        "latency": latency_stats([r["latency_s"] for r in records]),
    }


def summarize_retrieval(
    ranked: Sequence[Sequence[str]], golds: Sequence[Sequence[str]], records: Sequence[dict], k: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(records), "k": k}
    for at in sorted({1, 3, 5, k}):
        out[f"recall_at_{at}"] = round(m.recall_at_k(ranked, golds, at), 4)
    out["mrr"] = round(m.mrr(ranked, golds), 4)
    out["misses"] = [r for r in records if not r["correct"]]
    out["items"] = [{"id": r["id"], "rank": r["rank"], "correct": r["correct"]} for r in records]
    out["latency"] = latency_stats([r["latency_s"] for r in records])
    return out


def summarize_citations(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    verdicts = [v for r in records for v in r["citations"]]
    answered = [r for r in records if not r["refused"]]
    return {
        "n": len(records),
        "answered": len(answered),
        "citations": len(verdicts),
        "correct": sum(1 for v in verdicts if v["correct"]),
        "citation_correctness": _rate(sum(1 for v in verdicts if v["correct"]), len(verdicts)),
        "points_to_passage": _rate(sum(1 for v in verdicts if v["points_to_passage"]), len(verdicts)),
        "supports": _rate(sum(1 for v in verdicts if v["supports"]), len(verdicts)),
        "uncited": [r["id"] for r in answered if not r["citations"]],
        "failed": [
            {"id": r["id"], "answer": r.get("answer", ""), **v}
            for r in records
            for v in r["citations"]
            if not v["correct"]
        ],
        "items": [{"id": r["id"], "correct": r["correct"]} for r in records],
    }


def summarize_open(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    n = len(records)
    return {
        "n": n,
        "fact_coverage": round(sum(r["coverage"] for r in records) / n, 4) if n else 0.0,
        "full_coverage": _rate(sum(1 for r in records if r["correct"]), n),
        "refused": sum(1 for r in records if r["refused"]),
        "failed": [dict(r) for r in records if not r["correct"]],
        "items": [{"id": r["id"], "coverage": r["coverage"], "correct": r["correct"]} for r in records],
        "latency": latency_stats([r["latency_s"] for r in records]),
    }


def summarize_refusals(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = m.refusal_scores([r["refused"] for r in records], [r["should_refuse"] for r in records])
    out = {k: round(v, 4) for k, v in out.items()}
    out["n_out_of_scope"] = sum(1 for r in records if r["should_refuse"])
    out["n_in_scope"] = sum(1 for r in records if not r["should_refuse"])
    kinds = sorted({r["kind"] for r in records if r["should_refuse"]})
    out["recall_by_kind"] = {
        k: _rate(sum(1 for r in records if r["kind"] == k and r["refused"]), sum(1 for r in records if r["kind"] == k))
        for k in kinds
    }
    out["false_refusals"] = [dict(r) for r in records if r["refused"] and not r["should_refuse"]]
    out["missed"] = [dict(r) for r in records if r["should_refuse"] and not r["refused"]]
    out["items"] = [{k: r[k] for k in ("id", "kind", "refused", "reason", "correct")} for r in records]
    return out


def configure_llm(settings: Any, backend: str | None, model: str | None) -> None:
    """Apply a run's --backend/--model before the container builds its LLM. A model ending in .gguf
    is the embedded backend's GGUF file; any other name is the Ollama tag."""
    if backend:
        settings.llm.backend = backend
    if model and model.endswith(".gguf"):
        settings.llm.gguf_path = Path(model)
    elif model:
        settings.llm.ollama_model = model


# -- thresholds ---------------------------------------------------------------------------------
def load_thresholds(path: str | Path, backend: str) -> dict[str, float]:
    """The `[backend]` table of a thresholds TOML file ({} when the backend has none)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        msg = f"Cannot read eval thresholds {path}: {e}. Fix the file (TOML, one [backend] table of metric = minimum)."
        raise ConfigError(msg) from e
    table = data.get(backend, {})
    return {k: float(v) for k, v in table.items() if isinstance(v, int | float)}


def below_thresholds(metrics: Mapping[str, float], floors: Mapping[str, float]) -> list[str]:
    """One line per metric under its floor (or not measured)."""
    out = []
    for name, floor in floors.items():
        value = metrics.get(name)
        if value is None:
            out.append(f"{name}: not measured (floor {floor:.3f})")
        elif value < floor:
            out.append(f"{name}: {value:.3f} < floor {floor:.3f}")
    return out


# -- the report ---------------------------------------------------------------------------------
def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Report:
    """What one eval run measured. `to_json()` round-trips through `Report.from_json`."""

    backend: str
    model: str
    suites: dict[str, dict[str, Any]]
    latency: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    command: str = ""
    date: str = field(default_factory=_now)
    meta: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """The headline metrics that were measured, flat (thresholds and `compare` use these names)."""
        out = {name: self.suites[s][key] for name, (s, key, _) in METRICS.items() if key in self.suites.get(s, {})}
        if self.latency.get("n"):
            out.update({name: self.latency[key] for name, key in LATENCY.items()})
        return out

    def summary(self) -> dict[str, Any]:
        """`assistant eval --json`: MCQ n/correct/accuracy/per_phase, then every other headline metric."""
        out: dict[str, Any] = {"backend": self.backend, "model": self.model}
        if "mcq" in self.suites:
            out.update({k: self.suites["mcq"][k] for k in ("n", "correct", "accuracy", "per_phase")})
        out.update({k: v for k, v in self.metrics().items() if k != "mcq_accuracy"})
        out["total_s"] = self.total_s
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "date": self.date,
            "command": self.command,
            "meta": self.meta,
            "metrics": self.metrics(),
            "latency": self.latency,
            "total_s": self.total_s,
            "suites": self.suites,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        keys = ("backend", "model", "suites", "latency", "total_s", "command", "date", "meta")
        return cls(**{k: data[k] for k in keys if k in data})

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """report.json, report.md and (with MCQ results) per_phase.png in `out_dir`."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "report.json", "md": out / "report.md"}
        paths["json"].write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths["md"].write_text(render_markdown(self), encoding="utf-8")
        if self.suites.get("mcq", {}).get("per_phase"):
            mcq = self.suites["mcq"]
            paths["png"] = plot_per_phase(
                mcq["per_phase"], out / "per_phase.png", title=self._title(), overall=mcq["accuracy"]
            )
        return paths

    def _title(self) -> str:
        return f"MCQ accuracy per phase — {self.backend}: {self.model}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        text = f"{v:.3f}" if isinstance(v, float) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _short(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _letters_text(letters: str, options: Mapping[str, str]) -> str:
    if not letters:
        return "(none)"
    return "; ".join(f"{k}. {_short(options.get(k, '?'), 60)}" for k in letters.split(","))


def render_markdown(r: Report) -> str:
    parts = [
        f"# Eval report — {r.backend}: {r.model}",
        f"- date: {r.date}\n- command: `{r.command or '(not recorded)'}`\n- backend: {r.backend}\n- model: {r.model}"
        f"\n- settings: {', '.join(f'{k}={v}' for k, v in r.meta.items()) or '-'}\n- total time: {r.total_s:.1f} s"
        f" (CPU {r.latency.get('run_cpu_s', 0):.0f} s)",
        "## Metrics",
        _table(["metric", "value"], [(k, v) for k, v in r.metrics().items()]),
    ]
    for name, render in _SECTIONS.items():
        if name in r.suites:
            parts += render(r.suites[name])
    label = {"mcq": "mcq (ask)", "retrieval": "retrieval (search only)", "open": "open (ask)"}
    timed = [(label.get(name, name), s["latency"]) for name, s in r.suites.items() if s.get("latency", {}).get("n")]
    if r.latency.get("n"):
        timed.append(("every question asked (once each)", r.latency))
    if timed:
        rows = [(name, t["n"], t["p50_s"], t["p95_s"], t["mean_s"], t["total_s"]) for name, t in timed]
        parts += ["## Latency (seconds per item)", _table(["items", "n", "p50", "p95", "mean", "total"], rows)]
    return "\n\n".join(parts) + "\n"


def _md_mcq(s: Mapping[str, Any]) -> list[str]:
    rows = [(p, v["n"], v["correct"], v["accuracy"]) for p, v in s["per_phase"].items()]
    rows.append(("**all**", s["n"], s["correct"], s["accuracy"]))
    out = [
        "## Multiple-choice accuracy",
        "![per phase](per_phase.png)",
        _table(["phase", "n", "correct", "accuracy"], rows),
    ]
    if s.get("skipped"):
        out.append(f"Skipped (ordering items, not scored): {', '.join(s['skipped'])}")
    failed = [
        (
            f["id"],
            f["phase"],
            _short(f.get("question", ""), 70),
            _letters_text(f["pick"], f.get("options", {})),
            _letters_text(f["gold"], f.get("options", {})),
            f.get("method", ""),
        )
        for f in s["failed"]
    ]
    out += [
        f"### Failed items ({len(failed)})",
        _table(["id", "phase", "question", "model's pick", "gold", "method"], failed),
    ]
    return out


def _md_retrieval(s: Mapping[str, Any]) -> list[str]:
    keys = [k for k in s if k.startswith("recall_at_")] + ["mrr"]
    misses = [
        (x["id"], _short(x["question"], 70), "; ".join(x["gold"]), x["rank"] or "-", " / ".join(x["top"]))
        for x in s["misses"]
    ]
    return [
        "## Retrieval",
        _table(["n", *keys], [(s["n"], *(s[k] for k in keys))]),
        f"### Misses at k={s['k']} ({len(misses)})",
        _table(["id", "question", "gold", "first gold rank", "top 3"], misses),
    ]


def _md_citations(s: Mapping[str, Any]) -> list[str]:
    failed = [
        (f["id"], f["n"], _short(f["sentence"], 70), _short(f["quote"], 70), f["points_to_passage"], f["supports"])
        for f in s["failed"]
    ]
    return [
        "## Citations (open questions)",
        "A citation is correct when its [n] leads to the retrieved passage it quotes and its quote supports a "
        "sentence citing [n] (that sentence is the quote, or >= 50% of its content words are in the quote).",
        _table(
            ["answered", "citations", "correct", "correctness", "points to passage", "supports", "uncited answers"],
            [
                (
                    s["answered"],
                    s["citations"],
                    s["correct"],
                    s["citation_correctness"],
                    s["points_to_passage"],
                    s["supports"],
                    len(s["uncited"]),
                )
            ],
        ),
        f"### Incorrect citations ({len(failed)})",
        _table(["id", "n", "answer sentence", "quote", "points to passage", "supports"], failed),
    ]


def _md_open(s: Mapping[str, Any]) -> list[str]:
    failed = [
        (f["id"], _short(f["question"], 60), f["coverage"], "; ".join(f["missing"]), _short(f["answer"], 90))
        for f in s["failed"]
    ]
    return [
        "## Open questions: required facts",
        _table(
            ["n", "fact coverage", "full coverage", "refused"],
            [(s["n"], s["fact_coverage"], s["full_coverage"], s["refused"])],
        ),
        f"### Incomplete answers ({len(failed)})",
        _table(["id", "question", "coverage", "missing", "answer"], failed),
    ]


def _md_refusals(s: Mapping[str, Any]) -> list[str]:
    wrong = [
        (
            x["id"],
            x["kind"],
            "refused" if x["refused"] else "answered",
            _short(x["question"], 70),
            _short(x["reason"], 60),
        )
        for x in [*s["missed"], *s["false_refusals"]]
    ]
    return [
        "## Refusals",
        _table(
            ["out of scope", "in scope", "precision", "recall", *s["recall_by_kind"]],
            [
                (
                    s["n_out_of_scope"],
                    s["n_in_scope"],
                    s["refusal_precision"],
                    s["refusal_recall"],
                    *s["recall_by_kind"].values(),
                )
            ],
        ),
        f"### Wrong decisions ({len(wrong)})",
        _table(["id", "kind", "assistant", "question", "reason"], wrong),
    ]


_SECTIONS = {
    "mcq": _md_mcq,
    "retrieval": _md_retrieval,
    "citations": _md_citations,
    "open": _md_open,
    "refusals": _md_refusals,
}


def plot_per_phase(
    per_phase: Mapping[str, Mapping[str, Any]], path: Path, *, title: str = "", overall: float | None = None
) -> Path:
    """Horizontal bars of per-phase accuracy, n on each bar. Agg canvas: no display, no pyplot state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = list(per_phase)[::-1]  # first phase on top
    fig = Figure(figsize=(8.5, 0.42 * len(names) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bars = ax.barh(names, [per_phase[p]["accuracy"] for p in names], color="#4c78a8")
    for bar, p in zip(bars, names):
        v = per_phase[p]
        label = f"{v['accuracy']:.0%}  ({v['correct']}/{v['n']})"
        ax.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    if overall is not None:
        ax.axvline(overall, color="#888888", linestyle="--", linewidth=1)
        title = f"{title}\n(dashed: overall {overall:.0%}; bars: right/n per phase)"
    ax.set_xlim(0, 1.25)  # room for the labels of full bars
    ax.set_xticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("accuracy")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


# -- comparing two runs -------------------------------------------------------------------------
def _load_report(source: Mapping[str, Any] | str | Path | Report) -> dict[str, Any]:
    if isinstance(source, Report):
        return source.to_json()
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    path = path / "report.json" if path.is_dir() else path
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        msg = f"Cannot read eval report {path}: {e}. Pass a report.json (or its folder) written by `assistant eval`."
        raise InputError(msg) from e


def diff(a: Any, b: Any) -> dict[str, Any]:
    """What changed from run `a` to run `b`: metric deltas and, per suite, items that flipped."""
    ra, rb = _load_report(a), _load_report(b)
    ma, mb = ra.get("metrics", {}), rb.get("metrics", {})
    rows = []
    for name in [*METRICS, *LATENCY]:
        if name in ma or name in mb:
            va, vb = ma.get(name), mb.get(name)
            delta = None if va is None or vb is None else round(vb - va, 4)
            higher = METRICS[name][2] if name in METRICS else False
            change = "same" if not delta else ("better" if (delta > 0) == higher else "worse")
            rows.append(
                {"metric": name, "a": va, "b": vb, "delta": delta, "change": "n/a" if delta is None else change}
            )
    flips = {}
    for suite in sorted(set(ra.get("suites", {})) & set(rb.get("suites", {}))):
        ia = {i["id"]: i["correct"] for i in ra["suites"][suite].get("items", [])}
        ib = {i["id"]: i["correct"] for i in rb["suites"][suite].get("items", [])}
        both = [i for i in ia if i in ib]
        flips[suite] = {
            "fixed": [i for i in both if ib[i] and not ia[i]],
            "broken": [i for i in both if ia[i] and not ib[i]],
        }
    run = {k: "" for k in ("backend", "model", "date", "command")}
    return {
        "a": {k: ra.get(k, v) for k, v in run.items()},
        "b": {k: rb.get(k, v) for k, v in run.items()},
        "metrics": rows,
        "flips": flips,
    }


def compare(a: Any, b: Any) -> str:
    """Markdown: which metrics got better or worse from `a` to `b`, and which items flipped right<->wrong."""
    d = diff(a, b)
    lines = [
        "# Eval comparison",
        f"- A: {d['a']['backend']}: {d['a']['model']} ({d['a']['date']})",
        f"- B: {d['b']['backend']}: {d['b']['model']} ({d['b']['date']})",
        "",
        _table(
            ["metric", "A", "B", "delta", "change"],
            [(r["metric"], _num(r["a"]), _num(r["b"]), _num(r["delta"], sign=True), r["change"]) for r in d["metrics"]],
        ),
    ]
    for suite, f in d["flips"].items():
        lines += ["", f"## {suite}: {len(f['fixed'])} wrong -> right, {len(f['broken'])} right -> wrong"]
        lines += [f"- wrong -> right: {', '.join(f['fixed'])}"] if f["fixed"] else []
        lines += [f"- right -> wrong: {', '.join(f['broken'])}"] if f["broken"] else []
    return "\n".join(lines) + "\n"


def _num(v: float | None, *, sign: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:+.3f}" if sign else f"{v:.3f}"


__all__ = [
    "METRICS",
    "EvalItem",
    "Evaluator",
    "Report",
    "below_thresholds",
    "citation_verdict",
    "compare",
    "configure_llm",
    "diff",
    "load_questions",
    "load_sets",
    "load_thresholds",
]
