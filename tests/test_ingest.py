"""Ingest against the real embedding model and real Chroma (embedded and a `chroma run` server)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.container import Container
from assistant.errors import IndexMismatchError, IngestLockedError, StoreUnavailableError
from assistant.services.corpus import discover
from tests.conftest import REPO, make_settings

pytestmark = pytest.mark.slow


def _corpus(tmp: Path, files: dict[str, str]) -> Path:
    d = tmp / "corpus"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def _ids(c: Container) -> set[str]:
    return set(c.store.metadata_by_id())


def test_reingest_computes_no_embeddings_and_tracks_changes(tmp_path: Path):
    corpus = _corpus(
        tmp_path, {"a.md": "# A\n\n## One\n\nalpha text\n", "b.txt": "plain b text", "c.md": "## C\n\ncharlie"}
    )
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    first = c.ingest.run()
    assert (first.added, first.embedded, first.chunks) == (3, 3, 3)
    again = c.ingest.run()
    assert (again.unchanged, again.embedded, again.added, again.updated, again.removed) == (3, 0, 0, 0, 0)

    (corpus / "a.md").write_text("# A\n\n## One\n\nalpha text changed\n", encoding="utf-8")
    (corpus / "c.md").unlink()
    (corpus / "d.md").write_text("## D\n\ndelta", encoding="utf-8")
    third = c.ingest.run()
    assert (third.added, third.updated, third.removed, third.unchanged, third.embedded) == (1, 1, 1, 1, 2)
    chunks = c.store.all_chunks()
    assert {ch.source for ch in chunks} == {"a.md", "b.txt", "d.md"}
    assert any("changed" in ch.text for ch in chunks) and not any(ch.text == "alpha text" for ch in chunks)


def test_a_command_after_a_corpus_edit_updates_the_index_first(tmp_path: Path):
    corpus = _corpus(tmp_path, {"a.md": "# A\n\n## One\n\nalpha text\n"})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    assert c.index.ensure() is True and c.index.is_current()
    assert c.index.ensure() is False  # nothing changed: no ingest
    (corpus / "b.md").write_text("## Two\n\nbravo text", encoding="utf-8")
    assert not c.index.is_current()
    assert c.index.ensure() is True  # ask / eval / exam see the new document, not a stale index
    assert {ch.source for ch in c.store.all_chunks()} == {"a.md", "b.md"}
    assert c.index.is_current() and c.index.ensure() is False


def test_moved_text_updates_spans_without_embedding(tmp_path: Path):
    corpus = _corpus(tmp_path, {"a.md": "## S\n\nfirst para\n\n## T\n\nsecond para\n"})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    c.ingest.run()
    (corpus / "a.md").write_text("intro line\n\n## S\n\nfirst para\n\n## T\n\nsecond para\n", encoding="utf-8")
    report = c.ingest.run()
    assert report.embedded == 1  # only the new intro chunk
    text = (corpus / "a.md").read_text(encoding="utf-8")
    for ch in c.store.all_chunks():
        assert text[ch.start : ch.end] == ch.text


def test_bad_files_are_named_and_the_rest_ingested(tmp_path: Path):
    corpus = _corpus(tmp_path, {"good.md": "## G\n\ngood text"})
    (corpus / "bin.txt").write_bytes(b"\x00\xff\x00")
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.7 garbage")
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    report = c.ingest.run()
    assert report.chunks == 1
    assert {p.source for p in report.problems} == {"bin.txt", "bad.pdf"}


def test_a_file_that_breaks_keeps_its_old_chunks(tmp_path: Path):
    corpus = _corpus(tmp_path, {"a.md": "## A\n\nkeep me", "b.md": "## B\n\nother"})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    c.ingest.run()
    (corpus / "a.md").write_bytes(b"\x00broken")
    report = c.ingest.run()
    assert report.removed == 0 and report.chunks == 2
    assert [p.source for p in report.problems] == ["a.md"]


def test_empty_corpus_is_a_clear_error(tmp_path: Path):
    from assistant.errors import CorpusError

    corpus = _corpus(tmp_path, {})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    with pytest.raises(CorpusError, match="nothing to ingest"):
        c.ingest.run()


def test_second_concurrent_ingest_is_refused(tmp_path: Path):
    from filelock import FileLock

    corpus = _corpus(tmp_path, {"a.md": "## A\n\ntext"})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    c.settings.data_dir.mkdir(parents=True)
    with FileLock(str(c.settings.data_dir / "ingest.lock")), pytest.raises(IngestLockedError, match="Another"):
        c.ingest.run()


def test_embedding_model_change_fails_fast(tmp_path: Path):
    corpus = _corpus(tmp_path, {"a.md": "## A\n\ntext"})
    Container(make_settings(tmp_path, corpus_dir=corpus)).ingest.run()
    other = Container(make_settings(tmp_path, corpus_dir=corpus))
    other.settings.embedding.model = "some/other-model"
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        other.retriever.search("text")
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        other.ingest.run()


def test_killed_ingest_then_rerun_leaves_exactly_the_corpus_chunks(tmp_path: Path):
    para = "Paragraph {j} of document {i} is about model drift, data quality and the pipeline steps that follow."
    files = {
        f"doc{i:03d}.md": f"## Doc {i}\n\n" + "\n\n".join(para.format(i=i, j=j) for j in range(20)) for i in range(60)
    }
    corpus = _corpus(tmp_path, files)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(tmp_path / "data"), ASSISTANT_CORPUS_DIR=str(corpus))
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "ingest"], env=env, stderr=subprocess.PIPE, text=True)
    seen = ""
    deadline = time.monotonic() + 120
    # Wait until the progress bar shows at least one stored batch, then kill without warning.
    while time.monotonic() < deadline and not re.search(r"embedding:[^\r\n]*\| *[1-9]\d*/\d+", seen):
        ch = proc.stderr.read(1)
        if not ch:
            break
        seen += ch
    assert proc.poll() is None, f"ingest ended before it could be killed: {seen[-500:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", "--json"], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(out.stdout)
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    from assistant.services.corpus import iter_chunks, load_corpus

    docs, _ = load_corpus(corpus, max_bytes=10**7)
    expected = {ch.id for ch in iter_chunks(docs, chunk_size=600, chunk_overlap=80)}
    assert _ids(c) == expected
    assert report["chunks"] == len(expected) and 0 < report["embedded"] < len(expected)


def test_chroma_server_backend(tmp_path: Path, chroma_server: dict):
    corpus = _corpus(
        tmp_path,
        {"a.md": "## Bias\n\nSageMaker Clarify detects bias.", "b.md": "## Drift\n\nModel Monitor watches drift."},
    )
    settings = make_settings(tmp_path, corpus_dir=corpus)
    settings.store.host, settings.store.port = chroma_server["host"], chroma_server["port"]
    settings.store.collection = "server-test"
    c = Container(settings)
    assert c.ingest.run().embedded == 2
    assert Container(settings).ingest.run().embedded == 0
    top = c.retriever.search("which service detects bias", k=1)[0]
    assert top.chunk.source == "a.md"


def test_chroma_server_down_is_a_clear_error(tmp_path: Path):
    from tests.conftest import free_port

    settings = make_settings(tmp_path)
    settings.store.host, settings.store.port = "127.0.0.1", free_port()
    with pytest.raises(StoreUnavailableError, match="chroma run"):
        Container(settings).store  # noqa: B018 - building the store connects


def test_cli_ingest_json_and_search_json(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_DATA_DIR=str(tmp_path / "data"), ASSISTANT_CORPUS_DIR=str(REPO / "corpus"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, check=True
        )

    first = json.loads(run("ingest", "--json").stdout)
    assert set(first) >= {"added", "updated", "removed", "unchanged", "chunks"} and first["added"] == len(
        discover(REPO / "corpus")
    )
    second = json.loads(run("ingest", "--json").stdout)
    assert second["embedded"] == 0 and second["unchanged"] == first["added"]
    hits = json.loads(run("search", "--json", "-k", "2", "detect bias in training data").stdout)
    assert len(hits) == 2 and set(hits[0]) >= {"id", "source", "section", "text", "start", "end", "score"}
    cfg = json.loads(run("config", "--json").stdout)
    assert cfg["data_dir"] == str(tmp_path / "data")


def test_whole_collection_reads_are_paged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.adapters import store as store_mod

    corpus = _corpus(tmp_path, {f"f{i}.md": f"## S{i}\n\ntext number {i}" for i in range(5)})
    c = Container(make_settings(tmp_path, corpus_dir=corpus))
    c.ingest.run()
    monkeypatch.setattr(store_mod, "PAGE", 2)  # 5 chunks over 3 pages
    assert len(c.store.metadata_by_id()) == 5
    assert sorted(ch.source for ch in c.store.all_chunks()) == [f"f{i}.md" for i in range(5)]
