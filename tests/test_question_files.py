"""Question files as people write them (issue 12): every lenient form loads, and what is really wrong
is named with its line while the other items still load (`strict` stops at the first).

Shared by `assistant eval --questions`, the UI's "Load questions from a file…" and exported exams,
which all read through `exam.items.read_items`. Offline: no model, no server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.errors import InputError
from assistant.services import evaluation as ev
from assistant.services.answer import Answer
from assistant.services.evaluation.matching import best_assignment
from assistant.services.exam.items import ExamItem, read_items
from assistant.services.mcq import MCQResult
from assistant.services.topics import known_phase, markdown_headings, match_topic
from assistant.settings import Settings
from tests.matching_samples import NEEDS, SCENARIO, SERVICES, case_items, matching_item
from tests.test_evaluate import StubAnswers, StubContainer, _mcq_answer

FIVE = {"A": "Amazon S3", "B": "AWS Glue", "C": "Amazon Kinesis", "D": "AWS Lambda", "E": "Amazon CloudWatch"}
FOUR = {k: v for k, v in FIVE.items() if k != "E"}


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _one(tmp_path: Path, **row) -> ExamItem:
    loaded = read_items(_jsonl(tmp_path / "one.jsonl", [{"question": "Which one?", "options": FOUR, **row}]))
    assert not loaded.problems, loaded.problems
    return loaded.items[0]


# -- lenient forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["B", "b", "B.", "(B)", ["B"]])
def test_single_answer_forms(tmp_path, answer):
    item = _one(tmp_path, answer=answer)
    assert (item.type, item.answer) == ("single", "B")


@pytest.mark.parametrize("answer", ["B,D", "D, B", "B D", "B and D", "BD", ["D", "B"]])
@pytest.mark.parametrize(
    "stem", ["Which TWO ingest data? (Select TWO.)", "Which ingest data? (Choose TWO.)", "Select two", "Which two?"]
)
def test_two_key_forms_with_any_wording_or_none(tmp_path, answer, stem):
    item = _one(tmp_path, question=stem, options=FIVE, answer=answer)
    assert (item.type, item.answer) == ("multi", "B,D")


def test_options_as_a_list_or_a_mapping_with_any_letter_case(tmp_path):
    as_list = _one(tmp_path, options=list(FOUR.values()), answer="C")
    as_map = _one(tmp_path, options={k.lower(): v for k, v in FOUR.items()}, answer="c")
    assert as_list.options == as_map.options == FOUR and as_list.answer == as_map.answer == "C"


def test_phase_is_optional_free_text_kept_as_given_without_its_number(tmp_path):
    # Mapping onto the corpus's topics happens where they are known (the bank, the eval), not here.
    assert _one(tmp_path, answer="A").phase == ""
    assert _one(tmp_path, answer="A", phase="business_problem").phase == "business_problem"
    assert _one(tmp_path, answer="A", phase="6. Model Deployment").phase == "Model Deployment"
    assert _one(tmp_path, answer="A", phase="Security and compliance").phase == "Security and compliance"
    assert _one(tmp_path, answer="A", phase=None).phase == ""


def test_unknown_fields_are_ignored(tmp_path):
    item = _one(tmp_path, answer="A", family="service", source="practice bank", tags=["x"], gold_sections=["S"])
    assert item.answer == "A" and item.gold_sections == ["S"]


def test_an_exported_exam_document_loads_the_same_way(tmp_path):
    path = tmp_path / "exam.json"
    rows = [
        {"question": "Which TWO? (Select TWO.)", "options": list(FIVE.values()), "answer": ["A", "C"], "phase": "x"}
    ]
    path.write_text(json.dumps({"items": rows, "exported": "2026-11-29"}, indent=2))
    [item] = read_items(path).items
    assert (item.type, item.answer, item.phase) == ("multi", "A,C", "x")


def test_eval_keeps_the_phase_as_given_and_groups_under_the_heading_it_names(tmp_path):
    rows = [
        {"id": "m1", "question": "Q1?", "options": FOUR, "answer": "B"},
        {"id": "m2", "question": "Q2?", "options": list(FOUR.values()), "answer": "D", "phase": "business_problem"},
        {"id": "m3", "question": "Q3? (Select TWO.)", "options": FIVE, "answer": "A,C", "phase": "6. Model Deployment"},
    ]
    items, problems = ev.load_questions(_jsonl(tmp_path / "mine.jsonl", rows))
    assert not problems
    assert [(i.id, i.phase, i.answer, i.type) for i in items] == [
        ("m1", None, "B", "single"),
        ("m2", "business_problem", "D", "single"),
        ("m3", "6. Model Deployment", "A,C", "multi"),
    ]
    headings = ["1. Business Problem Definition", "6. Model Deployment"]
    evaluator = ev.Evaluator(StubAnswers({}), None, topics=headings)
    assert [evaluator.topic(i.phase) for i in items] == [ev.NO_PHASE, *headings]


def test_topic_matching_needs_a_clear_match():
    headings = markdown_headings(
        "# Guide\n### 4. Model Training\n### 7. Model Monitoring\n## Tip 5: Monitoring Drift #\n"
    )
    assert headings == ["Guide", "4. Model Training", "7. Model Monitoring", "Tip 5: Monitoring Drift"]
    assert match_topic("model-training", headings) == match_topic("4", headings) == "4. Model Training"
    assert match_topic("training", headings) == "4. Model Training"
    assert match_topic("monitoring", headings) is None  # two headings say it: ambiguous, kept as given
    assert match_topic("astrology", headings) is None and match_topic("", headings) is None
    topics = ["Data Collection", "Data Preparation", "Model Evaluation"]
    assert known_phase("eval", topics) == "Model Evaluation" and known_phase("data", topics) is None  # two say it


# -- what is really wrong, named with its line --------------------------------------------------
BROKEN = [
    {"id": "ok1", "question": "Fine?", "options": FOUR, "answer": "A"},
    {"id": "no-options", "question": "Q?", "answer": "B"},
    {"id": "bad-key", "question": "Q?", "options": FOUR, "answer": "E"},
    "{not json",
    {"id": "three-of-two", "question": "Q? (Select THREE.)", "options": FIVE, "answer": "A,B"},
    {"id": "no-answer", "question": "Q?", "options": FOUR},
    {"id": "gap", "question": "Q?", "options": {"A": "a", "B": "b", "D": "d", "E": "e"}, "answer": "A"},
    ["not", "an", "object"],
    {"id": "ok2", "question": "Also fine?", "options": FOUR, "answer": "D"},
]
NAMED = [
    r"line 2: item 'no-options' is not a valid exam item \(no options",
    r"line 3: item 'bad-key' is not a valid exam item \(answer E is not among the options A, B, C, D\)",
    r"line 4: not valid JSON",
    r"line 5: item 'three-of-two' .*asks for 3 answers but the answer has 2",
    r"line 6: item 'no-answer' .*no answer",
    r"line 7: item 'gap' .*option letters must run A, B, C",
    r"line 8: not a JSON object",
]


def test_each_wrong_item_is_named_with_its_line_and_the_others_load(tmp_path):
    loaded = read_items(_jsonl(tmp_path / "mine.jsonl", BROKEN))
    assert [i.id for i in loaded.items] == ["ok1", "ok2"]
    assert [e.line for e in loaded.entries] == [1, 9]
    assert len(loaded.problems) == len(NAMED)
    for problem, pattern in zip(loaded.problems, NAMED, strict=True):
        assert problem.startswith(f"{tmp_path / 'mine.jsonl'}, line ")
        assert __import__("re").search(pattern, problem), problem


def test_strict_stops_at_the_first_wrong_item(tmp_path):
    with pytest.raises(InputError, match=NAMED[0]):
        read_items(_jsonl(tmp_path / "mine.jsonl", BROKEN), strict=True)


def test_a_file_with_no_valid_item_says_why(tmp_path):
    with pytest.raises(InputError, match=r"No valid question in .*line 1: .*no options"):
        read_items(_jsonl(tmp_path / "bad.jsonl", [{"question": "Q?", "answer": "B"}]))


def test_cli_eval_runs_the_good_items_and_names_the_wrong_ones(tmp_path):
    path = _jsonl(tmp_path / "mine.jsonl", BROKEN)
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    stub = StubContainer(settings, StubAnswers({"Fine?": _mcq_answer("Fine?", ["A"])}))
    out = CliRunner().invoke(cli, ["eval", "--questions", str(path), "--report", str(tmp_path / "r")], obj=stub)
    assert out.exit_code == 0, out.output
    assert "Skipped: " in out.output and "line 3: item 'bad-key'" in out.output
    assert "mine: MCQ accuracy 1/2" in out.output  # ok1 right, ok2 not answered by the stub
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert len(report["splits"]["mine"]["problems"]) == len(NAMED)
    assert "Skipped input items (7)" in (tmp_path / "r" / "report.md").read_text()

    strict = CliRunner().invoke(cli, ["eval", "--questions", str(path), "--strict"], obj=stub)
    assert strict.exit_code == 1 and "line 2: item 'no-options'" in strict.output


# -- matching and case-study items in `assistant eval` ------------------------------------------
class ScoringAnswers(StubAnswers):
    """A fake solver: per asked text, the option scores of the first scripted phrase it contains."""

    def __init__(self, scores: dict[str, dict[str, float]]) -> None:
        super().__init__({})
        self.scores = scores

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        phrase = next((p for p in self.scores if p in question), None)
        if phrase is None:
            return StubAnswers({}).ask(question)  # refused: no MCQ
        scores = self.scores[phrase]
        best = max(scores, key=scores.__getitem__)
        mcq = MCQResult([best], {}, dict(scores), [], "knowledge")
        return Answer(question, question, f"Answer: {best}", [], False, [], "stub", "scripted", mcq=mcq)


# Per premise, the solver's favourite alone would pick C twice; one option per premise gives C, A, B.
MATCH_SCORES = {
    NEEDS[0]: {"A": 0.5, "B": 0.0, "C": 0.9},
    NEEDS[1]: {"A": 0.7, "B": 0.1, "C": 0.8},
    NEEDS[2]: {"A": 0.0, "B": 0.6, "C": 0.5},
    # the case study: the single item right; its matching item gets one pair right of three
    "Which AWS service gives the regulators": {"A": 0.1, "B": 0.9, "C": 0.0, "D": 0.0},
    "Fairness evidence for the regulators": {"A": 0.2, "B": 0.1, "C": 0.9},
    "Alerts on drifting applications": {"A": 0.1, "B": 0.8, "C": 0.2},
    "Store the records": {"A": 0.9, "B": 0.2, "C": 0.1},
}


def _matching_file(tmp_path: Path) -> Path:
    first, second = case_items()
    return _jsonl(tmp_path / "matching.jsonl", [matching_item(id="m1").to_json(), first.to_json(), second.to_json()])


def test_best_assignment_gives_each_option_once():
    assert best_assignment([MATCH_SCORES[n] for n in NEEDS], "ABC") == ["C", "A", "B"]
    assert best_assignment([{}, {}, {}], "ABC") == ["A", "B", "C"]  # no evidence: a fixed order
    with pytest.raises(ValueError, match="one option per premise"):
        best_assignment([{}, {}], "ABC")


def test_eval_scores_matching_pair_by_pair_and_pastes_a_case_scenario(tmp_path):
    items, problems = ev.load_questions(_matching_file(tmp_path))
    assert not problems and [i.type for i in items] == ["matching", "single", "matching"]
    stub = ScoringAnswers(MATCH_SCORES)
    out = ev.Evaluator(stub, None).run_mcq(items)
    assert (out["n"], out["correct"]) == (3, 2)
    by_id = {i["id"]: i for i in out["items"]}
    assert (by_id["m1"]["pick"], by_id["m1"]["correct"], by_id["m1"]["pairs_right"]) == ("C,A,B", True, 3)
    wrong = by_id[items[2].id]
    assert (wrong["pick"], wrong["correct"], wrong["pairs_right"]) == ("C,B,A", False, 1)
    assert out["by_kind"]["matching"] == {
        "n": 2,
        "correct": 1,
        "accuracy": 0.5,
        "pairs_right": 4,
        "pairs": 6,
        "pair_accuracy": 0.6667,
    }
    assert out["by_kind"]["case study"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    # every premise asked on its own over the options; a case's scenario pasted before a single question,
    # not before a premise (the same for every premise, it cannot tell them apart)
    assert len(stub.asked) == 3 + 1 + 3
    assert stub.asked[0] == "\n".join([matching_item().question, NEEDS[0], *(f"{k}. {v}" for k, v in SERVICES.items())])
    assert stub.asked[3].startswith(SCENARIO + "\nWhich AWS service gives the regulators")
    assert not any(SCENARIO in a for a in stub.asked[4:]) and stub.asked[4].startswith(items[2].question)


def test_cli_eval_reports_matching_and_case_study_items(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    stub = StubContainer(settings, ScoringAnswers(MATCH_SCORES))
    args = ["eval", "--questions", str(_matching_file(tmp_path)), "--report", str(tmp_path / "r")]
    out = CliRunner().invoke(cli, args, obj=stub)
    assert out.exit_code == 0, out.output
    assert "matching: MCQ accuracy 2/3" in out.output
    assert "matching items 1/2 correct, 4/6 pairs right" in out.output
    assert "case study items 1/2 correct" in out.output
    md = (tmp_path / "r" / "report.md").read_text()
    assert "| matching | 2 | 1 | 0.5" in md and "(1/3 pairs right)" in md
