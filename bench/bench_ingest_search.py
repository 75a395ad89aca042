"""Ingest and search: our pipeline against the raw libraries on the same data, in the same run.

- ingest: chunks/s of IngestService.run() on the guide vs a raw sentence-transformers encode of the
  same chunk texts; then a re-ingest of the unchanged corpus (must compute 0 embeddings).
- search: warm Retriever.search() p50/p95 vs a raw Chroma query with a precomputed embedding; also on
  synthetic corpora of 10,000 and 100,000 chunks (--sizes) to show how latency grows.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.adapters.embeddings import Embedder
from assistant.container import Container
from assistant.services.corpus import iter_chunks, load_corpus
from assistant.settings import Settings
from assistant.types import Chunk
from bench.common import summary, timed_ms, write

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "which service detects bias in training data",
    "what happens after a model is deployed",
    "how do I automate the ML workflow end to end",
    "where do processed features get stored for reuse",
    "real-time or batch inference for nightly scoring",
]


def bench_ingest(tmp: Path) -> dict:
    c = Container(Settings(data_dir=tmp / "data", _env_file=None))
    docs, _ = load_corpus(c.settings.corpus_dir, max_bytes=10**8)
    chunks = list(
        iter_chunks(docs, chunk_size=c.settings.retrieval.chunk_size, chunk_overlap=c.settings.retrieval.chunk_overlap)
    )
    # The raw figure is sentence-transformers itself: an Embedder without a cache folder (no ONNX, and
    # no vector cache that the ingest below would then read instead of encoding).
    raw = Embedder(c.settings.embedding.model)
    raw.encode(["warm up"])  # model load is not part of either figure
    c.embedder.encode(["warm up"])
    t = time.perf_counter()
    raw.encode([ch.embed_text for ch in chunks])
    raw_s = time.perf_counter() - t
    t = time.perf_counter()
    first = c.ingest.run()
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    again = c.ingest.run()
    re_s = time.perf_counter() - t
    return {
        "chunks": len(chunks),
        "raw_encode_s": round(raw_s, 3),
        "ingest_s": round(ours_s, 3),
        "raw_chunks_per_s": round(len(chunks) / raw_s, 1),
        "ingest_chunks_per_s": round(len(chunks) / ours_s, 1),
        "ingest_vs_raw": round(ours_s / raw_s, 2),
        "reingest_s": round(re_s, 3),
        "reingest_embeddings": again.embedded,
        "first_embeddings": first.embedded,
    }


def bench_search(c: Container, repeats: int) -> dict:
    c.retriever.search(QUERIES[0])  # warm: chunks, BM25 and model loaded
    vecs = {q: c.embedder.encode([q])[0] for q in QUERIES}
    col = c.store.collection()
    ours = [ms for q in QUERIES for ms in timed_ms(lambda q=q: c.retriever.search(q), repeats)]
    raw = [
        ms
        for q in QUERIES
        for ms in timed_ms(lambda q=q: col.query(query_embeddings=[vecs[q]], n_results=c.settings.retrieval.k), repeats)
    ]
    embed = [ms for q in QUERIES for ms in timed_ms(lambda q=q: c.embedder.encode([q]), repeats)]
    o, r, e = summary(ours), summary(raw), summary(embed)
    return {
        "ours": o,
        "raw_chroma_query": r,
        "query_embedding": e,
        "p50_ratio": round(o["p50_ms"] / max(r["p50_ms"], 1e-6), 2),
    }


def synthetic(c: Container, n: int, seed: int = 0) -> None:
    """n chunks with random unit vectors and guide-like words, written straight into the store."""
    rng = np.random.default_rng(seed)
    words = (ROOT / "corpus" / "ml-development-lifecycle-and-pipeline.md").read_text(encoding="utf-8").split()
    col = c.store.collection(create_for=(c.embedder.name, c.embedder.dimension))
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        vecs = rng.normal(size=(size, c.embedder.dimension)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        chunks = [
            Chunk(
                f"syn-{start + i}", "synthetic.md", f"Section {(start + i) % 97}", " ".join(rng.choice(words, 40)), 0, 0
            )
            for i in range(size)
        ]
        col.add(
            ids=[ch.id for ch in chunks],
            embeddings=vecs,
            documents=[ch.text for ch in chunks],
            metadatas=[ch.metadata() for ch in chunks],
        )
    c.lexical.rebuild(c.store.all_chunks())
    c.retriever.refresh()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        ingest = bench_ingest(tmp)
        c = Container(Settings(data_dir=tmp / "data", _env_file=None))
        searches = {"guide": bench_search(c, args.repeats)}
        for n in args.sizes:
            big = Container(Settings(data_dir=tmp / f"syn{n}", _env_file=None))
            t = time.perf_counter()
            synthetic(big, n)
            searches[f"synthetic_{n}"] = {
                **bench_search(big, max(3, args.repeats // 4)),
                "build_s": round(time.perf_counter() - t, 1),
            }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    g = searches["guide"]
    line = (
        f"ingest {ingest['ingest_chunks_per_s']} chunks/s vs raw encode {ingest['raw_chunks_per_s']} ({ingest['ingest_vs_raw']}x time); "
        f"re-ingest {ingest['reingest_embeddings']} embeddings in {ingest['reingest_s']} s; warm search p50 {g['ours']['p50_ms']} ms "
        f"(raw chroma {g['raw_chroma_query']['p50_ms']} ms)"
        + "".join(f"; {k} p50 {v['ours']['p50_ms']} ms" for k, v in searches.items() if k != "guide")
    )
    write("ingest_search", {"ingest": ingest, "search": searches}, line)


if __name__ == "__main__":
    main()
