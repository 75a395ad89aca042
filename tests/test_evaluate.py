"""The eval engine's aggregation, citation rule, splits, report files and comparison, on hand-made results.

Offline and fast: the answer service, retriever and claim checker are scripted stubs and fakes (they
replay fixed answers and never stand in for a measurement; the real numbers come from `pytest evals`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import cli
from assistant.errors import InputError
from assistant.services import evaluation as ev
from assistant.services.answer import REFUSAL, Answer, Citation
from assistant.services.mcq import MCQResult
from assistant.settings import Settings
from assistant.types import Chunk, Passage

REPO = Path(__file__).resolve().parent.parent


def _passage(cid: str, text: str, section: str = "Guide > 7. Model Monitoring and Maintenance") -> Passage:
    return Passage(Chunk(cid, "guide.md", section, text, 0, len(text)), score=1.0, relevance=0.6)


class StubLLM:
    backend = "stub"
    model = "scripted"


class StubAnswers:
    """Replays scripted answers by question; records how often each question was asked."""

    llm = StubLLM()

    def __init__(self, script: dict) -> None:
        self.script = script
        self.asked: list[str] = []

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        reply = self.script.get(question.split("\n")[0])
        if isinstance(reply, Exception):
            raise reply
        return reply if reply is not None else _refused(question)


class StubRetriever:
    def __init__(self, sections: dict[str, list[str]]) -> None:
        self.sections = sections

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        return [_passage(f"c{i}", "x", s) for i, s in enumerate(self.sections[query][:k])]


class Clock:
    """Each call is one second later: latencies are exact."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.5
        return self.t


def _mcq_answer(question: str, choice: list[str]) -> Answer:
    result = MCQResult(choice, {}, {}, [], "evidence")
    return Answer(question, question, f"Answer: {choice}", [], False, [], "stub", "scripted", mcq=result)


def _refused(question: str) -> Answer:
    return Answer(question, question, REFUSAL, [], True, [], "stub", "scripted", reason="not covered")


def _open_answer(question: str, text: str, passages: list[Passage], citations: list[Citation]) -> Answer:
    return Answer(question, question, text, citations, False, passages, "stub", "scripted")


def _cite(n: int, p: Passage, quote: str) -> Citation:
    return Citation(n, p.chunk.id, p.chunk.section, p.chunk.source, quote, 0, len(quote))


def _item(qid: str, question: str, answer: str, phase: str | None = "Model Training", n_options: int = 4):
    options = {k: f"option {k}" for k in "ABCDE"[:n_options]}
    return ev.EvalItem(qid, question, options, answer, phase, "multi" if "," in answer else "single")


# -- MCQ ----------------------------------------------------------------------------------------
def test_mcq_scores_through_the_answer_service_all_or_nothing_per_phase():
    script = {
        "Q1?": _mcq_answer("Q1?", ["B"]),
        "Q2? (Choose TWO.)": _mcq_answer("Q2?", ["B"]),  # half of a choose-two is wrong
        "Q3?": _open_answer("Q3?", "not parsed", [], []),  # the parser missed it: wrong, and said so
        "Q4?": InputError("too long"),
        "Q5?": _mcq_answer("Q5?", ["A"]),
    }
    items = [
        _item("q1", "Q1?", "B"),
        _item("q2", "Q2? (Choose TWO.)", "B,D", n_options=5),
        _item("q3", "Q3?", "C", phase="Model Deployment"),
        _item("q4", "Q4?", "A", phase="Model Deployment"),
        _item("q5", "Q5?", "A", phase=None),
        ev.EvalItem("q6", "Order these", {"A": "a", "B": "b", "C": "c"}, "C,A,B", "Model Training", "ordering"),
    ]
    stub = StubAnswers(script)
    out = ev.Evaluator(stub, None, clock=Clock()).run_mcq(items)

    assert (out["n"], out["correct"], out["accuracy"]) == (5, 2, 0.4)
    assert list(out["per_phase"]) == ["Model Training", "Model Deployment", ev.NO_PHASE]  # guide order, then others
    assert out["per_phase"]["Model Training"] == {"n": 2, "correct": 1, "accuracy": 0.5}
    assert out["per_phase"][ev.NO_PHASE] == {"n": 1, "correct": 1, "accuracy": 1.0}
    failed = {f["id"]: f for f in out["failed"]}
    assert set(failed) == {"q2", "q3", "q4"}
    assert failed["q2"]["pick"] == "B" and failed["q2"]["gold"] == "B,D"
    assert failed["q3"]["method"].startswith("not parsed") and failed["q4"]["method"] == "error"
    assert out["skipped"] == ["q6"]
    assert stub.asked[0] == "Q1?\nA. option A\nB. option B\nC. option C\nD. option D"  # pasted as a user would
    assert out["latency"]["p50_s"] == 0.5


def test_free_text_phases_group_under_the_corpus_heading_they_name():
    topics = ["4. Model Training", "6. Model Deployment", "Tip 5: Focus on Monitoring and Drift"]
    items = [
        _item("q1", "Q1?", "B", phase="model_training"),
        _item("q2", "Q2?", "B", phase="6. Model Deployment"),
        _item("q3", "Q3?", "B", phase="Security"),  # names no heading: reported as given
        _item("q4", "Q4?", "B", phase="6"),
        _item("q5", "Q5?", "B", phase=None),
    ]
    stub = StubAnswers({f"Q{i}?": _mcq_answer(f"Q{i}?", ["B"]) for i in range(1, 6)})
    out = ev.Evaluator(stub, None, clock=Clock(), topics=topics).run_mcq(items)
    assert list(out["per_phase"]) == ["4. Model Training", "6. Model Deployment", "Security", ev.NO_PHASE]
    assert out["per_phase"]["6. Model Deployment"]["n"] == 2
    assert [(i["phase"], i["topic"]) for i in out["items"]][:3] == [
        ("model_training", "4. Model Training"),
        ("6. Model Deployment", "6. Model Deployment"),
        ("Security", "Security"),
    ]


# -- citations ----------------------------------------------------------------------------------
P1 = _passage("c1", "Models degrade over time because the real-world data distribution changes.")
P2 = _passage("c2", "AWS services: Amazon SageMaker Model Monitor, Amazon CloudWatch")


def test_answer_sentences_split_a_rendered_answer_at_its_markers():
    text = "Models degrade as data drifts. [1] \u201cAWS services: Amazon SageMaker Model Monitor\u201d [2]"
    assert ev.answer_sentences(text) == [
        ("Models degrade as data drifts.", 1),
        ("\u201cAWS services: Amazon SageMaker Model Monitor\u201d", 2),
    ]
    assert ev.strip_markers(text).endswith("Model Monitor\u201d")


def test_citation_rule_needs_the_right_passage_and_a_supporting_quote():
    ids = ["c1", "c2"]
    quote1, quote2 = P1.chunk.text, P2.chunk.text
    supported = "Models degrade over time because the data distribution changes. [1]"
    assert ev.citation_verdict(supported, ids, 1, "c1", quote1)["correct"]
    quoted = f"\u201c{quote2}\u201d [2]"  # a quoted guide sentence is its own support
    assert ev.citation_verdict(quoted, ids, 2, "c2", quote2)["correct"]

    unsupported = "Use Amazon Rekognition to label images for training jobs. [1]"
    v = ev.citation_verdict(unsupported, ids, 1, "c1", quote1)
    assert v["points_to_passage"] and not v["supports"] and not v["correct"]
    wrong_number = ev.citation_verdict(supported, ids, 2, "c1", quote1)  # [2] leads to another passage
    assert not wrong_number["points_to_passage"] and not wrong_number["correct"]
    not_retrieved = ev.citation_verdict(supported, ids, 1, "c9", quote1)
    assert not not_retrieved["points_to_passage"]


def test_open_questions_are_asked_once_for_facts_citations_and_refusals():
    good = _open_answer(
        "Which service detects drift?",
        "Drift is detected with Amazon SageMaker Model Monitor. [2] Models degrade as data changes. [1]",
        [P1, P2],
        [_cite(2, P2, P2.chunk.text), _cite(1, P1, P1.chunk.text)],
    )
    bad = _open_answer(
        "Why do models degrade?",
        "Amazon Rekognition retrains the labelling workforce weekly. [1]",
        [P1, P2],
        [_cite(1, P1, P1.chunk.text)],
    )
    uncited = _open_answer("What is a feature store?", "A store.", [P1], [])
    stub = StubAnswers({a.question: a for a in (good, bad, uncited)})
    rows = [
        {"id": "o1", "question": good.question, "required_facts": [["Model Monitor"], ["CloudWatch"]]},
        {"id": "o2", "question": bad.question, "required_facts": [["distribution"]]},
        {"id": "o3", "question": uncited.question, "required_facts": [["store"]]},
        {"id": "o4", "question": "Not covered?", "required_facts": [["x"]]},
    ]
    e = ev.Evaluator(stub, None, clock=Clock())
    facts, cites = e.run_open(rows), e.run_citations(rows)
    refusals = e.run_refusals([{"id": "x1", "question": "Bedrock prices?", "kind": "other_aws"}], rows)

    assert facts["fact_coverage"] == pytest.approx((0.5 + 0 + 1 + 0) / 4)
    assert facts["full_coverage"] == 0.25 and facts["refused"] == 1
    assert {f["id"]: f["missing"] for f in facts["failed"]}["o1"] == ["CloudWatch"]
    assert (cites["citations"], cites["correct"], cites["citation_correctness"]) == (
        3,
        2,
        pytest.approx(2 / 3, abs=1e-4),
    )
    assert cites["uncited"] == ["o3"] and [f["id"] for f in cites["failed"]] == ["o2"]
    assert refusals["refusal_recall"] == 1.0 and refusals["refusal_precision"] == 0.5  # o4 refused wrongly
    assert [r["id"] for r in refusals["false_refusals"]] == ["o4"]
    assert sorted(stub.asked) == sorted({*(r["question"] for r in rows), "Bedrock prices?"})  # each once


def test_retrieval_recall_mrr_and_misses():
    gold = "7. Model Monitoring and Maintenance"
    sections = {"q1": [gold, "a", "b"], "q2": ["a", "b", gold], "q3": ["a", "b", "c", "d", gold], "q4": ["a"]}
    rows = [{"id": q, "question": q, "gold_sections": [gold]} for q in sections]
    out = ev.Evaluator(StubAnswers({}), StubRetriever(sections), clock=Clock()).run_retrieval(rows, k=3)
    assert (out["recall_at_1"], out["recall_at_3"], out["recall_at_5"]) == (0.25, 0.5, 0.75)
    assert out["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 5) / 4, abs=1e-4)
    assert [x["id"] for x in out["misses"]] == ["q3", "q4"]


# -- claims -------------------------------------------------------------------------------------
class FakeClaimChecker:
    """Accepts exactly the sentences it was given: a fake, standing in for the real check's interface."""

    def __init__(self, accepted: set[str]) -> None:
        self.accepted = accepted

    def verdict(self, sentence: str) -> bool:
        return sentence in self.accepted


CLAIMS = [
    {"id": "c1", "sentence": "Clarify detects bias.", "label": True, "kind": "paraphrase"},
    {"id": "c2", "sentence": "Model Monitor detects bias.", "label": False, "kind": "swapped_service"},
    {"id": "c3", "sentence": "Deployment comes first.", "label": "false", "kind": "swapped_order"},
    {"id": "c4", "sentence": "Drift degrades models.", "label": True, "kind": "paraphrase"},
]


def test_claims_report_false_rejected_and_true_accepted():
    checker = FakeClaimChecker({"Clarify detects bias.", "Deployment comes first."})
    out = ev.Evaluator(StubAnswers({}), None, claim_checker=lambda: checker).run_claims(CLAIMS)
    assert (out["n_false"], out["n_true"]) == (2, 2)
    assert out["false_rejected"] == 0.5 and out["true_accepted"] == 0.5
    assert out["false_rejected_by_kind"] == {"swapped_order": 0.0, "swapped_service": 1.0}
    assert sorted(f["id"] for f in out["failed"]) == ["c3", "c4"]


def test_claims_without_a_checker_are_reported_as_skipped(tmp_path):
    data = ev.EvalSet("dev", claims=CLAIMS)
    report = ev.Evaluator(StubAnswers({}), None, clock=Clock()).run_set(data)
    assert report.suites["claims"]["skipped"] == ev.NO_CLAIM_CHECKER
    assert report.skipped_suites() == {"claims": ev.NO_CLAIM_CHECKER}
    assert "claims_true_accepted" not in report.metrics()
    ev.Run({"dev": report}).write(tmp_path)
    assert f"| claims (dev) | {ev.NO_CLAIM_CHECKER} |" in (tmp_path / "report.md").read_text()


def test_a_claim_label_that_is_not_true_or_false_is_named():
    checker = FakeClaimChecker(set())
    with pytest.raises(InputError, match="'c9': label must be true or false"):
        ev.Evaluator(StubAnswers({}), None, claim_checker=lambda: checker).run_claims(
            [{"id": "c9", "sentence": "x", "label": "maybe"}]
        )


# -- report -------------------------------------------------------------------------------------
def _report(correct_q2: bool = False, accuracy_bump: float = 0.0, split: str = "dev") -> ev.Report:
    records = [
        {"id": "q1", "phase": "Model Training", "pick": "B", "gold": "B", "correct": True, "latency_s": 1.0,
         "method": "evidence", "question": "Q1?", "options": {"A": "Glue", "B": "Clarify", "C": "S3", "D": "Kinesis"}},
        {"id": "q2", "phase": "Model Deployment", "pick": "B" if correct_q2 else "A", "gold": "B",
         "correct": correct_q2, "latency_s": 2.0, "method": "evidence",
         "question": "Which service hosts real-time inference?",
         "options": {"A": "AWS Glue", "B": "SageMaker Endpoints", "C": "S3", "D": "Athena"}},
    ]  # fmt: skip
    mcq = ev.summarize_mcq(records)
    retrieval = {"n": 2, "k": 3, "recall_at_1": 0.5, "recall_at_3": 1.0 - accuracy_bump, "recall_at_5": 1.0,
                 "mrr": 0.75, "misses": [], "items": [{"id": "r1", "correct": True}]}  # fmt: skip
    suites = {"mcq": mcq, "retrieval": retrieval}
    return ev.Report("stub", "scripted", suites, ev.latency_stats([1.0, 2.0]), 3.0, "x", split=split)


def _run(**kw) -> ev.Run:
    return ev.Run({"dev": _report(**kw), "test": _report(correct_q2=True, split="test")}, command="x")


def test_report_writes_json_markdown_side_by_side_and_a_chart_per_split(tmp_path):
    paths = _run().write(tmp_path)
    names = {p.name for p in paths.values()}
    assert names == {"report.json", "report.md", "per_phase_dev.png", "per_phase_test.png"}
    md = (tmp_path / "report.md").read_text()
    assert "| metric | dev | test |" in md and "| mcq_accuracy | 0.500 | 1.000 |" in md
    assert "## Split: dev" in md and "## Split: test" in md and "![per phase](per_phase_test.png)" in md
    assert "| phase | n | correct | accuracy |" in md and "| Model Deployment | 1 | 0 | 0.000 |" in md
    assert "A. AWS Glue" in md and "B. SageMaker Endpoints" in md  # the failed item: pick and gold, in words
    assert "stub" in md and "scripted" in md and "command: `x`" in md
    assert (tmp_path / "per_phase_dev.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["metrics"]["dev"]["mcq_accuracy"] == 0.5 and data["metrics"]["test"]["mcq_accuracy"] == 1.0
    assert data["backend"] == "stub" and data["splits"]["test"]["split"] == "test"
    assert ev.Run.from_json(data).to_json() == data


def test_summary_is_the_json_the_cli_prints():
    s = _run().summary()
    dev = s["splits"]["dev"]
    assert (dev["n"], dev["correct"], dev["accuracy"]) == (2, 1, 0.5)
    assert dev["per_phase"]["Model Training"]["accuracy"] == 1.0 and dev["recall_at_3"] == 1.0
    assert "mcq_accuracy" not in dev and "latency_p95_s" in dev
    assert s["splits"]["test"]["accuracy"] == 1.0 and s["backend"] == "stub"


def test_compare_names_metrics_that_moved_and_items_that_flipped_per_split(tmp_path):
    a, b = _run(), _run(correct_q2=True, accuracy_bump=0.5)
    a.write(tmp_path / "a")
    d = ev.diff(tmp_path / "a", b.to_json())
    rows = {r["metric"]: r for r in d["splits"]["dev"]["metrics"]}
    assert rows["mcq_accuracy"]["change"] == "better" and rows["mcq_accuracy"]["delta"] == 0.5
    assert rows["recall_at_3"]["change"] == "worse" and rows["mrr"]["change"] == "same"
    assert d["splits"]["dev"]["flips"]["mcq"] == {"fixed": ["q2"], "broken": []}
    assert d["splits"]["test"]["flips"]["mcq"] == {"fixed": [], "broken": []}
    text = ev.compare(a, b)
    assert "## Split: dev" in text and "| mcq_accuracy | 0.500 | 1.000 | +0.500 | better |" in text
    assert "wrong -> right: q2" in text
    with pytest.raises(InputError, match="Cannot read eval report"):
        ev.compare(tmp_path / "nope.json", b)


def test_compare_reads_a_one_split_report_of_an_earlier_version():
    old = _report().to_json()
    del old["split"], old["problems"]  # the flat report.json written before splits existed
    d = ev.diff(old, ev.Run({"questions": _report(correct_q2=True)}))
    assert list(d["splits"]) == ["all vs questions"]
    assert d["splits"]["all vs questions"]["flips"]["mcq"]["fixed"] == ["q2"]


# -- thresholds ---------------------------------------------------------------------------------
def test_thresholds_per_backend_and_split(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(
        "[embedded.test]\nmcq_accuracy = 0.6\nrecall_at_3 = 0.9\n\n[embedded.dev]\n\n[ollama.test]\nmrr = 0.9\n"
    )
    floors = ev.load_thresholds(f, "embedded", "test")
    assert floors == {"mcq_accuracy": 0.6, "recall_at_3": 0.9}
    assert ev.load_thresholds(f, "embedded", "dev") == {} and ev.load_thresholds(f, "fake", "test") == {}
    assert ev.below_thresholds({"mcq_accuracy": 0.61, "recall_at_3": 0.95}, floors) == []
    assert ev.below_thresholds({"mcq_accuracy": 0.5}, floors) == [
        "mcq_accuracy: 0.500 < floor 0.600",
        "recall_at_3: not measured (floor 0.900)",
    ]


def test_committed_thresholds_name_known_metrics_for_every_split():
    path = REPO / "evals" / "thresholds.toml"
    for backend in ("embedded", "ollama"):
        for split in ev.SPLITS:
            assert set(ev.load_thresholds(path, backend, split)) <= set(ev.METRICS)
    dev = ev.load_thresholds(path, "embedded", "dev")
    assert dev["recall_at_3"] >= 0.90  # the floor evals/test_retrieval.py has always asserted


# -- splits and settings ------------------------------------------------------------------------
MCQ_ROW = {"question": "Q?", "options": ["a", "b", "c", "d"], "answer": "A", "phase": "Model Training"}


def _write_split(folder: Path, n: int = 3, claims: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = {
        "mcq": [{**MCQ_ROW, "id": f"q{i}", "question": f"Q{i}?"} for i in range(n)],
        "retrieval": [{"id": f"r{i}", "question": f"R{i}?", "gold_sections": ["4. Model Training"]} for i in range(n)],
        "open": [{"id": f"o{i}", "question": f"O{i}?", "required_facts": [["x"]]} for i in range(n)],
        "out_of_scope": [{"id": f"x{i}", "question": f"X{i}?", "kind": "unrelated"} for i in range(n)],
    }
    if claims:
        rows["claims"] = CLAIMS
    for name, items in rows.items():
        (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in items) + "\n")


def test_load_split_reads_every_set_and_claims_when_present(tmp_path):
    _write_split(tmp_path / "dev", claims=True)
    data = ev.load_split(tmp_path, "dev")
    assert [len(getattr(data, a)) for a in ("mcq", "retrieval", "open_rows", "out_of_scope", "claims")] == [
        3,
        3,
        3,
        3,
        4,
    ]
    assert len(data.limited(2).mcq) == 2 and len(data.limited(2).claims) == 2
    assert ev.load_split(tmp_path, "dev", suite="mcq").retrieval is None
    _write_split(tmp_path / "test")
    assert ev.load_split(tmp_path, "test").claims is None  # optional: no file, no suite


def test_a_missing_or_empty_split_file_fails_loudly(tmp_path):
    _write_split(tmp_path / "dev")
    (tmp_path / "dev" / "open.jsonl").unlink()
    with pytest.raises(InputError, match=r"Eval data not found: .*dev/open\.jsonl"):
        ev.load_split(tmp_path, "dev")
    (tmp_path / "dev" / "open.jsonl").write_text("\n")
    with pytest.raises(InputError, match=r"Eval data is empty: .*dev/open\.jsonl"):
        ev.load_split(tmp_path, "dev")
    with pytest.raises(InputError, match=r"test/mcq\.jsonl"):
        ev.load_split(tmp_path, "test")


def test_the_committed_dev_split_loads():
    data = ev.load_split(REPO / "evals", "dev")
    assert len(data.mcq) >= 110 and all(i.phase for i in data.mcq) and not data.problems


def test_with_llm_copies_the_settings_and_leaves_them_alone():
    s = Settings(_env_file=None)
    o = ev.with_llm(s, "ollama", "qwen2.5:3b")
    assert (o.llm.backend, o.llm.ollama_model) == ("ollama", "qwen2.5:3b")
    assert (s.llm.backend, s.llm.ollama_model) == ("auto", "llama3.2:3b")  # not mutated
    assert ev.with_llm(s, "embedded", "/models/x.gguf").llm.gguf_path == Path("/models/x.gguf")
    assert ev.with_llm(s, None, None) is s


def test_phases_group_under_the_study_guide_topics_not_the_glossary(tmp_path):
    (tmp_path / "guide.md").write_text("# Guide\n### 6. Model Deployment\ntext\n### 7. Model Monitoring\ntext\n")
    (tmp_path / "glossary.md").write_text("---\nkind: glossary\n---\n# Glossary\n## Amazon S3\nan entry\n")
    settings = Settings(corpus_dir=tmp_path, _env_file=None)
    assert ev.guide_topics(settings) == ["Model Deployment", "Model Monitoring"]


def test_evals_dir_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_EVALS_DIR", str(tmp_path))
    assert Settings(_env_file=None).evals_dir == tmp_path


# -- CLI ----------------------------------------------------------------------------------------
class StubContainer:
    def __init__(self, settings: Settings, answers: StubAnswers, retriever=None) -> None:
        self.settings, self.answers, self.retriever = settings, answers, retriever
        self.backend = type("Choice", (), {"note": "stub backend"})()
        # an index "exists" and is current: no ingest
        self.index = type("Index", (), {"exists": lambda _self: True, "is_current": lambda _self: True})()


def test_cli_eval_questions_json_and_compare(tmp_path):
    f = tmp_path / "mine.jsonl"
    f.write_text(json.dumps({"id": "m1", "question": "Q1?", "options": ["a", "b", "c", "d"], "answer": "B"}))
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    stub = StubContainer(settings, StubAnswers({"Q1?": _mcq_answer("Q1?", ["B"])}))
    out = CliRunner().invoke(cli, ["eval", "--questions", str(f), "--json", "--report", str(tmp_path / "r")], obj=stub)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)["splits"]["mine"]
    assert (data["n"], data["correct"], data["accuracy"], data["per_phase"]) == (
        1,
        1,
        1.0,
        {ev.NO_PHASE: {"n": 1, "correct": 1, "accuracy": 1.0}},
    )
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["command"] == f"assistant eval --suite mcq --questions {f} --report {tmp_path / 'r'}"

    cmp = CliRunner().invoke(cli, ["eval", "--compare", str(tmp_path / "r"), str(tmp_path / "r" / "report.json")])
    assert cmp.exit_code == 0 and "| mcq_accuracy | 1.000 | 1.000 | +0.000 | same |" in cmp.output


def test_cli_eval_runs_both_splits_side_by_side(tmp_path):
    for split in ev.SPLITS:
        _write_split(tmp_path / "evals" / split, n=2)
    script = {f"Q{i}?": _mcq_answer(f"Q{i}?", ["A"]) for i in range(2)}
    sections = {f"R{i}?": ["Guide > 4. Model Training"] for i in range(2)}
    settings = Settings(data_dir=tmp_path / "data", evals_dir=tmp_path / "evals", _env_file=None)
    stub = StubContainer(settings, StubAnswers(script), StubRetriever(sections))
    out = CliRunner().invoke(cli, ["eval", "--limit", "1", "--report", str(tmp_path / "r")], obj=stub)
    assert out.exit_code == 0, out.output
    header = next(line for line in out.output.splitlines() if "metric" in line)
    assert header.index("dev") < header.index("test")
    assert "dev: MCQ accuracy 1/1" in out.output and "test: MCQ accuracy 1/1" in out.output
    md = (tmp_path / "r" / "report.md").read_text()
    assert "| mcq_accuracy | 1.000 | 1.000 |" in md and "| Model Training | 1 | 1 | 1.000 |" in md  # the corpus topic
    only = CliRunner().invoke(cli, ["eval", "--split", "test", "--json", "--suite", "mcq"], obj=stub)
    assert only.exit_code == 0, only.output
    assert list(json.loads(only.output)["splits"]) == ["test"]
