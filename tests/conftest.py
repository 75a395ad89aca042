"""Shared fixtures. Integration fixtures use the real embedding model and real Chroma; they are
session-scoped so the model loads once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# A developer's own ASSISTANT_* settings must not reach the session fixtures either (the autouse
# fixture below only covers each test, after session fixtures were built).
for _key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
    del os.environ[_key]
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Fixtures that load a real model, open Chroma or start a server. A test that uses one (directly or
# through another fixture) is marked slow here, so `make test-fast` (-m "not slow") stays offline and
# quick without each such test having to remember its marker.
HEAVY_FIXTURES = {
    "guide_container": "embedding model + Chroma, ingests the guide",
    "chroma_server": "starts `chroma run`",
    "gguf": "writes the 250 MB Gemma GGUF",
    "llm": "loads Gemma in llama.cpp",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HEAVY_FIXTURES.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests build their own settings: a developer's ASSISTANT_* variables must not leak in."""
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(REPO)


def make_settings(tmp: Path, **overrides):
    from assistant.settings import Settings

    corpus = overrides.pop("corpus_dir", REPO / "corpus")
    return Settings(data_dir=tmp / "data", corpus_dir=corpus, _env_file=None, **overrides)


@pytest.fixture(scope="session")
def guide_container(tmp_path_factory: pytest.TempPathFactory):
    """A container over the real guide, ingested once into a temp data dir."""
    from assistant.container import Container

    c = Container(make_settings(tmp_path_factory.mktemp("guide")))
    c.ingest.run()
    return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` server on loopback, started by the test suite."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert exe, "the chroma CLI ships with the chromadb package; is the venv installed?"
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = start_chroma(exe, path, port)
    yield {"host": "127.0.0.1", "port": port, "path": path, "exe": exe, "proc": proc}
    proc.terminate()
    proc.wait(timeout=10)


def start_chroma(exe: str, path: Path, port: int) -> subprocess.Popen:
    log = open(path.parent / f"chroma-{port}.log", "w")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"chroma run did not start on port {port}")
