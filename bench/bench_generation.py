"""Generation on the embedded backend, two parts (`--only answer|exam`, default both):

- answer: `ask` (retrieval + prompt + streamed, sentence-checked answer) against a raw llama-cpp-python
  completion of the very same prompt, in the same run. Reports time to first token / first shown
  sentence, tokens/s, and our pipeline's overhead in ms = ask total - raw generation.
  Writes bench/results/generation.json.
- exam: two 20-item practice exams in a row from an empty question bank. Reports seconds per delivered
  item, delivered/requested, the family and type mix, the share of phase questions, distinct items and
  rejected drafts by reason. Writes bench/results/exam_generation.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from assistant.container import Container
from assistant.services.answer import fence_passages
from bench.common import write

QUESTIONS = [
    "Why do models degrade after deployment?",
    "What is a feature store used for?",
    "What should a team do when a model performs poorly in evaluation?",
    "What does MLOps mean?",
]


def raw_run(llm, text: str, max_tokens: int) -> dict:
    """The same completion straight through llama-cpp-python (our lock held, as in production)."""
    loaded = llm._loaded
    with loaded.lock:
        loaded.llama.reset()
        t0 = time.perf_counter()
        first, n = None, 0
        for _part in loaded.llama.create_completion(
            text, max_tokens=max_tokens, temperature=0.0, stop=["\n", "Question:", "<<<GUIDE", "GUIDE>>>"], stream=True
        ):
            if first is None:
                first = time.perf_counter() - t0
            n += 1
        total = time.perf_counter() - t0
    return {"ttft_s": first or total, "total_s": total, "tokens": n}


def ask_run(c: Container, q: str) -> dict:
    t0 = time.perf_counter()
    first = None
    for ev in c.answers.stream(q):
        if ev.kind == "delta" and first is None:
            first = time.perf_counter() - t0
    return {"first_sentence_s": first or (time.perf_counter() - t0), "total_s": time.perf_counter() - t0}


def exam_bench(n: int = 20, exams: int = 2) -> None:
    """Two exams from an empty bank on the embedded backend, the model and index warm."""
    from assistant.services.exam import grammar
    from assistant.services.exam.bank import QuestionBank

    c = Container()
    c.settings.llm.backend = "embedded"
    c.ensure_index()
    t0 = time.perf_counter()
    svc = c.exams
    c.llm.score_options_normalized("Answer:", [" yes", " no"])  # load the model first, as a running app has it
    facts = len(svc.facts)
    warm_s = time.perf_counter() - t0
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        svc.bank = QuestionBank(Path(tmp) / "bank.sqlite")
        for k in range(exams):
            run = svc.generate(n, seed=11 + k)
            runs.append(run)
        all_items = [i for r in runs for i in r.items]
        delivered = sum(r.accepted for r in runs)
        seconds = sum(r.seconds for r in runs)
        data = {
            "model": c.llm.model,
            "requested": n * exams,
            "delivered": delivered,
            "distinct_items": len({i.id for i in all_items}),
            "seconds_per_delivered": round(seconds / delivered, 2) if delivered else None,
            "facts_in_corpus": facts,
            "warm_up_s": round(warm_s, 2),
            "exams": [
                {
                    **r.summary(),
                    "phase_share": round(sum(i.family == "phase" for i in r.items) / max(1, r.accepted), 3),
                }
                for r in runs
            ],
            "families": dict(Counter(i.family for i in all_items)),
            "types": dict(Counter(i.type for i in all_items)),
            # Delivered stems (with a case's scenario) that grammar.stem_problem flags: cut, mis-slotted, verbless.
            "stems_with_grammar_problem": sum(
                grammar.stem_problem(f"{i.case.scenario} {i.question}" if i.case else i.question) is not None
                for i in all_items
            ),
            "stems_copying_7_corpus_words": sum(bool(svc.shingles.copied(i.question)) for i in all_items),
        }
    line = (
        f"{delivered}/{n * exams} delivered ({data['distinct_items']} distinct), {data['seconds_per_delivered']} s "
        f"per delivered item; families {data['families']}; types {data['types']}; phase share "
        f"{[e['phase_share'] for e in data['exams']]}; grammar flags {data['stems_with_grammar_problem']}; "
        f"verbatim stems {data['stems_copying_7_corpus_words']}"
    )
    write("exam_generation", data, line)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--only", choices=["answer", "exam"], default=None, help="Run one part only.")
    args = p.parse_args()
    if args.only != "answer":
        exam_bench()
    if args.only == "exam":
        return
    c = Container()
    c.settings.llm.backend = "embedded"
    llm = c.llm
    c.answers.ask(QUESTIONS[0])  # warm: models loaded, index cached
    rows = []
    for _ in range(args.repeats):
        for q in QUESTIONS:
            passages = c.answers._fit(q, c.retriever.search(q))
            text = c.prompts.render("answer", llm.style, passages=fence_passages(passages), question=q).text()
            raw = raw_run(llm, text, c.settings.llm.max_tokens)
            ours = ask_run(c, q)
            rows.append(
                {
                    "question": q,
                    "raw": raw,
                    "ask": ours,
                    "overhead_ms": round((ours["total_s"] - raw["total_s"]) * 1000, 1),
                }
            )
    raw_tps = [r["raw"]["tokens"] / r["raw"]["total_s"] for r in rows if r["raw"]["total_s"] > 0]
    data = {
        "model": llm.model,
        "raw_ttft_s_median": round(statistics.median(r["raw"]["ttft_s"] for r in rows), 3),
        "raw_tokens_per_s_median": round(statistics.median(raw_tps), 1),
        "ask_first_sentence_s_median": round(statistics.median(r["ask"]["first_sentence_s"] for r in rows), 3),
        "raw_total_s_median": round(statistics.median(r["raw"]["total_s"] for r in rows), 3),
        "ask_total_s_median": round(statistics.median(r["ask"]["total_s"] for r in rows), 3),
        "overhead_ms_median": round(statistics.median(r["overhead_ms"] for r in rows), 1),
        "rows": rows,
    }
    data["overhead_ratio"] = round(data["ask_total_s_median"] / data["raw_total_s_median"] - 1, 3)
    line = (
        f"raw TTFT {data['raw_ttft_s_median']} s, {data['raw_tokens_per_s_median']} tok/s; ask first sentence "
        f"{data['ask_first_sentence_s_median']} s; total {data['ask_total_s_median']} s vs raw {data['raw_total_s_median']} s "
        f"(overhead {data['overhead_ms_median']} ms median)"
    )
    write("generation", data, line)


if __name__ == "__main__":
    main()
