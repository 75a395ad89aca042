"""The embedder: the ONNX encoder gives sentence-transformers' vectors; the vector cache returns what
was stored. The ONNX tests load the real model (slow); the cache tests are offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.adapters import vector_cache
from assistant.adapters.embeddings import PACKAGED, Embedder
from assistant.adapters.vector_cache import VectorCache
from tests.conftest import REPO

TEXTS = [
    "drift",
    "Why do models degrade after deployment?",
    "Amazon SageMaker Clarify detects bias in training data and explains predictions.",
    "Feature engineering " * 200,  # longer than max_seq_length: cut the same way by both
    "Données, modèles et déploiement — ünïcödé",
    "",
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.mark.slow
def test_onnx_vectors_equal_the_sentence_transformers_vectors(cache_dir: Path) -> None:
    onnx = Embedder(PACKAGED, cache_dir=cache_dir, batch_size=4)  # batches of 4: padding inside a batch
    assert onnx.backend == "onnx"  # exported from the torch model on first use
    assert list((cache_dir / "onnx").glob("*.onnx"))
    reference = Embedder(PACKAGED).model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    got = onnx.encode(TEXTS)
    assert got.dtype == np.float32 and got.shape == reference.shape == (len(TEXTS), onnx.dimension)
    assert np.abs(got - reference).max() < 1e-5
    one = onnx.encode(["Why do models degrade after deployment?"])[0]  # alone: no padding at all
    assert np.abs(one - reference[1]).max() < 1e-5


@pytest.mark.slow
def test_a_new_process_encodes_queries_without_importing_torch(cache_dir: Path) -> None:
    Embedder(PACKAGED, cache_dir=cache_dir).encode(["warm up: makes sure the graph exists"])
    code = (
        "import json, sys; from pathlib import Path; from assistant.adapters.embeddings import Embedder;"
        f"e = Embedder({PACKAGED!r}, cache_dir=Path(sys.argv[1])); v = e.encode(['what is drift?']);"
        "print(json.dumps({'backend': e.backend, 'dim': int(v.shape[1]),"
        " 'heavy': sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(cache_dir)], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"backend": "onnx", "dim": 384, "heavy": []}


def test_without_a_cache_folder_or_for_other_models_torch_encodes(tmp_path: Path) -> None:
    assert Embedder(PACKAGED).backend == "torch"
    assert Embedder(PACKAGED, cache_dir=tmp_path, device="meta").backend == "torch"
    assert not (tmp_path / "onnx").exists()


# -- the vector cache (offline) -----------------------------------------------------------------


def _vecs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 4)).astype(np.float32)


def test_batches_are_written_and_read_back_by_a_new_instance(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    texts = [f"sentence {i}" for i in range(vector_cache.MIN_BATCH)]
    VectorCache(path).add(texts, _vecs(len(texts)))
    found = VectorCache(path).lookup([*texts, "never seen"])
    assert found[-1] is None
    assert np.array_equal(np.stack(found[:-1]), _vecs(len(texts)))


def test_the_embedder_keeps_batches_but_not_lone_queries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = Embedder(PACKAGED, cache_dir=tmp_path)
    computed: list[list[str]] = []

    def fake_compute(texts: list[str], *, show_progress: bool) -> np.ndarray:  # stands in for the model
        computed.append(texts)
        return _vecs(len(texts), seed=len(computed))

    monkeypatch.setattr(embedder, "_compute", fake_compute)
    batch = [f"guide sentence {i}" for i in range(vector_cache.MIN_BATCH)]
    first = embedder.encode(batch)
    embedder.encode(["a query"])
    embedder.encode(["a query"])
    again = Embedder(PACKAGED, cache_dir=tmp_path)
    monkeypatch.setattr(again, "_compute", fake_compute)
    assert np.array_equal(again.encode(batch), first)  # read back from disk, not computed
    assert computed == [batch, ["a query"], ["a query"]]


def test_the_oldest_entries_go_first_past_the_limit(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "vectors.npz", max_entries=10)
    first = [f"a{i}" for i in range(8)]
    second = [f"b{i}" for i in range(8)]
    cache.add(first, _vecs(8, 1))
    cache.add(second, _vecs(8, 2))
    reread = VectorCache(tmp_path / "vectors.npz", max_entries=10).lookup(first + second)
    assert [v is not None for v in reread] == [False] * 6 + [True] * 10


def test_a_damaged_file_is_ignored_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    path.write_bytes(b"not an npz file")
    cache = VectorCache(path)
    assert cache.lookup(["x"]) == [None]
    texts = [f"t{i}" for i in range(8)]
    cache.add(texts, _vecs(8))
    assert all(v is not None for v in VectorCache(path).lookup(texts))
