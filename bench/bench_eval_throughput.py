"""MCQ solver throughput on the embedded backend: items/s on evals/dev/mcq.jsonl, with and without the
model's log-likelihood signal (evidence-only needs no LLM)."""

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
    p.add_argument("--limit", type=int, default=40)
    args = p.parse_args()
    dev_mcq = ROOT / "evals" / "dev" / "mcq.jsonl"
    rows = [json.loads(x) for x in dev_mcq.read_text(encoding="utf-8").splitlines() if x.strip()][: args.limit]
    c = Container()
    c.settings.llm.backend = "embedded"
    c.solver.solve(MCQ(rows[0]["question"], rows[0]["options"], 1))  # warm
    with_llm = run(c, rows, True)
    evidence = run(c, rows, False)
    line = f"{with_llm['items_per_s']} items/s with the model ({with_llm['accuracy']}), {evidence['items_per_s']} items/s evidence-only ({evidence['accuracy']}) on {len(rows)} items"
    write("eval_throughput", {"model": c.llm.model, "with_llm": with_llm, "evidence_only": evidence}, line)


if __name__ == "__main__":
    main()
