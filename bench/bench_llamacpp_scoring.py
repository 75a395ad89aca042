"""Time EmbeddedLLM.score_options on a ~600-token MCQ prompt with 4 options, shared-prefix KV cache
against naive full re-evaluation per option; also generation speed and grammar-constrained JSON.

    .venv/bin/python -m bench.bench_llamacpp_scoring [--gguf PATH] [--repeats 5]

Writes bench/results/llamacpp_scoring.json and prints a one-line summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from assistant.adapters.llm.llamacpp import EmbeddedLLM, ensure_default_gguf
from assistant.settings import Settings
from assistant.types import Prompt

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = [" A. Data collection", " B. Model training", " C. Deployment", " D. Monitoring"]
SCHEMA = {"type": "object", "properties": {"answer": {"enum": ["A", "B", "C", "D"]}}, "required": ["answer"]}


def mcq_prompt(llm: EmbeddedLLM, target_tokens: int = 600) -> str:
    """Guide text cut to about `target_tokens`, then a question, as the MCQ solver builds it."""
    guide = (ROOT / "corpus" / "ml-development-lifecycle-and-pipeline.md").read_text(encoding="utf-8")
    question = "\n\nQuestion: Which phase of the ML lifecycle tunes hyperparameters?\nAnswer:"
    words = guide.split()
    lo, hi = 0, len(words)
    while lo < hi:  # the longest word prefix under the budget
        mid = (lo + hi + 1) // 2
        fits = llm.count_tokens(" ".join(words[:mid]) + question) <= target_tokens
        lo, hi = (mid, hi) if fits else (lo, mid - 1)
    return " ".join(words[:lo]) + question


def median_ms(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each call; the calls take turns, so a busy machine slows all alike."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: round(statistics.median(t), 1) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, help="GGUF file (default: Gemma 3 270M in <data_dir>/models)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    gguf = args.gguf or ensure_default_gguf(Settings().models_dir)
    llm = EmbeddedLLM(gguf, n_ctx=2048, threads=args.threads, seed=0, temperature=0.0)
    prompt = mcq_prompt(llm)
    llm.score_options(prompt, OPTIONS)  # warm-up: first decodes allocate buffers

    cached = llm.score_options(prompt, OPTIONS)
    naive = [llm.score_options(prompt, [option])[0] for option in OPTIONS]
    load_before = os.getloadavg()[0]
    ms = median_ms(
        {
            "prefix": lambda: llm.score_options(prompt, OPTIONS),
            "naive": lambda: [llm.score_options(prompt, [o]) for o in OPTIONS],
        },
        args.repeats,
    )
    prefix_ms, naive_ms = ms["prefix"], ms["naive"]

    gen_prompt = Prompt(raw="The machine learning lifecycle starts with")
    start = time.perf_counter()
    text = llm.complete(gen_prompt, max_tokens=96)
    gen_s = time.perf_counter() - start
    json_prompt = Prompt(raw=prompt + " Reply as JSON.\n")
    json_ms = median_ms({"json": lambda: llm.generate_json(json_prompt, SCHEMA, max_tokens=24)}, 3)["json"]

    result = {
        "model": llm.model,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "threads": args.threads or "all",
        "cores": os.cpu_count(),
        "load_average_1min_before": round(load_before, 2),
        "prompt_tokens": llm.count_tokens(prompt),
        "options": len(OPTIONS),
        "score_options_prefix_cache_ms": prefix_ms,
        "score_options_naive_ms": naive_ms,
        "speedup": round(naive_ms / prefix_ms, 2),
        "max_abs_logprob_diff_vs_naive": round(max(abs(a - b) for a, b in zip(cached, naive, strict=True)), 4),
        "generation_tokens_per_s": round(llm.count_tokens(text) / gen_s, 1),
        "generation_note": "96-token budget from a 7-token prompt, prompt eval included",
        "generate_json_600_token_prompt_ms": json_ms,
        "repeats": args.repeats,
    }
    out = ROOT / "bench" / "results" / "llamacpp_scoring.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"score_options 4 options x {result['prompt_tokens']}-token prompt: prefix cache {prefix_ms} ms, "
        f"naive {naive_ms} ms ({result['speedup']}x); generation {result['generation_tokens_per_s']} tok/s; "
        f"json {json_ms} ms -> {out.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
