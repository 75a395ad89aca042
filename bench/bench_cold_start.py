"""Cold start: `assistant search` and `assistant ask` (embedded backend) each in a new process, against
the floor every command pays, `python -c "import assistant"`.

Set-up first, in a fresh data dir and not counted: `assistant ingest` (exports the ONNX query encoder)
and one `ask` (writes the GGUF, stores the guide's line vectors); their times are reported apart as
one-off costs. Then each command runs --runs times, alternating, and the median is the figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import write

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Why do models degrade after deployment?"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return env | {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_LLM__BACKEND": "embedded", "HF_HUB_OFFLINE": "1"}


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def _stats(values: list[float]) -> dict[str, float | list[float]]:
    return {
        "median_s": round(statistics.median(values), 3),
        "min_s": round(min(values), 3),
        "max_s": round(max(values), 3),
        "runs_s": [round(v, 3) for v in values],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="runs of each command (default 5)")
    args = ap.parse_args()
    exe = shutil.which("assistant", path=str(Path(sys.executable).parent))
    if not exe:
        print("The `assistant` command is not installed next to this Python; run `make setup`.", file=sys.stderr)
        return 1
    commands = {
        "import_assistant": [sys.executable, "-c", "import assistant"],
        "search": [exe, "search", "drift", "-k", "3", "--json"],
        "ask": [exe, "ask", QUESTION, "--json"],
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-cold-start-"))
    try:
        env = _env(tmp / "data")
        setup = {
            "ingest_s": round(_timed([exe, "ingest", "--json"], env), 2),
            "first_ask_s": round(_timed(commands["ask"], env), 2),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(_timed(cmd, env))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    stats = {name: _stats(values) for name, values in times.items()}
    base = stats["import_assistant"]["median_s"]
    for name in ("search", "ask"):
        stats[name]["over_import_s"] = round(stats[name]["median_s"] - base, 3)
    data = {
        "commands": {
            name: " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)) for name, cmd in commands.items()
        },
        "backend": "embedded",
        "one_off_setup": setup,
        "results": stats,
        "targets_s": {"search": 3.0, "ask": 5.0},
    }
    line = (
        f"search {stats['search']['median_s']:.2f} s, ask {stats['ask']['median_s']:.2f} s "
        f"(median of {args.runs}; import assistant {base:.2f} s)"
    )
    write("cold_start", data, line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
