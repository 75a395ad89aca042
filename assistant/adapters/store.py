"""Chroma: an embedded PersistentClient under the data dir, or a `chroma run` server via HttpClient.

The collection's metadata records the embedding model and dimension it was built with, so a query with
another model fails fast instead of returning nonsense.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import IndexMismatchError, IndexMissingError, StoreUnavailableError
from assistant.types import Chunk

REBUILD = "Run: assistant ingest --rebuild"
PAGE = 5000  # records per get() when reading a whole collection


class ChunkStore:
    """The chunks of the corpus with their embeddings, in one Chroma collection."""

    def __init__(self, client: Any, collection: str, *, where: str) -> None:
        self._client = client
        self._name = collection
        self.where = where  # for messages: "embedded store at …" / "Chroma server at …"
        self._col = None

    # -- collection lifecycle -------------------------------------------------------------------
    def collection(self, *, create_for: tuple[str, int] | None = None):
        """The collection; `create_for=(model, dim)` creates it when missing, else it must exist."""
        if self._col is not None:
            return self._col
        try:
            if create_for:
                model, dim = create_for
                self._col = self._client.get_or_create_collection(
                    self._name,
                    metadata={"embedding_model": model, "embedding_dim": dim},
                    configuration={"hnsw": {"space": "cosine"}},
                    embedding_function=None,
                )
            else:
                self._col = self._client.get_collection(self._name, embedding_function=None)
        except Exception as e:  # chromadb raises several unrelated types for "not found"
            if _is_not_found(e):
                msg = f"There is no index yet ({self.where}). Run: assistant ingest"
                raise IndexMissingError(msg) from e
            raise _unavailable(self.where, e) from e
        return self._col

    def exists(self) -> bool:
        try:
            self.collection()
        except IndexMissingError:
            return False
        return True

    def drop(self) -> None:
        try:
            self._client.delete_collection(self._name)
        except Exception as e:
            if not _is_not_found(e):
                raise _unavailable(self.where, e) from e
        self._col = None

    def check_model(self, model: str, dim: int | None = None) -> None:
        meta = self.collection().metadata or {}
        built_model, built_dim = meta.get("embedding_model"), meta.get("embedding_dim")
        if built_model != model or (dim is not None and built_dim not in (None, dim)):
            msg = (
                f"The index was built with embedding model {built_model!r} (dimension {built_dim}), "
                f"but the configured model is {model!r}" + (f" (dimension {dim})" if dim else "") + f". {REBUILD}"
            )
            raise IndexMismatchError(msg)

    # -- reads and writes -----------------------------------------------------------------------
    def count(self) -> int:
        return self._call(lambda: self.collection().count())

    def all_chunks(self) -> list[Chunk]:
        return [_chunk(i, d, m) for i, d, m in self._pages(["documents", "metadatas"])]

    def metadata_by_id(self) -> dict[str, dict[str, Any]]:
        return {i: m for i, _, m in self._pages(["metadatas"])}

    def _pages(self, include: list[str]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        """Every record, a page at a time: one get() of a whole large collection fails in Chroma's
        SQLite ("too many SQL variables", seen at 100,000 chunks)."""
        offset = 0
        while True:
            got = self._call(lambda o=offset: self.collection().get(include=include, limit=PAGE, offset=o))
            docs = got.get("documents") or [None] * len(got["ids"])
            yield from zip(got["ids"], docs, got["metadatas"])
            if len(got["ids"]) < PAGE:
                return
            offset += PAGE

    def upsert(self, chunks: Sequence[Chunk], embeddings: np.ndarray) -> None:
        self._call(
            lambda: self.collection().upsert(
                ids=[c.id for c in chunks],
                embeddings=embeddings,
                documents=[c.text for c in chunks],
                metadatas=[c.metadata() for c in chunks],
            )
        )

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        self._call(
            lambda: self.collection().update(ids=[c.id for c in chunks], metadatas=[c.metadata() for c in chunks])
        )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._call(lambda: self.collection().delete(ids=list(ids)))

    def query(self, embedding: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the n nearest chunks."""
        got = self._call(
            lambda: self.collection().query(query_embeddings=[embedding], n_results=n, include=["distances"])
        )
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0])]

    def embeddings(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._call(lambda: self.collection().get(ids=list(ids), include=["embeddings"]))
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    def _call(self, fn):
        try:
            return fn()
        except (IndexMissingError, IndexMismatchError, StoreUnavailableError):
            raise  # already a message for people; wrapping it again would repeat it
        except Exception as e:
            # The server may have restarted and forgotten our handle: drop it so the next call reconnects.
            self._col = None
            if _is_not_found(e):
                msg = f"There is no index yet ({self.where}). Run: assistant ingest"
                raise IndexMissingError(msg) from e
            raise _unavailable(self.where, e) from e


def _chunk(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=cid,
        source=str(meta.get("source", "")),
        section=str(meta.get("section", "")),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        title=str(meta.get("title", "")),
    )


def _is_not_found(e: Exception) -> bool:
    text = f"{type(e).__name__} {e}".lower()
    return "notfound" in text or "does not exist" in text or "not found" in text


_UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.ENOSPC}


def _unavailable(where: str, e: Exception) -> StoreUnavailableError:
    text = str(e)
    local = where.startswith("embedded")
    oserror = next((x for x in _chain(e) if isinstance(x, OSError) and x.errno in _UNWRITABLE), None)
    wording = any(
        w in text.lower() for w in ("readonly", "read-only", "permission", "not a directory", "not permitted")
    )
    if oserror is not None or wording:
        msg = f"The index at {where} cannot be opened or written ({text}). Make the data dir writable or set ASSISTANT_DATA_DIR."
    elif local:
        msg = f"The {where} failed: {type(e).__name__}: {text}. If the index is damaged, {REBUILD[0].lower()}{REBUILD[1:]}."
    else:
        msg = (
            f"The vector store ({where}) failed: {type(e).__name__}: {text}. If you use a Chroma server, "
            "check that `chroma run` is up at ASSISTANT_STORE__HOST/PORT."
        )
    return StoreUnavailableError(msg)


def _chain(e: BaseException | None) -> Iterator[BaseException]:  # the exception and its causes
    while e is not None:
        yield e
        e = e.__cause__ or e.__context__


def open_store(*, host: str | None, port: int, path: Path, collection: str) -> ChunkStore:
    """Embedded store at `path`, or the Chroma server at host:port when a host is given."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        where = f"Chroma server at http://{host}:{port}"
        try:
            client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
            client.heartbeat()
        except Exception as e:
            msg = f"{where} is not reachable ({type(e).__name__}: {e}). Start it with: chroma run --port {port}"
            raise StoreUnavailableError(msg) from e
        return ChunkStore(client, collection, where=where)
    where = f"embedded store at {path}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as e:
        raise _unavailable(where, e) from e
    return ChunkStore(client, collection, where=where)
