"""The eval engine: runs the assistant on eval sets and scores it without an LLM judge.

Suites (each optional): MCQ accuracy (overall and per phase), retrieval (recall@1/3/5, MRR), citation
correctness and fact coverage on the open questions, refusal precision/recall, the false-sentence
check (claims) and latency; run per split (`dev`: tune on it; `test`: never tune on it).

  load     reading question files leniently, and the split folders
  run      the Evaluator (every question through `AnswerService.ask`), `with_llm` for --backend/--model
  score    scoring rules, headline metrics, floors (thresholds.toml)
  report   Report (one split) and Run (all splits): report.json, report.md, per-phase charts
  render   report.md and the charts
  compare  what changed between two runs
"""

from assistant.services.evaluation.compare import compare, diff
from assistant.services.evaluation.load import (
    SPLITS,
    EvalItem,
    EvalSet,
    load_questions,
    load_split,
    questions_set,
    read_jsonl,
    split_files,
)
from assistant.services.evaluation.report import Report, Run
from assistant.services.evaluation.run import NO_CLAIM_CHECKER, Evaluator, guide_topics, with_llm
from assistant.services.evaluation.score import (
    LATENCY,
    METRICS,
    NO_PHASE,
    answer_sentences,
    below_thresholds,
    citation_verdict,
    latency_stats,
    load_thresholds,
    strip_markers,
    summarize_mcq,
)

__all__ = [
    "LATENCY",
    "METRICS",
    "NO_CLAIM_CHECKER",
    "NO_PHASE",
    "SPLITS",
    "EvalItem",
    "EvalSet",
    "Evaluator",
    "Report",
    "Run",
    "answer_sentences",
    "below_thresholds",
    "citation_verdict",
    "compare",
    "diff",
    "guide_topics",
    "latency_stats",
    "load_questions",
    "load_split",
    "load_thresholds",
    "questions_set",
    "read_jsonl",
    "split_files",
    "strip_markers",
    "summarize_mcq",
    "with_llm",
]
