"""`python -m bench` (make bench): run every benchmark in turn; each writes bench/results/<name>.json."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    "bench.bench_ingest_search",
    "bench.bench_generation",
    "bench.bench_llamacpp_scoring",
    "bench.bench_eval_throughput",
    "bench.bench_ui_load",
    "bench.bench_cold_start",
]


def main() -> int:
    failed = []
    for mod in BENCHES + sys.argv[1:]:
        print(f"== {mod}", flush=True)
        if subprocess.run([sys.executable, "-m", mod], check=False).returncode != 0:
            failed.append(mod)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
