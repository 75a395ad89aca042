"""Offline sanity checks for the hand-written evaluation data in evals/*.jsonl.

Fast: standard library only, no model loading. Validates schema, ids, gold sections against the
corpus headings, MCQ answer/option consistency, per-phase coverage and answer-letter balance.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.phases import PHASES

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
CORPUS = ROOT / "corpus" / "ml-development-lifecycle-and-pipeline.md"

FILES = {
    "retrieval": EVALS / "retrieval.jsonl",
    "mcq": EVALS / "mcq.jsonl",
    "open": EVALS / "open.jsonl",
    "out_of_scope": EVALS / "out_of_scope.jsonl",
}
MIN_COUNTS = {"retrieval": 48, "mcq": 110, "open": 30, "out_of_scope": 30}
ID_PREFIX = {"retrieval": "r", "mcq": "q", "open": "o", "out_of_scope": "x"}
OOS_KINDS = {"other_aws", "unrelated", "injection"}
CHOOSE_WORDS = {"TWO": 2, "THREE": 3, "FOUR": 4}
MIN_MCQ_PER_PHASE = 6
MAX_LETTER_SHARE = 0.35


def _load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as failure
                pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
            assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
            rows.append(obj)
    return rows


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict]]:
    for name, path in FILES.items():
        assert path.is_file(), f"missing eval file for {name}: {path}"
    return {name: _load(path) for name, path in FILES.items()}


@pytest.fixture(scope="module")
def headings() -> set[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return {line.lstrip("#").strip() for line in lines if line.startswith("#")}


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_gold(row: dict, headings: set[str], where: str) -> None:
    gold = row.get("gold_sections")
    assert isinstance(gold, list) and gold, f"{where}: gold_sections must be a non-empty list"
    assert len(gold) == len(set(gold)), f"{where}: duplicate gold_sections"
    for section in gold:
        assert _nonempty_str(section), f"{where}: gold section must be a non-empty string"
        assert section in headings, f"{where}: {section!r} is not a heading in the corpus"


def _expected_answer_count(question: str) -> int:
    match = re.search(r"\(\s*Choose\s+(TWO|THREE|FOUR)\s*\.?\s*\)", question, re.IGNORECASE)
    return CHOOSE_WORDS[match.group(1).upper()] if match else 1


# --------------------------------------------------------------------------- generic checks


@pytest.mark.parametrize("name", list(FILES))
def test_every_line_is_valid_json_object(name: str) -> None:
    path = FILES[name]
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            assert line.strip(), f"{path.name}:{lineno}: blank line"
            assert isinstance(json.loads(line), dict), f"{path.name}:{lineno}: not an object"


@pytest.mark.parametrize("name", list(FILES))
def test_ids_unique_and_prefixed(data: dict[str, list[dict]], name: str) -> None:
    ids = [row.get("id") for row in data[name]]
    assert all(_nonempty_str(i) for i in ids), f"{name}: every row needs a string id"
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"{name}: duplicate ids {dupes}"
    prefix = ID_PREFIX[name]
    bad = [i for i in ids if not re.fullmatch(rf"{prefix}\d{{3,}}", i)]
    assert not bad, f"{name}: ids not of the form {prefix}NNN: {bad}"


@pytest.mark.parametrize("name", list(FILES))
def test_minimum_counts(data: dict[str, list[dict]], name: str) -> None:
    assert len(data[name]) >= MIN_COUNTS[name], f"{name}: {len(data[name])} rows, need >= {MIN_COUNTS[name]}"


def test_no_question_duplicated_across_files(data: dict[str, list[dict]]) -> None:
    seen: dict[str, str] = {}
    dupes = []
    for name, rows in data.items():
        for row in rows:
            key = " ".join(row["question"].lower().split())
            where = f"{name}:{row['id']}"
            if key in seen:
                dupes.append((seen[key], where))
            else:
                seen[key] = where
    assert not dupes, f"duplicated question text: {dupes}"


# --------------------------------------------------------------------------- retrieval


def test_retrieval_schema(data: dict[str, list[dict]], headings: set[str]) -> None:
    for row in data["retrieval"]:
        where = f"retrieval:{row.get('id')}"
        assert set(row) == {"id", "question", "gold_sections"}, f"{where}: keys {sorted(row)}"
        assert _nonempty_str(row["question"]), f"{where}: empty question"
        _check_gold(row, headings, where)


# --------------------------------------------------------------------------- mcq


def test_mcq_schema(data: dict[str, list[dict]], headings: set[str]) -> None:
    required = {"id", "question", "options", "answer", "phase", "gold_sections"}
    for row in data["mcq"]:
        where = f"mcq:{row.get('id')}"
        assert set(row) == required, f"{where}: keys {sorted(row)}"
        assert _nonempty_str(row["question"]), f"{where}: empty question"
        assert row["phase"] in PHASES, f"{where}: unknown phase {row['phase']!r}"
        _check_gold(row, headings, where)

        options = row["options"]
        assert isinstance(options, dict), f"{where}: options must be an object"
        letters = list(options)
        expected_letters = [chr(ord("A") + i) for i in range(len(letters))]
        assert len(letters) >= 4, f"{where}: need at least 4 options"
        assert letters == expected_letters, f"{where}: option letters {letters} not contiguous from A"
        texts = list(options.values())
        assert all(_nonempty_str(t) for t in texts), f"{where}: empty option text"
        norm = [" ".join(t.lower().split()) for t in texts]
        assert len(set(norm)) == len(norm), f"{where}: duplicate option texts"


def test_mcq_answers_consistent(data: dict[str, list[dict]]) -> None:
    for row in data["mcq"]:
        where = f"mcq:{row['id']}"
        answer = row["answer"]
        assert isinstance(answer, str), f"{where}: answer must be a string"
        assert re.fullmatch(r"[A-Z](,[A-Z])*", answer), f"{where}: malformed answer {answer!r}"
        picked = answer.split(",")
        assert picked == sorted(set(picked)), f"{where}: answer letters must be unique and sorted"
        for letter in picked:
            assert letter in row["options"], f"{where}: answer {letter} not among options"
        expected = _expected_answer_count(row["question"])
        assert len(picked) == expected, f"{where}: {len(picked)} answer letter(s) but question implies {expected}"
        assert len(picked) < len(row["options"]), f"{where}: every option is correct"


def test_mcq_every_phase_covered(data: dict[str, list[dict]]) -> None:
    counts = Counter(row["phase"] for row in data["mcq"])
    thin = {p: counts.get(p, 0) for p in PHASES if counts.get(p, 0) < MIN_MCQ_PER_PHASE}
    assert not thin, f"phases with fewer than {MIN_MCQ_PER_PHASE} MCQ items: {thin}"


def test_mcq_has_multiple_response_items(data: dict[str, list[dict]]) -> None:
    multi = [row for row in data["mcq"] if "," in row["answer"]]
    assert multi, "expected some multiple-response (Choose TWO) items"
    for row in multi:
        assert len(row["options"]) == 5, f"mcq:{row['id']}: multiple-response items need 5 options"


def test_mcq_single_answer_letter_balance(data: dict[str, list[dict]]) -> None:
    singles = [row["answer"] for row in data["mcq"] if "," not in row["answer"]]
    assert singles
    counts = Counter(singles)
    worst, n = counts.most_common(1)[0]
    share = n / len(singles)
    assert share <= MAX_LETTER_SHARE, (
        f"answer letter {worst} is correct in {share:.0%} of single-answer items ({dict(counts)})"
    )


# --------------------------------------------------------------------------- open


def test_open_schema(data: dict[str, list[dict]], headings: set[str]) -> None:
    for row in data["open"]:
        where = f"open:{row.get('id')}"
        assert set(row) == {"id", "question", "required_facts", "gold_sections"}, f"{where}: keys {sorted(row)}"
        assert _nonempty_str(row["question"]), f"{where}: empty question"
        _check_gold(row, headings, where)
        facts = row["required_facts"]
        assert isinstance(facts, list) and 1 <= len(facts) <= 3, f"{where}: need 1-3 facts"
        for fact in facts:
            assert isinstance(fact, list) and fact, f"{where}: each fact is a non-empty list"
            assert all(_nonempty_str(form) for form in fact), f"{where}: empty surface form"


# --------------------------------------------------------------------------- out of scope


def test_out_of_scope_schema(data: dict[str, list[dict]]) -> None:
    for row in data["out_of_scope"]:
        where = f"out_of_scope:{row.get('id')}"
        assert set(row) == {"id", "question", "kind"}, f"{where}: keys {sorted(row)}"
        assert _nonempty_str(row["question"]), f"{where}: empty question"
        assert row["kind"] in OOS_KINDS, f"{where}: unknown kind {row['kind']!r}"


def test_out_of_scope_kinds_all_present(data: dict[str, list[dict]]) -> None:
    kinds = Counter(row["kind"] for row in data["out_of_scope"])
    missing = OOS_KINDS - set(kinds)
    assert not missing, f"out_of_scope has no items of kind {sorted(missing)}"
