"""MCQ solver throughput on the embedded backend: items/s on evals/dev/mcq.jsonl with the knowledge layer
alone (`ASSISTANT_LLM__MODEL_PICKS_MCQ=never`) and with the model allowed to weigh in (the default). Since
2026-11-30 the base model's option log-likelihood weight (mcq.LL_WEIGHT) is 0 — it lowered dev accuracy
at every weight tried — so both runs use the knowledge layer; before, the default ran at 0.54 items/s."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from assistant.container import Container
from assistant.services.mcq_parse import MCQ
from assistant.services.metrics import mcq_correct
from bench.common import write

ROOT = Path(__file__).resolve().parent.parent


def run(c: Container, rows: list[dict], use_llm: bool) -> dict:
    c.solver.use_llm = use_llm
    correct, t0 = 0, time.perf_counter()
    for r in rows:
        n = len(r["answer"].split(","))
        correct += mcq_correct(c.solver.solve(MCQ(r["question"], r["options"], n)).choice, r["answer"])
    s = time.perf_counter() - t0
    return {
        "items": len(rows),
        "seconds": round(s, 2),
        "items_per_s": round(len(rows) / s, 2),
        "accuracy": round(correct / len(rows), 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--limit", type=int, default=40, help="items for the (slow) run with the model")
    args = p.parse_args()
    dev_mcq = ROOT / "evals" / "dev" / "mcq.jsonl"
    rows = [json.loads(x) for x in dev_mcq.read_text(encoding="utf-8").splitlines() if x.strip()]
    c = Container(llm={"backend": "embedded"})
    c.ensure_index()
    c.solver.solve(MCQ(rows[0]["question"], rows[0]["options"], 1))  # warm
    knowledge = run(c, rows, False)
    with_llm = run(c, rows[: args.limit], True)
    first = run(c, rows[: args.limit], False)
    line = (
        f"knowledge layer: {knowledge['items_per_s']} items/s ({knowledge['accuracy']} on {len(rows)} dev items; "
        f"{first['accuracy']} on the first {args.limit}); with the model's log-likelihood: "
        f"{with_llm['items_per_s']} items/s ({with_llm['accuracy']} on {args.limit})"
    )
    write(
        "eval_throughput",
        {"model": c.llm.model, "knowledge": knowledge, "knowledge_first_n": first, "with_llm": with_llm},
        line,
    )


if __name__ == "__main__":
    main()
