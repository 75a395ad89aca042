"""Incremental, idempotent ingest of the corpus into the chunk store.

Chunk ids are a hash of source path + content, so the index can be diffed against the corpus: only new
chunks are embedded, chunks whose file moved them only get their spans updated, and chunks of deleted or
changed text are removed. An ingest killed half-way leaves a subset of the right chunks; the next run
completes it. A file lock refuses a second concurrent ingest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from assistant.adapters.embeddings import Embedder
from assistant.adapters.store import ChunkStore
from assistant.errors import CorpusError, IngestLockedError, StoreUnavailableError
from assistant.services.corpus import Problem, iter_chunks, load_corpus
from assistant.services.lexical import LexicalIndex
from assistant.types import Chunk

Progress = Callable[[str, int, int], None]  # (stage, done, total)
BATCH = 64


@dataclass
class IngestReport:
    added: int = 0  # files new to the index
    updated: int = 0  # files whose chunks changed
    removed: int = 0  # files gone from the corpus
    unchanged: int = 0  # files with nothing to do
    chunks: int = 0  # chunks in the index afterwards
    embedded: int = 0  # embeddings computed in this run
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict:
        d = asdict(self)
        d["problems"] = [asdict(p) for p in self.problems]
        return d


@dataclass
class IngestService:
    store: ChunkStore
    embedder: Embedder
    corpus_dir: Path
    data_dir: Path
    chunk_size: int
    chunk_overlap: int
    max_file_bytes: int
    lexical: LexicalIndex

    def run(self, *, rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        lock = FileLock(str(self.data_dir / "ingest.lock"))
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=0)
        except Timeout as e:
            msg = "Another `assistant ingest` is running on this data dir; wait for it to finish and try again."
            raise IngestLockedError(msg) from e
        except OSError as e:
            msg = f"The data dir {self.data_dir} cannot be written ({e}). Make it writable or set ASSISTANT_DATA_DIR."
            raise StoreUnavailableError(msg) from e
        try:
            return self._run(rebuild=rebuild, progress=progress or (lambda *_: None))
        finally:
            lock.release()

    def _run(self, *, rebuild: bool, progress: Progress) -> IngestReport:
        if not self.corpus_dir.is_dir():
            msg = f"The corpus folder {self.corpus_dir} does not exist. Create it or set ASSISTANT_CORPUS_DIR."
            raise CorpusError(msg)
        docs, problems = load_corpus(self.corpus_dir, max_bytes=self.max_file_bytes)
        if not docs:
            why = "; ".join(f"{p.source}: {p.reason}" for p in problems) or "no .md, .txt or .pdf files"
            msg = f"The corpus folder {self.corpus_dir} has nothing to ingest ({why})."
            raise CorpusError(msg)
        chunks = list(iter_chunks(docs, chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap))
        if rebuild:
            self.store.drop()
        if self.store.exists():
            self.store.check_model(self.embedder.name)
        existing = self.store.metadata_by_id() if self.store.exists() else {}
        report = _diff_files(chunks, existing, problems)
        new = [c for c in chunks if c.id not in existing]
        moved = [c for c in chunks if c.id in existing and _meta_differs(existing[c.id], c)]
        wanted = {c.id for c in chunks}
        # A file that exists but failed to read this time keeps its old chunks: bad input loses nothing.
        keep = {p.source for p in problems}
        stale = [i for i, m in existing.items() if i not in wanted and m.get("source") not in keep]
        if new:
            col_meta = (self.embedder.name, self.embedder.dimension)
            self.store.collection(create_for=col_meta)
            self.store.check_model(*col_meta)
            self._embed_and_store(new, progress)
        if moved:
            self.store.update_metadata(moved)
        self.store.delete(stale)
        report.embedded = len(new)
        report.chunks = self.store.count() if (new or existing) else 0
        self.lexical.rebuild(self.store.all_chunks())
        self.stamp_path.write_text(self.corpus_stamp(), encoding="utf-8")
        return report

    @property
    def stamp_path(self) -> Path:
        return self.data_dir / "ingest.stamp"

    def corpus_stamp(self) -> str:
        """What the index was built from: every corpus file's path, size and modification time, the
        chunking and the embedding model. Cheap (no file is read), so every command can compare it."""
        parts = [f"{self.embedder.name}|{self.chunk_size}|{self.chunk_overlap}"]
        if self.corpus_dir.is_dir():
            for f in sorted(p for p in self.corpus_dir.rglob("*") if p.is_file()):
                st = f.stat()
                parts.append(f"{f.relative_to(self.corpus_dir)}|{st.st_size}|{st.st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def is_current(self) -> bool:
        """The index was built from the corpus as it is now (False when the corpus changed since)."""
        try:
            return self.stamp_path.read_text(encoding="utf-8") == self.corpus_stamp()
        except OSError:
            return False

    def _embed_and_store(self, new: list[Chunk], progress: Progress) -> None:
        progress("embedding", 0, len(new))
        for i in range(0, len(new), BATCH):
            batch = new[i : i + BATCH]
            vectors = self.embedder.encode([c.embed_text for c in batch])
            self.store.upsert(batch, vectors)
            progress("embedding", min(i + BATCH, len(new)), len(new))


def _meta_differs(meta: dict, chunk: Chunk) -> bool:
    return any(meta.get(k) != v for k, v in chunk.metadata().items())


def _diff_files(chunks: list[Chunk], existing: dict[str, dict], problems: list[Problem]) -> IngestReport:
    """Count files as added / updated / removed / unchanged by comparing chunk id sets per source."""
    want: dict[str, set[str]] = {}
    for c in chunks:
        want.setdefault(c.source, set()).add(c.id)
    have: dict[str, set[str]] = {}
    for cid, meta in existing.items():
        have.setdefault(str(meta.get("source", "")), set()).add(cid)
    report = IngestReport(problems=problems)
    for source, ids in want.items():
        if source not in have:
            report.added += 1
        elif have[source] != ids or any(
            c.source == source and _meta_differs(existing[c.id], c) for c in chunks if c.id in existing
        ):
            report.updated += 1
        else:
            report.unchanged += 1
    unreadable = {p.source for p in problems}
    report.removed = sum(1 for source in have if source not in want and source not in unreadable)
    return report
