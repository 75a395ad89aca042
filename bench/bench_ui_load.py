"""The web UI under load: N concurrent chat sessions against a real `assistant serve` on loopback.

Starts `python -m assistant serve --port P` (embedded model, data dir in a temp folder), waits until it
answers, warms it with a few questions and reads its peak RSS (VmHWM, /proc/PID/status) with both
models loaded. Then, for each N in --sessions, N gradio_client sessions ask at the same moment:
per-request latency p50/p95 (end to end, queue wait included), time to the first streamed update,
and the error count. LLM events run one at a time by design, so latency grows about linearly in N.
Writes bench/results/ui_load.json.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import summary, write

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What happens in the model training phase?",
    "What is an ML pipeline?",
    "How do you detect model drift?",
    "Which AWS services are used for data collection?",
    "What is feature engineering?",
    "What are KPIs in business problem definition?",
    "Why do models degrade after deployment?",
    "What is a feature store used for?",
]
WARM_UP = QUESTIONS[:3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, float]:
    """VmHWM (peak RSS) and VmRSS of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def start_serve(data_dir: Path, port: int, log: Path, timeout_s: float) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_LLM__BACKEND="embedded", HF_HUB_OFFLINE="1")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`assistant serve` exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(1)
    proc.kill()
    raise RuntimeError(f"`assistant serve` did not answer within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def client(url: str, tmp: Path):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False, download_files=str(tmp))


def ask(cl: Any, question: str) -> dict[str, Any]:
    """One chat request: end-to-end seconds, seconds to the first streamed update, and any error."""
    t0 = time.perf_counter()
    job = cl.submit(question, [], api_name="/chat")
    first = None
    while not job.done():
        if first is None and job.outputs():
            first = time.perf_counter() - t0
        time.sleep(0.02)
    try:
        history, _ = job.result()
        text = _text(history[-1]) if history else ""
        error = "error-note" if 'class="error-note"' in text or not text else None
    except Exception as e:  # counted, not raised: the figure is how many sessions failed
        error = f"{type(e).__name__}: {e}"
    total = time.perf_counter() - t0
    return {"total_s": total, "first_update_s": first if first is not None else total, "error": error}


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if isinstance(p, dict))


def load(url: str, n: int, tmp: Path) -> dict[str, Any]:
    """N sessions (one gradio_client each, connected beforehand) ask at the same moment."""
    clients = [client(url, tmp) for _ in range(n)]
    gate = threading.Barrier(n)

    def session(i: int) -> dict[str, Any]:
        gate.wait()
        return ask(clients[i], QUESTIONS[i % len(QUESTIONS)])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        rows = list(pool.map(session, range(n)))
    wall = time.perf_counter() - t0
    errors = [r["error"] for r in rows if r["error"]]
    return {
        "sessions": n,
        "wall_s": round(wall, 2),
        "latency": summary([r["total_s"] * 1000 for r in rows]),
        "first_update": summary([r["first_update_s"] * 1000 for r in rows]),
        "errors": len(errors),
        "error_samples": errors[:3],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 16], help="concurrent sessions per step")
    p.add_argument("--start-timeout", type=float, default=900.0, help="seconds for ingest + model load at start")
    args = p.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        t0 = time.perf_counter()
        proc = start_serve(tmp / "data", port, tmp / "serve.log", args.start_timeout)
        ready_s = time.perf_counter() - t0
        try:
            warm = [ask(client(url, tmp), q) for q in WARM_UP]
            rss_warm = proc_status(proc.pid)
            steps = [load(url, n, tmp) for n in args.sessions]
            rss_load = proc_status(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        note = next((ln for ln in (tmp / "serve.log").read_text().splitlines() if "embedded model" in ln), "")
    data = {
        "backend_note": note.strip(),
        "load_average_1min_before": load_before,
        "serve_ready_s": round(ready_s, 1),
        "warm_up_s": [round(w["total_s"], 2) for w in warm],
        "warm_up_errors": sum(1 for w in warm if w["error"]),
        "serve_rss_mb": {
            "peak_after_warm_up": rss_warm.get("VmHWM"),
            "rss_after_warm_up": rss_warm.get("VmRSS"),
            "peak_after_load": rss_load.get("VmHWM"),
        },
        "steps": steps,
        "note": "Latency is end to end per request, queue wait included; LLM events run one at a time.",
    }
    parts = [
        f"N={s['sessions']} p50 {s['latency']['p50_ms'] / 1000:.1f} s p95 {s['latency']['p95_ms'] / 1000:.1f} s "
        f"errors {s['errors']}"
        for s in steps
    ]
    peak = rss_load.get("VmHWM")
    write("ui_load", data, "; ".join(parts) + f"; serve peak RSS {peak} MB")


if __name__ == "__main__":
    main()
