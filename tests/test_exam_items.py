"""ExamItem validation, the content-hash id, and loading items from JSON / JSONL files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.errors import InputError
from assistant.services.exam.items import ExamItem, count_problem, item_id, load_items, validation_codes

EVAL_MCQ = Path(__file__).resolve().parent.parent / "evals" / "dev" / "mcq.jsonl"


def single(**changes: object) -> dict:
    data = {
        "type": "single",
        "question": "A team must detect bias in its training data. Which AWS service should it use?",
        "options": {
            "A": "Amazon SageMaker Model Monitor",
            "B": "Amazon SageMaker Clarify",
            "C": "AWS Glue DataBrew",
            "D": "Amazon SageMaker Data Wrangler",
        },
        "answer": "B",
        "explanations": {"B": "Clarify detects bias.", "A": "Model Monitor watches deployed models."},
        "citations": [{"id": "c1", "section": "Common Exam Scenarios", "quote": "detecting bias in training data"}],
        "phase": "Model Evaluation",
        "difficulty": "easy",
    }
    data.update(changes)
    return data


def codes(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as info:
        ExamItem.from_json(data)
    return validation_codes(info.value)


def test_missing_id_is_the_content_hash() -> None:
    item = ExamItem.from_json(single())
    assert re.fullmatch(r"x-[0-9a-f]{12}", item.id)
    assert item.id == item_id(item.question, item.options) == item.content_id()


def test_id_ignores_case_whitespace_and_option_order_but_not_content() -> None:
    base = ExamItem.from_json(single())
    shuffled = dict(zip("ABCD", reversed(list(base.options.values())), strict=True))
    noisy = single(question="  a TEAM must detect bias in its training   data. which AWS service should it use? ")
    assert ExamItem.from_json(single(options=shuffled, answer="C", explanations={})).id == base.id
    assert ExamItem.from_json(noisy).id == base.id
    assert ExamItem.from_json(single(question="Which service detects drift?")).id != base.id


def test_explicit_id_is_kept() -> None:
    assert ExamItem.from_json(single(id="q001")).id == "q001"


def test_answers_are_canonical() -> None:
    multi = single(
        type="multi",
        question="Which TWO services belong to model evaluation? (Choose TWO.)",
        options=["Amazon SageMaker Clarify", "AWS Glue", "Amazon SageMaker Model Monitor", "Amazon S3", "AWS Lambda"],
        answer=" c, a ",
        explanations={},
    )
    item = ExamItem.from_json(multi)
    assert item.answer == "A,C" and item.keys == ["A", "C"] and item.distractors == ["B", "D", "E"]
    assert ExamItem.from_json(multi | {"answer": ["C", "A"]}).answer == "A,C"
    ordering = ExamItem.from_json(single(type="ordering", options=["x", "y", "z"], answer="C, A, B", explanations={}))
    assert ordering.answer == "C,A,B" and ordering.distractors == []


def test_type_is_inferred_from_the_answer_when_missing() -> None:
    data = single()
    del data["type"]
    assert ExamItem.from_json(data).type == "single"


def test_phase_is_kept_as_given_without_its_number() -> None:
    # Topics come from the corpus: mapping a phase onto them happens where they are known (bank, eval).
    assert ExamItem.from_json(single(phase="evaluation")).phase == "evaluation"
    assert ExamItem.from_json(single(phase=" 5. Model Evaluation ")).phase == "Model Evaluation"
    assert ExamItem.from_json(single(phase="astrology")).phase == "astrology"  # free text is kept as given


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"options": {"A": "a", "B": "b", "D": "d", "E": "e"}}, "option_letters"),
        ({"options": {"A": "a", "B": "b", "C": "c", "D": "  "}}, "empty_option"),
        ({"answer": "E"}, "answer_not_in_options"),
        ({"answer": "B,C"}, "key_count"),
        ({"options": {"A": "a", "B": "b", "C": "c"}}, "key_count"),
        ({"explanations": {"E": "no such option"}}, "explanation_letters"),
        ({"difficulty": "brutal"}, "schema"),
        ({"question": ""}, "schema"),
        ({"citations": [{"id": "c1", "quote": ""}]}, "schema"),
        ({"type": "essay"}, "schema"),
    ],
)
def test_invalid_single_items_are_rejected(changes: dict, code: str) -> None:
    assert code in codes(single(**changes))


def test_multi_needs_five_options_two_keys_and_choose_two() -> None:
    five = ["Amazon S3", "AWS Glue", "Amazon Kinesis", "AWS Lambda", "Amazon CloudWatch"]
    good = {"type": "multi", "question": "Which TWO ingest data? (Choose TWO.)", "options": five, "answer": "A,C"}
    assert ExamItem.from_json(single(explanations={}, **good)).type == "multi"
    unworded = ExamItem.from_json(single(explanations={}, **(good | {"question": "Which ingest data?"})))
    assert count_problem("multi", unworded.question, unworded.options, unworded.keys)  # the generator's format
    assert codes(single(explanations={}, **(good | {"answer": "A"}))) == ["key_count"]
    assert codes(single(explanations={}, **(good | {"options": five[:4]}))) == ["key_count"]


def test_ordering_answer_must_use_every_step_once() -> None:
    base = single(type="ordering", options=["Collect", "Train", "Deploy"], explanations={})
    assert codes(base | {"answer": "A,B"}) == ["key_count"]
    assert codes(base | {"answer": "A,A,B"}) == ["key_count"]
    assert codes(base | {"options": ["Collect", "Train"], "answer": "A,B"}) == ["key_count"]


def test_json_round_trip() -> None:
    item = ExamItem.from_json(single())
    assert ExamItem.from_json(item.to_json()) == item
    assert ExamItem.from_json(json.dumps(item.to_json())) == item
    assert "gold_sections" not in item.to_json()


def test_load_items_json_document(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text(json.dumps({"items": [single(), single(question="Which service detects drift?")]}, indent=2))
    items = load_items(path)
    assert [i.question for i in items][1] == "Which service detects drift?"


def test_load_items_one_line_json_document_without_suffix(tmp_path: Path) -> None:
    path = tmp_path / "exam.txt"
    path.write_text(json.dumps({"items": [single()], "meta": {"count": 1}}))
    assert len(load_items(path)) == 1


def test_load_items_eval_jsonl_schema(tmp_path: Path) -> None:
    row = {
        "id": "q001",
        "question": "Which phase is the team in?",
        "options": {"A": "Model Training", "B": "Model Evaluation", "C": "Business Problem Definition", "D": "x"},
        "answer": "C",
        "phase": "Business Problem Definition",
        "gold_sections": ["1. Business Problem Definition"],
    }
    path = tmp_path / "mcq.jsonl"
    path.write_text(json.dumps(row) + "\n\n" + json.dumps(row | {"id": "q002"}) + "\n")
    items = load_items(path)
    assert [i.id for i in items] == ["q001", "q002"]
    assert items[0].explanations == {} and items[0].citations == [] and items[0].gold_sections


@pytest.mark.skipif(not EVAL_MCQ.exists(), reason="no eval MCQ file in this checkout")
def test_the_repository_eval_file_loads() -> None:
    items = load_items(EVAL_MCQ)
    assert items and all(i.type in {"single", "multi"} for i in items)


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "mcq.jsonl"
    path.write_text(json.dumps(single()) + "\n" + json.dumps(single()) + "\n{not json\n")
    with pytest.raises(InputError, match=r"mcq\.jsonl, line 3: not valid JSON"):
        load_items(path)
    path.write_text(json.dumps(single()) + "\n" + json.dumps(single(answer="Z")) + "\n")
    with pytest.raises(InputError, match=r"mcq\.jsonl, line 2: not a valid exam item"):
        load_items(path)


def test_malformed_json_document_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "exam.json"
    path.write_text('{"items": [\n  {"question": "x",\n  oops}\n]}')
    with pytest.raises(InputError, match=r"exam\.json, line 3"):
        load_items(path)
    bad = single(id="bad-one", answer="Z")
    path.write_text(json.dumps({"items": [single(id="ok"), bad]}, indent=2))
    with pytest.raises(InputError, match=r"exam\.json, line \d+: item 2 .*answer") as info:
        load_items(path)
    line = int(re.search(r"line (\d+)", str(info.value)).group(1))
    assert '"bad-one"' in path.read_text().splitlines()[line - 1]


@pytest.mark.parametrize("content", ["", "   \n", '{"something": "else"}\n[1, 2]'])
def test_empty_or_foreign_files_are_input_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "exam.json"
    path.write_text(content)
    with pytest.raises(InputError, match=r"exam\.json"):
        load_items(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.json"):
        load_items(tmp_path / "nope.json")


# -- matching, case study, family (the schema contract) -------------------------------------------
NEEDS = ["Detect bias in training data", "Watch a deployed model for drift", "Label images with human workers"]
SERVICES = {
    "A": "Amazon SageMaker Model Monitor",
    "B": "Amazon SageMaker Ground Truth",
    "C": "Amazon SageMaker Clarify",
}
SCENARIO = (
    "A lender trains a credit model on ten years of loan data and plans to serve it to branch staff. "
    "Regulators ask for evidence that the model treats applicants fairly, and the risk team wants alerts "
    "when live applications stop looking like the training data."
)


def matching(**changes: object) -> dict:
    data = {
        "question": "Match each need to the AWS service that meets it.",
        "premises": NEEDS,
        "options": SERVICES,
        "answer": "C, A, B",
        "explanations": {"C": "Clarify reports bias."},
        "family": "matching",
    }
    data.update(changes)
    return data


def test_matching_item_keeps_its_pairs_in_premise_order() -> None:
    item = ExamItem.from_json(matching())
    assert (item.type, item.answer, item.family) == ("matching", "C,A,B", "matching")  # type inferred from premises
    assert item.pairs == list(zip(NEEDS, ["C", "A", "B"], strict=True))
    assert item.ordered and item.distractors == [] and item.case is None
    assert ExamItem.from_json(item.to_json()) == item
    assert ExamItem.from_json(matching(answer=["c", "a", "b"])).answer == "C,A,B"
    assert ExamItem.from_json(matching(answer={"2": "A", "1": "C", "3": "b"})).answer == "C,A,B"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"premises": NEEDS[:2]}, "key_count"),  # two premises, three options
        ({"answer": "C,A,A"}, "key_count"),  # not a permutation
        ({"answer": "C,A"}, "key_count"),
        ({"premises": [*NEEDS, "x", "y", "z"], "options": list("abcdef"), "answer": "A,B,C,D,E,F"}, "key_count"),
        ({"premises": [], "type": "matching"}, "premises"),
        ({"premises": [NEEDS[0], "  ", NEEDS[2]]}, "premises"),
        ({"answer": "C,A,D"}, "answer_not_in_options"),
    ],
)
def test_invalid_matching_items_are_rejected(changes: dict, code: str) -> None:
    assert code in codes(matching(**changes))


def test_only_matching_items_have_premises() -> None:
    assert codes(single(premises=NEEDS)) == ["premises"]


def test_matching_id_hashes_premises_as_a_set() -> None:
    base = ExamItem.from_json(matching())
    swapped = ExamItem.from_json(matching(premises=[NEEDS[1], NEEDS[0], NEEDS[2]], answer="A,C,B"))
    other = ExamItem.from_json(matching(premises=[*NEEDS[:2], "Store features for reuse"]))
    assert swapped.id == base.id == base.content_id() and other.id != base.id
    assert base.id != item_id(base.question, base.options)  # the premises are part of the content


def test_case_study_items_share_a_case_id_and_hash_their_scenario() -> None:
    first = ExamItem.from_json(single(case={"scenario": SCENARIO}))
    second = ExamItem.from_json(matching(case={"scenario": "  " + SCENARIO}))
    assert first.case is not None and second.case is not None
    assert re.fullmatch(r"case-[0-9a-f]{12}", first.case.id) and first.case.id == second.case.id
    assert first.scenario == SCENARIO and ExamItem.from_json(single()).scenario == ""
    assert first.id != ExamItem.from_json(single()).id == item_id(first.question, first.options)
    assert first.id == first.content_id()
    assert ExamItem.from_json(single(case={"id": "case-given", "scenario": SCENARIO})).case.id == "case-given"
    assert ExamItem.from_json(first.to_json()) == first
    assert "schema" in codes(single(case={"id": "case-x", "scenario": ""}))


def test_new_fields_stay_out_of_the_json_of_items_without_them() -> None:
    data = ExamItem.from_json(single()).to_json()
    assert not {"premises", "case", "family"} & set(data)
    assert set(ExamItem.from_json(matching(case={"scenario": SCENARIO})).to_json()) >= {"premises", "case", "family"}


def test_matching_and_case_items_load_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [matching(case={"scenario": SCENARIO}), single(case={"scenario": SCENARIO}), single()]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = load_items(path)
    assert [i.type for i in items] == ["matching", "single", "single"]
    assert items[0].case == items[1].case and items[2].case is None
