"""Exports: JSON reloads, Markdown keeps the key apart, Anki notes keep their GUIDs, GIFT and CSV read back."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest

from assistant.services.exam.export import (
    ANKI_DECK_ID,
    ANKI_MODEL_ID,
    CSV_COLUMNS,
    FORMATS,
    export,
    gift_escape,
    parse_gift,
)
from assistant.services.exam.items import ExamItem, load_items
from tests.matching_samples import NEEDS, SCENARIO, SERVICES, case_items, matching_item

TRICKY = "Which service checks {bias} = fairness? Note: #1 ~ best \\ worst"


def sample_items() -> list[ExamItem]:
    single = {
        "question": TRICKY,
        "options": {
            "A": "Amazon SageMaker Model Monitor",
            "B": "Amazon SageMaker Clarify",
            "C": "AWS Glue DataBrew",
            "D": "Amazon SageMaker Data <Wrangler>",
        },
        "answer": "B",
        "explanations": {"A": "Watches drift: not bias.", "B": "Detects bias {pre & post} training."},
        "citations": [
            {"id": "c1", "section": "Common Exam Scenarios", "quote": "detecting bias in training data → Answer"}
        ],
        "phase": "Model Evaluation",
        "difficulty": "easy",
    }
    multi = {
        "type": "multi",
        "question": "Which TWO services orchestrate ML pipelines? (Choose TWO.)",
        "options": ["Amazon SageMaker Pipelines", "Amazon S3", "AWS Step Functions", "Amazon Kinesis", "AWS Lambda"],
        "answer": "A,C",
        "explanations": {"A": "Pipelines orchestrates.", "B": "Storage.", "C": "Orchestrates."},
        "phase": "ML Pipelines and MLOps",
        "difficulty": "hard",
    }
    ordering = {
        "type": "ordering",
        "question": "Order the pipeline steps.",
        "options": ["Training", "Data Ingestion", "Model Registry", "Feature Store"],
        "answer": "B,D,A,C",
        "phase": "pipelines",
    }
    return [ExamItem.from_json(d) for d in (single, multi, ordering)]


def test_unknown_format_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Known formats: json, md, anki, gift, csv"):
        export(sample_items(), "pdf", tmp_path / "x.pdf")
    assert FORMATS == ("json", "md", "anki", "gift", "csv")


def test_json_round_trips_through_load_items(tmp_path: Path) -> None:
    path = export(sample_items(), "json", tmp_path / "out" / "exam.json")
    data = json.loads(path.read_text())
    assert data["meta"]["count"] == 3 and data["meta"]["exported_at"].endswith("+00:00")
    assert load_items(path) == sample_items()


def test_markdown_keeps_the_answer_key_after_all_questions(tmp_path: Path) -> None:
    text = export(sample_items(), "md", tmp_path / "exam.md").read_text()
    questions, key = text.split("## Answer key")
    assert text.count("## Answer key") == 1
    assert questions.count("## Question ") == 3 and "## Question" not in key
    assert TRICKY in questions and "- **D.** Amazon SageMaker Data <Wrangler>" in questions
    for answer in ("Answer: B", "Answer: A,C", "Answer: B,D,A,C"):
        assert answer in key and answer not in questions
    assert "Detects bias {pre & post} training." in key and "Detects bias" not in questions
    assert "> detecting bias in training data → Answer" in key
    assert "Put the steps in the correct order" in questions


def read_notes(apkg: Path, tmp_path: Path) -> list[tuple]:
    with zipfile.ZipFile(apkg) as z:
        assert "collection.anki2" in z.namelist()
        db = Path(z.extract("collection.anki2", tmp_path / apkg.stem))
    conn = sqlite3.connect(db)
    try:
        notes = conn.execute("SELECT guid, mid, flds, tags FROM notes ORDER BY id").fetchall()
        decks = conn.execute("SELECT decks FROM col").fetchone()[0]
    finally:
        conn.close()
    assert str(ANKI_DECK_ID) in json.loads(decks)
    return notes


def test_anki_package_notes_fields_and_stable_guids(tmp_path: Path) -> None:
    items = sample_items()
    notes = read_notes(export(items, "anki", tmp_path / "a.apkg"), tmp_path)
    assert len(notes) == 3
    assert [n[0] for n in notes] == [genanki.guid_for(i.id) for i in items]
    assert {n[1] for n in notes} == {ANKI_MODEL_ID}
    front, back, item_id = notes[0][2].split("\x1f")
    assert "{bias} = fairness?" in front and "Data &lt;Wrangler&gt;" in front
    assert "Answer: B" in back and "Detects bias {pre &amp; post} training." in back
    assert "Common Exam Scenarios" in back and item_id == items[0].id
    assert "Model_Evaluation" in notes[0][3]
    again = read_notes(export(list(reversed(items)), "anki", tmp_path / "b.apkg"), tmp_path)
    assert sorted(n[0] for n in again) == sorted(n[0] for n in notes)


def test_gift_round_trips_through_parse_gift(tmp_path: Path) -> None:
    items = sample_items()
    text = export(items, "gift", tmp_path / "exam.gift").read_text()
    assert r"\{bias\} \= fairness? Note\: \#1 \~ best \\ worst" in text
    parsed = parse_gift(text)
    assert len(parsed) == 3
    assert [q.title for q in parsed] == [i.id for i in items]
    assert parsed[0].stem == TRICKY
    for question, item in zip(parsed, items, strict=True):
        assert question.correct == [item.options[k] for k in item.keys]
    assert parsed[0].answers[1].feedback == "Detects bias {pre & post} training."
    assert "detecting bias in training data" in parsed[0].general_feedback
    assert sorted(a.weight for a in parsed[1].answers) == [-100, -100, -100, 50, 50]
    assert [a.match for a in parsed[2].answers] == ["3", "1", "4", "2"]


def test_gift_escape() -> None:
    assert gift_escape("a:b=c~d#e{f}g\\h\ni") == r"a\:b\=c\~d\#e\{f\}g\\h\ni"


def test_parse_gift_rejects_a_question_without_answers() -> None:
    with pytest.raises(ValueError, match="answer block"):
        parse_gift("::t:: just a stem\n")


def test_csv_reads_back(tmp_path: Path) -> None:
    items = sample_items()
    with export(items, "csv", tmp_path / "exam.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 3
    assert rows[0]["question"] == TRICKY and rows[0]["B"] == "Amazon SageMaker Clarify" and rows[0]["E"] == ""
    assert rows[0]["explanation"] == "A: Watches drift: not bias.\nB: Detects bias {pre & post} training."
    assert [r["answer"] for r in rows] == ["B", "A,C", "B,D,A,C"]
    assert rows[1]["phase"] == "ML Pipelines and MLOps" and rows[1]["difficulty"] == "hard"
    assert rows[2]["phase"] == "pipelines"  # a phase is kept as written
    assert all(r["premises"] == r["case"] == r["family"] == "" for r in rows)


# -- matching and case studies ---------------------------------------------------------------------
ARROW = "Label images -> {boxes}: by people"


def mixed_items() -> list[ExamItem]:
    """A stand-alone matching item between the two questions of a case study (the second one matching)."""
    first, second = case_items()
    tricky = matching_item(question="Match each need to its service. {Use: each once}", premises=[*NEEDS[:2], ARROW])
    return [first, tricky, second]


def test_json_round_trips_matching_and_case_items(tmp_path: Path) -> None:
    items = mixed_items()
    assert load_items(export(items, "json", tmp_path / "exam.json")) == items


def test_markdown_shows_a_case_scenario_once_before_its_questions_and_numbers_premises(tmp_path: Path) -> None:
    text = export(mixed_items(), "md", tmp_path / "exam.md").read_text()
    questions, key = text.split("## Answer key")
    assert text.count(SCENARIO) == 1
    case_at, q1, q2, q3 = (
        questions.index(s) for s in ("## Case study (questions 1-2)", "Question 1", "Question 2", "Question 3")
    )
    assert case_at < q1 < q2 < q3  # the case's two questions come together, the stand-alone item after
    assert "Which AWS service gives the regulators" in questions[q1:q2]
    assert "1. Detect bias in training data" in questions[q3:] and "- **C.** Amazon SageMaker Clarify" in questions[q3:]
    assert "use each option once" in questions
    assert "### 2. Answer: 1-C, 2-A, 3-B" in key and "Answer: 1-C" not in questions
    assert f"- 1. {NEEDS[0]} → **C.** Amazon SageMaker Clarify" in key


def test_csv_prepends_the_scenario_and_lists_the_premises(tmp_path: Path) -> None:
    with export(mixed_items(), "csv", tmp_path / "exam.csv").open(newline="", encoding="utf-8") as f:
        first, alone, second = list(csv.DictReader(f))
    assert first["question"].startswith(SCENARIO + "\n\n") and first["case"].startswith("case-")
    assert second["question"].startswith(SCENARIO) and second["case"] == first["case"]
    assert alone["case"] == "" and not alone["question"].startswith(SCENARIO)
    assert alone["premises"] == "\n".join(f"{n}. {t}" for n, t in enumerate([*NEEDS[:2], ARROW], start=1))
    assert (alone["type"], alone["answer"], alone["family"]) == ("matching", "C,A,B", "matching")
    assert [alone[k] for k in "ABC"] == list(SERVICES.values()) and alone["D"] == ""


def test_gift_matching_uses_the_native_type_and_round_trips(tmp_path: Path) -> None:
    items = mixed_items()
    text = export(items, "gift", tmp_path / "exam.gift").read_text()
    assert r"\{Use\: each once\}" in text and "\t=" + r"Label images → \{boxes\}\: by people -> " in text
    assert f"\t={NEEDS[0]} -> Amazon SageMaker Clarify" in text
    parsed = parse_gift(text)
    assert [q.title for q in parsed] == [i.id for i in items]
    assert parsed[1].stem == "Match each need to its service. {Use: each once}"
    # GIFT cannot escape "->" inside a pair: it is written as an arrow character
    wanted = [(p.replace("->", "→"), items[1].options[k]) for p, k in items[1].pairs]
    assert parsed[1].pairs == wanted and wanted[2][0] == "Label images → {boxes}: by people"
    assert parsed[2].pairs == [(p, items[2].options[k]) for p, k in items[2].pairs]
    assert parsed[0].stem == f"{SCENARIO}\n\n{items[0].question}" and parsed[2].stem.startswith(SCENARIO)
    assert parsed[0].correct == ["Amazon SageMaker Clarify"] and parsed[0].pairs == []
    assert "Clarify reports bias" in parsed[1].general_feedback and "Clarify detects bias" in parsed[1].general_feedback


def test_anki_matching_is_one_basic_card_listing_the_pairs(tmp_path: Path) -> None:
    items = mixed_items()
    notes = read_notes(export(items, "anki", tmp_path / "m.apkg"), tmp_path)
    assert [n[0] for n in notes] == [genanki.guid_for(i.id) for i in items]
    front, back, _ = notes[1][2].split("\x1f")
    assert "<ol><li>Detect bias in training data" in front and "<b>C.</b> Amazon SageMaker Clarify" in front
    assert "Answer: 1-C, 2-A, 3-B" in back and f"{NEEDS[1]} → <b>A.</b> Amazon SageMaker Model Monitor" in back
    case_front = notes[0][2].split("\x1f")[0]
    assert case_front.startswith("<p><i>Case study:</i> A regional lender") and "Case study" not in front
