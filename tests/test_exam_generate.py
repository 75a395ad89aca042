"""Exam generation on the real guide index. The scenario writer is a FakeLLM (it echoes the fact as a
scenario); the real embedded model is exercised by the CLI test at the end and measured in bench/."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from assistant.phases import PHASES
from assistant.services.exam.bank import QuestionBank
from assistant.services.exam.checks import is_near_duplicate
from assistant.services.exam.generate import ExamService, _parse_scenario
from assistant.services.exam.plan import GuideFacts
from assistant.services.mcq import MCQSolver
from tests.conftest import REPO
from tests.fakes import FakeLLM

pytestmark = pytest.mark.slow


def echo_fact(prompt: str) -> str:
    fact = re.findall(r"Fact: (.+)", prompt)[-1]
    company = re.findall(r"Company: (.+)", prompt)[-1]
    work = (
        fact.removeprefix("The team's work: ")
        .split(";")[0]
        .split(": ", 1)[-1]
        .replace("[a service]", "a managed service")
    )
    return json.dumps({"scenario": f"The team at {company} is working on this: {work[0].lower() + work[1:]}."})


def _service(c, tmp_path, llm) -> ExamService:
    solver = MCQSolver(c.retriever, c.knowledge, llm, c.prompts, k=4)
    return ExamService(
        retriever=c.retriever,
        lines=c.guide_lines,
        llm=llm,
        prompts=c.prompts,
        solver=solver,
        bank=QuestionBank(tmp_path / "bank.sqlite"),
        guide_text=c.guide_text,
        eval_dir=REPO / "evals",
    )


def test_facts_have_keys_from_the_guide_lists(guide_container):
    facts = GuideFacts(guide_container.guide_lines)
    by_key = {f.keys[0]: f for f in facts.scenarios()}
    assert by_key["Amazon SageMaker Clarify"].phase == "Model Evaluation"
    assert "Amazon SageMaker Clarify" not in by_key["Amazon SageMaker Clarify"].pool
    for f in facts.phase_services():
        assert f.keys[0] in facts.services[f.phase] and not set(f.pool) & set(facts.services[f.phase])
    assert len(facts.steps) == 9


def test_generated_items_pass_checks_cover_phases_and_are_banked(guide_container, tmp_path):
    svc = _service(guide_container, tmp_path, FakeLLM(responder=echo_fact))
    seen = []
    run = svc.generate(8, difficulty="medium", seed=3, progress=lambda a, n, m: seen.append(a))
    assert run.accepted == len(run.items) == 8 and run.template_stems == 0
    assert seen and seen[-1] == 8
    assert len({i.phase for i in run.items}) >= 6  # round-robin over phases
    assert len({i.id for i in run.items}) == 8
    assert svc.bank.count() == 8
    for item in run.items:
        assert item.citations and all(c.quote in guide_container.guide_text for c in item.citations)
        assert set(item.explanations) == set(item.options)
    positions = Counter(k for i in run.items for k in i.keys)
    assert max(positions.values()) - min(positions.values()) <= 1  # balanced key letters
    dev_mcq = REPO / "evals" / "dev" / "mcq.jsonl"
    evals = [json.loads(x)["question"] for x in dev_mcq.read_text().splitlines() if x.strip()]
    assert not any(is_near_duplicate(i.question, q) for i in run.items for q in evals)


def test_hard_sets_include_choose_two_and_ordering(guide_container, tmp_path):
    run = _service(guide_container, tmp_path, FakeLLM(responder=echo_fact)).generate(6, difficulty="hard", seed=1)
    types = {i.type for i in run.items}
    assert run.accepted == 6 and {"multi", "ordering"} <= types
    multi = next(i for i in run.items if i.type == "multi")
    assert len(multi.options) == 5 and len(multi.keys) == 2 and "(Choose TWO.)" in multi.question


def test_phase_filter_is_respected(guide_container, tmp_path):
    run = _service(guide_container, tmp_path, FakeLLM(responder=echo_fact)).generate(
        3, phases=["Model Deployment"], seed=2
    )
    assert run.accepted == 3 and {i.phase for i in run.items} == {"Model Deployment"}


def test_second_run_writes_no_duplicate_of_the_bank(guide_container, tmp_path):
    svc = _service(guide_container, tmp_path, FakeLLM(responder=echo_fact))
    first = svc.generate(4, seed=5)
    second = svc.generate(4, seed=5)
    assert not {i.id for i in first.items} & {i.id for i in second.items}


def test_broken_json_is_repaired_and_bad_scenarios_fall_back_to_a_template(guide_container, tmp_path):
    assert (
        _parse_scenario('{"scenario": "A bank is cleaning its loan data before training')
        == "A bank is cleaning its loan data before training."
    )
    assert _parse_scenario("not json at all") is None
    # A model that names the answer (or writes nothing useful) never gets its words shown.
    llm = FakeLLM(
        responder=lambda p: json.dumps(
            {"scenario": "Use Amazon SageMaker Clarify and the Model Deployment phase for everything here."}
        )
    )
    run = _service(guide_container, tmp_path, llm).generate(3, seed=4)
    assert run.accepted == 3 and run.template_stems == 3
    assert not any("Use Amazon SageMaker Clarify" in i.question for i in run.items)


def test_rejections_are_counted_by_reason(guide_container, tmp_path):
    svc = _service(guide_container, tmp_path, FakeLLM(responder=echo_fact))
    svc.eval_questions = []
    first = svc.generate(5, seed=9)
    svc.bank = QuestionBank(tmp_path / "other.sqlite")
    svc.eval_questions = [i.question for i in first.items]  # now every planned question "leaks"
    again = svc.generate(5, seed=9)
    assert again.rejected.get("leaks_eval", 0) >= 1
    assert set(again.summary()) >= {"requested", "accepted", "rejected"}


def test_cli_exam_on_the_embedded_model_writes_every_format(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_LLM__BACKEND": "embedded",
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "exam",
            "--n",
            "2",
            "--seed",
            "7",
            "--json",
            "-o",
            str(tmp_path / "exam.json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["requested"] == 2 and data["accepted"] == len(data["items"]) >= 1
    assert set(data["items"][0]) >= {
        "id",
        "type",
        "question",
        "options",
        "answer",
        "explanations",
        "citations",
        "phase",
        "difficulty",
    }
    saved = json.loads((tmp_path / "exam.json").read_text())
    assert len(saved["items"]) == data["accepted"]
    assert set(PHASES) >= {i["phase"] for i in saved["items"]}
