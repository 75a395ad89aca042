"""The services the edges call: exam sessions (grade, record, history) and the index (status, re-ingest,
cache reset). Offline: a real SQLite bank in a temp folder, named fakes for the store and the ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.container import Container
from assistant.services.exam.bank import QuestionBank
from assistant.services.exam.items import ExamItem
from assistant.services.exam.session import (
    UNANSWERED,
    ExamSessionService,
    case_groups,
    chosen_letters,
    grade,
    is_correct,
    pairs_right,
)
from assistant.services.index import IndexService
from assistant.settings import Settings
from assistant.types import Chunk
from tests.matching_samples import case_items, matching_item
from tests.test_exam_bank import TOPICS, make_item, ticking_clock


def test_submit_grades_records_and_returns_the_cited_passages(tmp_path: Path) -> None:
    chunk = Chunk("c1", "guide.md", "Evaluation", "text", 0, 4)
    with QuestionBank(tmp_path / "bank.sqlite", now=ticking_clock()) as bank:
        sessions = ExamSessionService(bank, {"c1": chunk}.get, lambda: TOPICS)
        items = [make_item(1), make_item(2, "Model Training")]
        cited = [{"id": "c1", "section": "Evaluation", "quote": "text"}]
        items[0] = ExamItem.from_json({**items[0].to_json(), "citations": cited})
        scored = sessions.submit(items, [["B"], ["A"]], session="s1")
        assert [g.correct for g in scored.graded] == [True, False]
        assert scored.chunks == {"c1": chunk}
        assert list(scored.by_phase) == ["Model Training", "Model Evaluation"]  # the corpus topics' order
        assert [(a.item_id, a.correct, a.session) for a in bank.attempts()] == [
            (items[1].id, False, "s1"),
            (items[0].id, True, "s1"),
        ]
        history = sessions.history()
        assert history.weakest == sessions.weakest_phases() == ["Model Training", "Model Evaluation"]
        assert list(history.by_phase.items()) == [("Model Training", (0, 1)), ("Model Evaluation", (1, 1))]
        assert [m.item.id for m in history.mistakes] == [items[1].id]
        assert set(history.items) == {items[0].id, items[1].id}


class FakeStore:
    """A fake chunk store: a list of chunks, 'exists' once anything was ingested."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def exists(self) -> bool:
        return bool(self.chunks)

    def all_chunks(self) -> list[Chunk]:
        return list(self.chunks)


class FakeIngest:
    """A fake ingest service: adds a chunk per run, or fails as told."""

    def __init__(self, store: FakeStore, fail: Exception | None = None) -> None:
        self.store, self.fail, self.runs = store, fail, 0

    def run(self, *, rebuild: bool = False, progress=None):
        self.runs += 1
        if self.fail:
            raise self.fail
        self.store.chunks.append(Chunk(f"c{self.runs}", f"doc{self.runs}.md", "", "text", 0, 4))
        self.changed = False
        return {"chunks": len(self.store.chunks)}

    changed = False  # the corpus changed since the last run (the real service compares a stamp)

    def is_current(self) -> bool:
        return self.runs > 0 and not self.changed


def test_index_service_status_ensure_and_reset_after_every_ingest(tmp_path: Path) -> None:
    store, resets = FakeStore([]), []
    ingest = FakeIngest(store)
    index = IndexService(store, ingest, corpus_dir=tmp_path, on_change=lambda: resets.append(1))  # type: ignore[arg-type]
    assert not index.status().exists and index.chunks() == []
    assert index.ensure() is True and index.ensure() is False  # the second call finds the index
    assert ingest.runs == 1 and len(resets) == 1
    ingest.changed = True  # a document was edited: the next command updates the index first
    assert index.ensure() is True and index.ensure() is False
    assert ingest.runs == 2 and len(resets) == 2
    index.ingest()
    assert index.status().to_json() == {"exists": True, "chunks": 3, "documents": 3, "corpus_dir": str(tmp_path)}
    assert len(resets) == 3
    ingest.fail = RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        index.ingest()
    assert len(resets) == 4  # a failed ingest may have changed part of the index


class FakeRetrieverCache:
    """A fake retriever that only counts cache refreshes."""

    refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1


def test_cache_reset_forgets_everything_built_from_the_old_index_including_exams(tmp_path: Path) -> None:
    c = Container(Settings(data_dir=tmp_path, _env_file=None))
    retriever = FakeRetrieverCache()
    derived = ("topics", "guide_text", "guide_lines", "solver", "answers", "exams")
    c.__dict__.update({"retriever": retriever, **{name: object() for name in derived}})
    c.reset_index_caches()
    assert retriever.refreshed == 1
    assert not set(derived) & set(c.__dict__)


def test_container_overrides_do_not_change_the_settings_they_start_from(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)
    c = Container(settings, llm={"allow_general_knowledge": True})
    assert c.settings.llm.allow_general_knowledge and not settings.llm.allow_general_knowledge
    assert c.settings.data_dir == settings.data_dir


# -- matching and case studies ---------------------------------------------------------------------
def test_matching_is_correct_only_with_every_pair_and_reports_pairs_right() -> None:
    item = matching_item()
    right, two, none = grade([item] * 3, [["C", "A", "B"], ["C", "B", "A"], ["A", "B", "C"]])
    assert (right.correct, right.pairs_right) == (True, (3, 3))
    assert (two.correct, two.pairs_right) == (False, (1, 3))
    assert (none.correct, none.pairs_right) == (False, (0, 3))
    assert is_correct(item, ["c", "a", "b"]) and not is_correct(item, ["C", "A"])


def test_a_blank_premise_keeps_the_others_in_place() -> None:
    item = matching_item()
    assert chosen_letters(item, ["C", "", "B"]) == ("C", UNANSWERED, "B")
    assert chosen_letters(item, ["C"]) == ("C", UNANSWERED, UNANSWERED)
    assert pairs_right(item, ["C", "", "B"]) == (2, 3) and not is_correct(item, ["C", "", "B"])
    assert pairs_right(item, []) == (0, 3) and pairs_right(item, "C,,B") == (2, 3) and is_correct(item, "C,A,B")
    single = case_items()[0]
    assert (
        grade([single], [["b", ""]])[0].chosen == ("B",) == chosen_letters(single, "b")
        and grade([single], [["B"]])[0].pairs_right is None
    )


def test_case_groups_ask_a_case_studys_questions_together() -> None:
    first, second = case_items()
    alone = [make_item(1), make_item(2)]
    groups = case_groups([alone[0], first, alone[1], second])
    assert [[i.id for i in g] for g in groups] == [[alone[0].id], [first.id, second.id], [alone[1].id]]


def test_submit_records_a_matching_answer_pair_by_pair(tmp_path: Path) -> None:
    with QuestionBank(tmp_path / "bank.sqlite", now=ticking_clock()) as bank:
        sessions = ExamSessionService(bank, {}.get)
        first, second = case_items()
        scored = sessions.submit([first, second], [["B"], ["C", "", "A"]], session="s1")
        assert [g.correct for g in scored.graded] == [True, False]
        assert scored.graded[1].pairs_right == (1, 3)
        assert [a.chosen for a in bank.attempts()] == ["C,-,A", "B"]
        [mistake] = sessions.history().mistakes
        assert mistake.item == second and mistake.item.scenario == first.scenario
