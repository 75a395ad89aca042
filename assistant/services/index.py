"""The index as the edges see it: what is indexed, re-indexing, and forgetting what was derived from it.

The web UI and the CLI call this service; neither reaches into the store or resets caches itself, so
a re-ingest from anywhere also refreshes retrieval, guide lines, the MCQ solver and the exam writer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.adapters.store import ChunkStore
from assistant.services.ingest import IngestReport, IngestService, Progress
from assistant.types import Chunk


@dataclass(frozen=True)
class IndexStatus:
    exists: bool
    chunks: int
    documents: int
    corpus_dir: Path

    def to_json(self) -> dict[str, Any]:
        return {
            "exists": self.exists,
            "chunks": self.chunks,
            "documents": self.documents,
            "corpus_dir": str(self.corpus_dir),
        }


class IndexService:
    def __init__(
        self,
        store: ChunkStore,
        ingest: IngestService,
        *,
        corpus_dir: Path,
        on_change: Callable[[], None],
        warm: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self._ingest = ingest
        self.corpus_dir = corpus_dir
        self._on_change = on_change  # drops every cache built from the old index
        self._warm = warm  # builds what is derived from the new index (the knowledge layer) now, not on first use

    def exists(self) -> bool:
        return self.store.exists()

    def chunks(self) -> list[Chunk]:
        """Every indexed chunk (none when there is no index yet)."""
        return self.store.all_chunks() if self.store.exists() else []

    def status(self) -> IndexStatus:
        chunks = self.chunks()
        return IndexStatus(bool(chunks) or self.exists(), len(chunks), len({c.source for c in chunks}), self.corpus_dir)

    def ingest(self, *, rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
        """Index the corpus folder (incremental unless `rebuild`), then reset what was derived from it."""
        try:
            report = self._ingest.run(rebuild=rebuild, progress=progress)
        finally:
            self.reset_caches()  # a failed ingest may still have changed part of the index
        if self._warm is not None:
            if progress is not None:
                progress("knowledge", 0, 1)
            self._warm()
            if progress is not None:
                progress("knowledge", 1, 1)
        return report

    def ensure(self, progress: Progress | None = None) -> bool:
        """Ingest when there is no index yet (a first `ask` should not fail on a fresh clone) or when the
        corpus changed since the last ingest (an edited or added document; the ingest is incremental, so
        unchanged files cost nothing). Returns True when it ingested."""
        if self.store.exists() and self.is_current():
            return False
        self.ingest(progress=progress)
        return True

    def is_current(self) -> bool:
        """The index was built from the corpus as it is now."""
        return self._ingest.is_current()

    def reset_caches(self) -> None:
        self._on_change()
