"""The one place that builds the object graph from settings. Everything is built lazily, once."""

from __future__ import annotations

from functools import cached_property

from assistant.settings import Settings


class Container:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @cached_property
    def embedder(self):  # noqa: ANN201
        from assistant.adapters.embeddings import Embedder

        e = self.settings.embedding
        return Embedder(e.model, device=e.device, batch_size=e.batch_size)

    @cached_property
    def store(self):  # noqa: ANN201
        from assistant.adapters.store import open_store

        s = self.settings
        return open_store(host=s.store.host, port=s.store.port, path=s.chroma_path, collection=s.store.collection)

    @cached_property
    def lexical(self):  # noqa: ANN201
        from assistant.services.lexical import LexicalIndex

        s = self.settings
        name = f"{s.store.collection}-{s.store.host or 'local'}-{s.store.port if s.store.host else ''}".rstrip("-")
        return LexicalIndex(s.data_dir / "bm25" / name)

    @cached_property
    def retriever(self):  # noqa: ANN201
        from assistant.services.retrieve import Retriever

        r = self.settings.retrieval
        return Retriever(self.store, self.embedder, self.lexical, k=r.k, candidates=r.candidates, rrf_k=r.rrf_k)

    @cached_property
    def ingest(self):  # noqa: ANN201
        from assistant.services.ingest import IngestService

        s = self.settings
        return IngestService(
            store=self.store,
            embedder=self.embedder,
            corpus_dir=s.corpus_dir,
            data_dir=s.data_dir,
            chunk_size=s.retrieval.chunk_size,
            chunk_overlap=s.retrieval.chunk_overlap,
            max_file_bytes=s.max_file_mb * 1024 * 1024,
            lexical=self.lexical,
        )
