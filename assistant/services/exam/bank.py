"""The question bank: generated items and the learner's attempts, in one SQLite file.

One connection per bank object, guarded by a lock so UI threads can share it; WAL and a busy timeout
let the CLI, the web UI and a background generator use the file at once. (A connection per call was
tried: closing the last connection checkpoints the WAL, ~10 ms per recorded answer.) The schema version lives in `PRAGMA user_version`; `_MIGRATIONS[n]` upgrades n -> n+1.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import InputError, StoreUnavailableError
from assistant.services.exam.items import ExamItem, split_answer
from assistant.services.topics import known_phase, normalize_phase, topic_key

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        json TEXT NOT NULL,
        phase TEXT NOT NULL,
        difficulty TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX items_phase ON items(phase);
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        chosen TEXT NOT NULL,
        correct INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        session TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX attempts_item ON attempts(item_id, answered_at);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


@dataclass(frozen=True)
class Attempt:
    id: int
    item_id: str
    chosen: str
    correct: bool
    answered_at: str
    session: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Mistake:
    """An item whose latest attempt was wrong, with what the learner chose."""

    item: ExamItem
    chosen: str
    answered_at: str
    session: str

    def to_json(self) -> dict[str, Any]:
        return {
            "item": self.item.to_json(),
            "chosen": self.chosen,
            "answered_at": self.answered_at,
            "session": self.session,
        }


def _utcnow() -> datetime:
    return datetime.now(UTC)


class QuestionBank:
    """Items (idempotent by content id) and attempts, stored at `path`."""

    def __init__(self, path: str | Path, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.path = Path(path)
        self._now = now
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            msg = f"Cannot create the folder for the question bank {self.path}: {e}. Check the data dir setting."
            raise StoreUnavailableError(msg) from e
        try:
            self._conn = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL is crash-safe (a power cut may lose only the last commits) and spares an fsync per answer
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as e:
            msg = f"Cannot open the question bank {self.path}: {e}. Check the path and its permissions."
            raise StoreUnavailableError(msg) from e
        self._lock = threading.RLock()
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> QuestionBank:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """The shared connection, inside one transaction (commit, or rollback on error)."""
        with self._lock, self._conn:
            yield self._conn

    def _migrate(self) -> None:
        with self._lock:
            conn = self._conn
            conn.isolation_level = None  # explicit BEGIN IMMEDIATE: two processes must not migrate at once
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    msg = (
                        f"The question bank {self.path} has schema version {version}, newer than this "
                        f"assistant understands ({SCHEMA_VERSION}). Upgrade it, or use another bank file."
                    )
                    raise StoreUnavailableError(msg)
                for target in range(version, SCHEMA_VERSION):
                    for statement in filter(str.strip, _MIGRATIONS[target].split(";")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {target + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.isolation_level = ""  # back to implicit transactions for `with conn:`

    def _stamp(self) -> str:
        return self._now().astimezone(UTC).isoformat(timespec="microseconds")

    # ------------------------------------------------------------ items

    def add_items(self, items: Iterable[ExamItem]) -> int:
        """Store items not already in the bank (by id); returns how many were new."""
        now = self._stamp()
        rows = [(i.id, i.model_dump_json(), i.phase, i.difficulty, now) for i in items]
        with self._connect() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO items (id, json, phase, difficulty, created_at) VALUES (?, ?, ?, ?, ?)", rows
            )
            return conn.total_changes - before

    def items(
        self, phase: str | None = None, limit: int | None = None, *, topics: Sequence[str] = ()
    ) -> list[ExamItem]:
        """Items in the order they were added, optionally of one phase. With the corpus's `topics`,
        `phase` may be any name of one ("training") and items filed under another name of it count;
        an unknown phase raises ValueError naming the topics."""
        wanted = None if phase is None else normalize_phase(phase, topics) if topics else phase
        with self._connect() as conn:
            rows = conn.execute("SELECT json, phase FROM items ORDER BY created_at, rowid").fetchall()
        if wanted is not None:
            rows = [r for r in rows if _same_topic(_topic(r[1], topics), wanted)]
        return [ExamItem.from_json(r[0]) for r in rows[:limit]]

    def get(self, item_id: str) -> ExamItem | None:
        with self._connect() as conn:
            row = conn.execute("SELECT json FROM items WHERE id = ?", (item_id,)).fetchone()
        return ExamItem.from_json(row[0]) if row else None

    def count(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]

    def questions(self) -> list[str]:
        """Every stored stem: what `checks.run_checks(bank_questions=...)` compares new items against."""
        with self._connect() as conn:
            return [ExamItem.from_json(row[0]).question for row in conn.execute("SELECT json FROM items")]

    # ------------------------------------------------------------ attempts

    def record_attempt(self, item_id: str, chosen: str | Sequence[str], correct: bool, session: str = "") -> int:
        """Store one answer; `chosen` like "B", "B,D" or ["B", "D"]. Returns the attempt id."""
        letters = ",".join(split_answer(chosen))
        try:
            with self._connect() as conn:
                cur = conn.execute(
                    "INSERT INTO attempts (item_id, chosen, correct, answered_at, session) VALUES (?, ?, ?, ?, ?)",
                    (item_id, letters, int(bool(correct)), self._stamp(), session),
                )
                return int(cur.lastrowid or 0)
        except sqlite3.IntegrityError as e:
            msg = f"No item {item_id!r} in the question bank {self.path}. Add it before recording answers."
            raise InputError(msg) from e

    def attempts(self, limit: int | None = None) -> list[Attempt]:
        """Most recent first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, item_id, chosen, correct, answered_at, session FROM attempts "
                "ORDER BY answered_at DESC, id DESC LIMIT ?",
                (-1 if limit is None else limit,),
            ).fetchall()
        return [Attempt(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    def phase_stats(self, topics: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
        """Per phase with answers: {"answered", "correct", "accuracy"}, over every attempt. A phase that
        names one of the corpus's `topics` counts under it, in the topics' order; other phases follow in
        the order their items were first added."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT i.phase, COUNT(*), SUM(a.correct), MIN(i.rowid) FROM attempts a "
                "JOIN items i ON i.id = a.item_id GROUP BY i.phase ORDER BY MIN(i.rowid)"
            ).fetchall()
        counts: dict[str, list[int]] = {}
        for phase, n, ok, _ in rows:
            row = counts.setdefault(_topic(phase, topics), [0, 0])
            row[0] += n
            row[1] += int(ok or 0)
        order = {t: i for i, t in enumerate(topics)}
        ranked = sorted(counts, key=lambda p: order.get(p, len(order)))  # stable: first-added order after
        return {
            p: {"answered": counts[p][0], "correct": counts[p][1], "accuracy": counts[p][1] / counts[p][0]}
            for p in ranked
        }

    def weakest_phases(
        self, n: int = 2, min_answered: int = 1, *, topics: Sequence[str] = (), known_only: bool = False
    ) -> list[str]:
        """The `n` phases with the lowest accuracy (ties: more answers first, then `phase_stats` order).
        `known_only`: only phases that are among `topics` (what a new exam can be asked for)."""
        stats = [(p, s) for p, s in self.phase_stats(topics).items() if s["answered"] >= min_answered]
        if known_only and topics:
            stats = [(p, s) for p, s in stats if p in topics]
        order = {p: i for i, (p, _) in enumerate(stats)}
        stats.sort(key=lambda ps: (ps[1]["accuracy"], -ps[1]["answered"], order[ps[0]]))
        return [p for p, _ in stats[:n]]

    def mistakes(self, limit: int | None = None) -> list[Mistake]:
        """Items whose latest attempt was wrong, most recent first. Answering right later removes one."""
        with self._connect() as conn:
            rows = conn.execute(
                """
                SELECT i.json, a.chosen, a.answered_at, a.session
                FROM attempts a JOIN items i ON i.id = a.item_id
                WHERE a.id = (SELECT b.id FROM attempts b WHERE b.item_id = a.item_id
                              ORDER BY b.answered_at DESC, b.id DESC LIMIT 1)
                  AND a.correct = 0
                ORDER BY a.answered_at DESC, a.id DESC LIMIT ?
                """,
                (-1 if limit is None else limit,),
            ).fetchall()
        return [Mistake(ExamItem.from_json(r[0]), r[1], r[2], r[3]) for r in rows]


def _topic(phase: str, topics: Sequence[str]) -> str:
    """The topic an item's phase names, else the phase as stored."""
    return known_phase(phase, topics) or phase


def _same_topic(a: str, b: str) -> bool:
    return a == b or (bool(topic_key(a)) and topic_key(a) == topic_key(b))
