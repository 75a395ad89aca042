"""Embeddings of texts already seen, kept on disk per model.

A cold `assistant ask` built the guide's line index by embedding every sentence of the guide again
(about 5 s on two cores) before answering. Those texts are the same on every start, so their vectors
are read back from one .npz file instead. Only batches are kept (a lone query costs milliseconds to
encode, and keeping it would grow the file with every question and make repeated queries look free in
benchmarks); the oldest entries go past `max_entries`.
The file is replaced atomically; two processes writing at once lose one side's new entries, which
costs a recomputation, never a wrong vector.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MIN_BATCH = 8  # texts in one encode call before it is looked up and kept
MAX_ENTRIES = 50_000  # about 75 MB for 384-dimensional vectors


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class VectorCache:
    def __init__(self, path: Path, *, max_entries: int = MAX_ENTRIES) -> None:
        self.path = path
        self.max_entries = max_entries
        self._rows: dict[bytes, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[bytes, np.ndarray]:
        if self._rows is None:
            self._rows = {}
            try:
                with np.load(self.path) as data:
                    keys, vecs = data["keys"], data["vectors"]
                self._rows = {bytes(k): v for k, v in zip(keys, vecs)}
            except (OSError, KeyError, ValueError):
                pass  # no file yet, or an unreadable one: it is rebuilt from what gets encoded
        return self._rows

    def lookup(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        with self._lock:
            rows = self._load()
            return [rows.get(text_key(t)) for t in texts]

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        with self._lock:
            rows = self._load()
            for t, v in zip(texts, vectors):
                rows[text_key(t)] = v
            while len(rows) > self.max_entries:  # dicts keep insertion order: drop the oldest
                del rows[next(iter(rows))]
            self._save(rows)

    def _save(self, rows: dict[bytes, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
        try:
            keys = np.array(list(rows), dtype="S20")
            np.savez(tmp, keys=keys, vectors=np.stack(list(rows.values())).astype(np.float32))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only or full data dir only costs the recomputation next time
        finally:
            tmp.unlink(missing_ok=True)
