"""The SQLite question bank: idempotent adds, attempts, per-phase stats, mistakes, schema versioning."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import InputError, StoreUnavailableError
from assistant.services.exam.bank import SCHEMA_VERSION, QuestionBank
from assistant.services.exam.items import ExamItem

# The topics a corpus would give (services.topics.corpus_topics): the bank orders and maps phases by them.
TOPICS = ("Business Problem", "Model Training", "Model Evaluation", "Model Deployment")


def make_item(n: int, phase: str = "Model Evaluation") -> ExamItem:
    return ExamItem.from_json(
        {
            "question": f"Question {n}: which AWS service fits scenario {n}?",
            "options": {"A": f"a{n}", "B": f"b{n}", "C": f"c{n}", "D": f"d{n}"},
            "answer": "B",
            "phase": phase,
        }
    )


def ticking_clock() -> Callable[[], datetime]:
    """A fake clock one second per call, so "most recent" is well defined in tests."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ticks = itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[QuestionBank]:
    with QuestionBank(tmp_path / "sub" / "bank.sqlite", now=ticking_clock()) as bank:
        yield bank


def test_add_items_is_idempotent_by_id(bank: QuestionBank) -> None:
    assert bank.add_items([make_item(1), make_item(2)]) == 2
    assert bank.add_items([make_item(1), make_item(2)]) == 0
    assert bank.add_items([make_item(2), make_item(3)]) == 1
    assert bank.count() == 3
    assert [i.id for i in bank.items()] == [make_item(n).id for n in (1, 2, 3)]
    assert bank.get(make_item(2).id) == make_item(2) and bank.get("x-missing") is None


def test_items_filter_by_phase_and_limit(bank: QuestionBank) -> None:
    bank.add_items([make_item(1), make_item(2, "Model Training"), make_item(3, "model_training")])
    # with the corpus's topics: any name of one, and items filed under another name of it
    assert [i.question[:10] for i in bank.items(phase="training", topics=TOPICS)] == ["Question 2", "Question 3"]
    assert len(bank.items(limit=2)) == 2
    assert bank.items(phase="Model Deployment", topics=TOPICS) == []
    with pytest.raises(ValueError, match="Known phases: Business Problem; Model Training"):
        bank.items(phase="astrology", topics=TOPICS)
    # without topics: the phase as written, case and punctuation aside
    assert [i.question[:10] for i in bank.items(phase="Model Training")] == ["Question 2", "Question 3"]
    assert bank.items(phase="training") == [] and bank.items(phase="astrology") == []


def test_questions_lists_every_stem(bank: QuestionBank) -> None:
    bank.add_items([make_item(1), make_item(2)])
    assert sorted(bank.questions()) == [make_item(1).question, make_item(2).question]


def test_schema_is_versioned_and_uses_wal(bank: QuestionBank) -> None:
    conn = sqlite3.connect(bank.path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"items", "attempts"} <= tables
    finally:
        conn.close()


def test_reopening_keeps_data_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank.sqlite"
    with QuestionBank(path) as bank:
        bank.add_items([make_item(1)])
    with QuestionBank(path) as bank:
        assert bank.count() == 1
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreUnavailableError, match="newer"):
        QuestionBank(path)


def test_two_bank_objects_share_one_file(tmp_path: Path) -> None:
    with QuestionBank(tmp_path / "b.sqlite") as first, QuestionBank(tmp_path / "b.sqlite") as second:
        first.add_items([make_item(1)])
        second.record_attempt(make_item(1).id, "B", True, "s1")
        assert len(first.attempts()) == 1
        assert second.add_items([make_item(1)]) == 0


def test_record_attempt_needs_a_known_item(bank: QuestionBank) -> None:
    with pytest.raises(InputError, match="No item 'x-nope'"):
        bank.record_attempt("x-nope", "A", False)


def test_attempts_most_recent_first(bank: QuestionBank) -> None:
    bank.add_items([make_item(1), make_item(2)])
    first = bank.record_attempt(make_item(1).id, "b", True, "s1")
    second = bank.record_attempt(make_item(2).id, ["D", "A"], False, "s1")
    attempts = bank.attempts()
    assert [a.id for a in attempts] == [second, first]
    assert attempts[0].chosen == "D,A" and attempts[0].correct is False and attempts[0].session == "s1"
    assert attempts[1].chosen == "B" and attempts[1].correct is True
    assert [a.id for a in bank.attempts(limit=1)] == [second]
    assert attempts[0].to_json()["item_id"] == make_item(2).id


def seed_attempts(bank: QuestionBank) -> None:
    items = [make_item(1), make_item(2, "Model Training"), make_item(3, "Model Deployment"), make_item(4)]
    bank.add_items(items)
    answers = [(1, True), (1, False), (4, True), (4, True), (2, False), (2, True), (2, False), (3, False)]
    for n, correct in answers:
        bank.record_attempt(items[n - 1].id, "B" if correct else "A", correct, "s")


def test_phase_stats(bank: QuestionBank) -> None:
    seed_attempts(bank)
    stats = bank.phase_stats(TOPICS)
    assert list(stats) == ["Model Training", "Model Evaluation", "Model Deployment"]  # the topics' order
    assert stats["Model Evaluation"] == {"answered": 4, "correct": 3, "accuracy": 0.75}
    assert stats["Model Training"] == {"answered": 3, "correct": 1, "accuracy": pytest.approx(1 / 3)}
    assert stats["Model Deployment"]["accuracy"] == 0.0
    # without topics: the order items were first added (item 1 is Model Evaluation)
    assert list(bank.phase_stats()) == ["Model Evaluation", "Model Training", "Model Deployment"]


def test_phase_stats_map_other_names_onto_topics_and_put_unknown_phases_last(bank: QuestionBank) -> None:
    items = [make_item(1, "Security"), make_item(2, "4. model_training"), make_item(3, "Model Training")]
    bank.add_items(items)
    for item in items:
        bank.record_attempt(item.id, "B", True, "s")
    stats = bank.phase_stats(TOPICS)
    assert list(stats) == ["Model Training", "Security"]
    assert stats["Model Training"]["answered"] == 2


def test_weakest_phases(bank: QuestionBank) -> None:
    assert bank.weakest_phases() == []
    seed_attempts(bank)
    assert bank.weakest_phases(topics=TOPICS) == ["Model Deployment", "Model Training"]
    assert bank.weakest_phases(n=1, min_answered=2, topics=TOPICS) == ["Model Training"]
    assert bank.weakest_phases(n=5, min_answered=4, topics=TOPICS) == ["Model Evaluation"]


def test_weakest_known_phases_leave_out_phases_no_topic_has(bank: QuestionBank) -> None:
    seed_attempts(bank)
    old = make_item(9, "Exam Strategy")
    bank.add_items([old])
    bank.record_attempt(old.id, "A", False, "s")
    bank.record_attempt(old.id, "A", False, "s")  # 0 of 2: weaker than Model Deployment's 0 of 1
    assert bank.weakest_phases(n=1, topics=TOPICS) == ["Exam Strategy"]
    assert bank.weakest_phases(n=1, topics=TOPICS, known_only=True) == ["Model Deployment"]


def test_mistakes_are_items_whose_latest_answer_was_wrong(bank: QuestionBank) -> None:
    seed_attempts(bank)
    mistakes = bank.mistakes()
    # item 1: right then wrong -> mistake; item 2: wrong, right, wrong -> mistake; item 3 wrong; item 4 right
    assert [m.item.question[:10] for m in mistakes] == ["Question 3", "Question 2", "Question 1"]
    assert all(m.chosen == "A" for m in mistakes)
    assert len(bank.mistakes(limit=2)) == 2
    bank.record_attempt(make_item(3, "Model Deployment").id, "B", True, "s2")
    assert [m.item.question[:10] for m in bank.mistakes()] == ["Question 2", "Question 1"]
    assert bank.mistakes()[0].to_json()["item"]["id"] == make_item(2, "Model Training").id


def test_threads_share_one_bank(bank: QuestionBank) -> None:
    """The web UI answers from worker threads: one bank object must serve them all."""
    bank.add_items([make_item(1)])

    def answer(k: int) -> None:
        for _ in range(10):
            bank.record_attempt(make_item(1).id, "B", k % 2 == 0, f"s{k}")

    threads = [threading.Thread(target=answer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bank.phase_stats()["Model Evaluation"] == {"answered": 40, "correct": 20, "accuracy": 0.5}
