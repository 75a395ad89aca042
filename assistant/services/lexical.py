"""BM25 over the chunks (bm25s: sparse-matrix BM25, fast to build and query, saves to disk).

The index lives beside the vector store under the data dir and is rebuilt by every ingest; a reader
whose saved index does not match the store's chunks rebuilds it in memory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import threading
from pathlib import Path

from assistant.types import Chunk


@functools.lru_cache(maxsize=1)
def _stemmer():  # one Snowball stemmer per process, not one per query
    import Stemmer

    return Stemmer.Stemmer("english")


def fingerprint(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


class LexicalIndex:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._bm25 = None
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def rebuild(self, chunks: list[Chunk]) -> None:
        bm25, ids = self._build(chunks)
        tmp = self.directory.with_name(self.directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        if chunks:
            bm25.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(ids))
            shutil.rmtree(self.directory, ignore_errors=True)
            tmp.rename(self.directory)
        else:
            shutil.rmtree(self.directory, ignore_errors=True)
        with self._lock:
            self._bm25, self._ids = bm25, ids

    def ensure(self, expected: int, chunks_loader) -> None:
        """Load the saved index, or build it from the store's chunks when missing or stale
        (its size differs from the store's `expected` chunk count)."""
        with self._lock:
            if self._bm25 is not None and len(self._ids) == expected:
                return
        loaded = self._load()
        if loaded is None or len(loaded[1]) != expected:
            chunks = chunks_loader()
            loaded = self._build(chunks)
        with self._lock:
            self._bm25, self._ids = loaded

    def reset(self) -> None:
        with self._lock:
            self._bm25, self._ids = None, []

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        import bm25s

        with self._lock:
            bm25, ids = self._bm25, self._ids
        if bm25 is None or not ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=_stemmer(), show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = bm25.retrieve(tokens, k=min(n, len(ids)), show_progress=False, n_threads=1)
        return [(ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def _build(self, chunks: list[Chunk]):
        import bm25s

        bm25 = bm25s.BM25()
        ids = [c.id for c in chunks]
        if chunks:
            tokens = bm25s.tokenize(
                [c.embed_text for c in chunks], stopwords="en", stemmer=_stemmer(), show_progress=False
            )
            bm25.index(tokens, show_progress=False)
        return bm25, ids

    def _load(self):
        import bm25s

        ids_file = self.directory / "ids.json"
        if not ids_file.exists():
            return None
        try:
            ids = json.loads(ids_file.read_text())
            return bm25s.BM25.load(str(self.directory), show_progress=False), ids
        except (OSError, ValueError):
            return None
