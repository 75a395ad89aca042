"""Exam generation on the real guide index (real embedder and Chroma). The blind solve uses the MCQ
solver's knowledge evidence only (no model), which keeps these tests quick; the embedded model is
exercised by the CLI test at the end and measured in bench/bench_generation.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from assistant.services.exam import grammar
from assistant.services.exam.bank import QuestionBank
from assistant.services.exam.checks import is_near_duplicate
from assistant.services.exam.generate import ExamService
from assistant.services.exam.stems import Shingles
from assistant.services.mcq import MCQSolver
from assistant.services.topics import corpus_topics
from tests.conftest import REPO
from tests.fakes import FakeLLM

pytestmark = pytest.mark.slow


def _service(c, tmp_path) -> ExamService:
    solver = MCQSolver(c.retriever, c.knowledge, None, c.prompts, k=4, use_llm=False)
    return ExamService(
        knowledge=c.knowledge,
        retriever=c.retriever,
        llm=FakeLLM(),
        prompts=c.prompts,
        solver=solver,
        bank=QuestionBank(tmp_path / "bank.sqlite"),
        docs=c.corpus_docs,
        eval_dir=REPO / "evals",
    )


def _fact(item) -> tuple:
    return tuple(sorted(item.options[k] for k in item.keys)), item.citations[0].quote


def test_two_exams_from_an_empty_bank_give_40_distinct_items(guide_container, tmp_path):
    svc = _service(guide_container, tmp_path)
    seen = []
    first = svc.generate(20, seed=11, progress=lambda a, n, m: seen.append(a))
    second = svc.generate(20, seed=12)
    items = first.items + second.items
    assert first.accepted == second.accepted == 20 and seen[-1] == 20
    assert len({i.id for i in items}) == 40 and len({_fact(i) for i in items}) == 40
    assert not any(is_near_duplicate(a.question, b.question) for a in first.items for b in second.items)
    shingles = Shingles(svc.corpus_lines)
    text = "\n".join(d.text for d in guide_container.corpus_docs)
    topics = set(corpus_topics(guide_container.corpus_docs)) | {""}  # no invented topic: a corpus topic or none
    for run in (first, second):
        families, types = Counter(i.family for i in run.items), {i.type for i in run.items}
        assert families["phase"] <= 4 and len(families) >= 4 and len(types) >= 3, run.summary()
        for item in run.items:
            stem = f"{item.case.scenario if item.case else ''} {item.question}"
            assert shingles.copied(stem) is None and shingles.copied(" ".join(item.premises)) is None
            assert item.citations and all(c.quote in text for c in item.citations)
            assert set(item.explanations) == set(item.options) and item.phase in topics
            assert grammar.stem_problem(stem.strip()) is None, stem
    assert svc.bank.count() == 40
    dev_mcq = REPO / "evals" / "dev" / "mcq.jsonl"
    evals = [json.loads(x)["question"] for x in dev_mcq.read_text().splitlines() if x.strip()]
    assert not any(is_near_duplicate(i.question, q) for i in items for q in evals)


def test_topic_filter_is_respected(guide_container, tmp_path):
    run = _service(guide_container, tmp_path).generate(3, phases=["Model Deployment"], seed=2)
    assert run.accepted == 3 and {i.phase for i in run.items} == {"Model Deployment"}


def test_rejections_are_counted_by_reason(guide_container, tmp_path):
    svc = _service(guide_container, tmp_path)
    svc.eval_questions = []
    first = svc.generate(5, seed=9)
    svc.bank = QuestionBank(tmp_path / "other.sqlite")
    svc.eval_questions = [i.question for i in first.items]  # now every question of that exam "leaks"
    again = svc.generate(5, seed=9)
    assert again.rejected.get("leaks_eval", 0) >= 1
    assert set(again.summary()) >= {"requested", "delivered", "rejected", "shortfall", "pool_remaining"}


def test_cli_exam_on_a_second_guide_alone_cites_it(tmp_path):
    """The fixture guide on prompting, alone in a corpus folder, through `assistant exam` and the
    embedded model: valid items that cite it."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "tests" / "data" / "second_guide", corpus)
    env = {
        "PATH": "/usr/bin:/bin",
        "HF_HUB_OFFLINE": "1",
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_LLM__BACKEND": "embedded",
    }
    args = ["exam", "--n", "4", "--seed", "7", "--json", "-o", str(tmp_path / "exam.json")]
    out = subprocess.run(
        [sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert data["requested"] == 4 and data["delivered"] == len(data["items"])
    assert data["delivered"] == 4 or data["shortfall"]
    sources = {p.name for p in corpus.iterdir()}
    texts = "\n".join(p.read_text() for p in corpus.iterdir())
    for item in data["items"]:
        assert item["family"] and item["citations"]
        assert all(c["quote"] in texts for c in item["citations"])
    saved = json.loads((tmp_path / "exam.json").read_text())
    assert len(saved["items"]) == data["delivered"] >= 1
    assert sources == {"prompt-engineering-and-foundation-models.md", "glossary-prompting.md"}
