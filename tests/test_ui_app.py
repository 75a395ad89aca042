"""The real web app over the real guide, the real embedded LLM and a real Gradio server on loopback,
driven through gradio_client. (The first tests call the chat handlers directly, without a server.)"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError, InputError
from assistant.services.answer import Answer, Event
from assistant.services.exam.generate import ExamRun
from assistant.services.exam.items import load_items
from assistant.services.exam.session import case_groups
from assistant.ui.app import build_app, launch
from assistant.ui.chat import ChatTab
from assistant.ui.exam_tab import FIXED_OUTPUTS, MAX_QUESTIONS, MODES, SLOT_ANSWERS, SLOT_OUTPUTS, ExamTab
from tests.conftest import REPO, free_port
from tests.matching_samples import NEEDS, SCENARIO, case_items, matching_item

TRAINING_Q = "What happens in the model training phase?"
MCQ = (
    "A team has deployed a model and needs to detect when accuracy degrades because production data "
    "changes. Which lifecycle phase covers this?\nA. Model Training\nB. Model Evaluation\n"
    "C. Model Monitoring and Maintenance\nD. Business Problem Definition"
)


# ---------------------------------------------------------------- handlers, without a server


class FakeAnswers:
    """A fake AnswerService: records the history each call receives; replays one scripted answer."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.histories: list[list[tuple[str, str]]] = []
        self.fail = fail

    def stream(self, question: str, history: Any = ()) -> Iterator[Event]:
        self.histories.append(list(history))
        if self.fail:
            raise self.fail
        yield Event("status", "Answering…")
        yield Event("delta", f"About {question}. ")
        yield Event(
            "done", answer=Answer(question, question, f"About {question}.", [], False, [], "fake", "fake-model")
        )


class _FakeContainer:
    def __init__(self, answers: FakeAnswers) -> None:
        from assistant.settings import Settings

        self.answers = answers
        self.settings = Settings(_env_file=None)


def _run(gen: Iterator[tuple]) -> list[tuple]:
    return list(gen)


def test_chat_handler_streams_and_passes_history_as_pairs() -> None:
    answers = FakeAnswers()
    tab = ChatTab(_FakeContainer(answers))
    first = _run(tab.respond("What is training?", [], []))
    assert len(first) >= 3 and "Answering…" in first[1][0][-1]["content"]  # status shown while streaming
    history, box, turns = first[-1]
    assert box == "" and [m["role"] for m in history] == ["user", "assistant"]
    history, _, turns = _run(tab.respond("And tuning?", history, turns))[-1]
    assert answers.histories == [[], [("What is training?", "About What is training?.")]]
    history, _, turns = _run(tab.retry_last(history, turns))[-1]  # retry replaces the last turn
    assert answers.histories[-1] == [("What is training?", "About What is training?.")]
    assert len(history) == 4 and [t["q"] for t in turns] == ["What is training?", "And tuning?"]


def test_chat_handler_turns_errors_into_friendly_messages() -> None:
    import gradio as gr

    tab = ChatTab(_FakeContainer(FakeAnswers(fail=InputError("The question is too long. Shorten it."))))
    gen = tab.respond("x" * 10, [], [])
    outputs = []
    with pytest.raises(gr.Error) as err:
        outputs.extend(gen)
    assert err.value.message == "The question is too long. Shorten it."
    assert outputs[-1] == ([], "x" * 10, [])  # the question goes back into the box to be fixed
    tab = ChatTab(_FakeContainer(FakeAnswers(fail=RuntimeError("internal detail"))))
    with pytest.raises(gr.Error) as err:
        list(tab.respond("hi", [], []))
    assert "internal detail" not in err.value.message and "server log" in err.value.message


def test_launch_refuses_open_bind_without_auth(guide_container) -> None:
    settings = guide_container.settings.model_copy(deep=True)
    with pytest.raises(ConfigError, match="AUTH_USER"):
        launch(object(), settings, host="0.0.0.0", block=False)  # type: ignore[arg-type]
    settings.ui.auth_user = "me"
    with pytest.raises(ConfigError, match="both"):
        launch(object(), settings, host="127.0.0.1", block=False)  # type: ignore[arg-type]


def test_exam_one_question_at_a_time_navigation() -> None:
    tab = ExamTab(_FakeContainer(FakeAnswers()))
    items = load_items(REPO / "evals" / "dev" / "mcq.jsonl")[:3]
    out = tab.load(items, MODES[1], "Loaded.")
    quiz, boxes = out[0], out[FIXED_OUTPUTS::SLOT_OUTPUTS]  # each slot's updates start with its box
    assert quiz["index"] == 0 and len(quiz["items"]) == 3 and not quiz["submitted"]
    assert [b["visible"] for b in boxes[:4]] == [True, False, False, False]
    moved = tab.move(quiz, MODES[1], 1)
    assert moved[0]["index"] == 1 and [b["visible"] for b in moved[2:6]] == [False, True, False, False]
    assert "Question 2 of 3" in moved[1]
    assert tab.move(moved[0], MODES[1], 5)[0]["index"] == 2  # clamped to the last question
    every = tab.move(moved[0], MODES[0], 0)
    assert [b["visible"] for b in every[2:6]] == [True, True, True, False] and every[-1]["visible"] is False


class FakeRun:
    """A fake generation result: the items and the `ExamRun.summary()` fields the tab reads."""

    def __init__(self, items: list, requested: int, **summary: Any) -> None:
        self.items = items
        self._summary = {"requested": requested, "delivered": len(items), "accepted": len(items), **summary}

    def summary(self) -> dict:
        return self._summary


class FakeExams:
    """A fake exam generator that returns one scripted run."""

    def __init__(self, run: FakeRun) -> None:
        self.run = run

    def generate(self, n: int, **kwargs: Any) -> FakeRun:
        return self.run


class _ExamContainer(_FakeContainer):
    """The exam tab's collaborators: a real session service over a real bank, a fake generator."""

    def __init__(self, tmp_path: Path, run: FakeRun | None = None) -> None:
        from assistant.services.exam.bank import QuestionBank
        from assistant.services.exam.session import ExamSessionService

        super().__init__(FakeAnswers())
        self.bank = QuestionBank(tmp_path / "bank.sqlite")
        self.exam_sessions = ExamSessionService(self.bank, {}.get)
        self.exams = FakeExams(run or FakeRun([], 1))


def _slot(out: list, i: int) -> list:
    start = FIXED_OUTPUTS + SLOT_OUTPUTS * i
    return out[start : start + SLOT_OUTPUTS]


def _no_progress(*args: Any, **kwargs: Any) -> None:
    return None


def test_matching_and_case_study_are_laid_out_taken_and_scored(tmp_path) -> None:
    first, second = case_items()
    alone = matching_item()
    tab = ExamTab(_ExamContainer(tmp_path))
    out = tab.load([first, alone, second], MODES[0], "Loaded.")
    quiz = out[0]
    assert [d["id"] for d in quiz["items"]] == [first.id, second.id, alone.id]  # the case's questions together
    titles = [_slot(out, i)[1] for i in range(3)]
    assert titles[0].startswith("<div class='case'><b>Case study (questions 1-2)</b>") and SCENARIO in titles[0]
    assert "Case study (continued)" in titles[1] and "Case study" not in titles[2]
    assert "#### Question 3 of 3" in titles[2] and "- **C.** Amazon SageMaker Clarify" in titles[2]
    matching = _slot(out, 2)
    assert matching[2]["visible"] is False and matching[4]["visible"] is False  # no radio, no ordering
    dropdowns = matching[5:]
    assert [d["visible"] for d in dropdowns] == [True, True, True, False, False]
    assert dropdowns[0]["label"] == f"1. {NEEDS[0]}" and dropdowns[0]["choices"][2] == (
        "C. Amazon SageMaker Clarify",
        "C",
    )

    answers: list[Any] = [None, [], [], *[None] * (SLOT_ANSWERS - 3)] * MAX_QUESTIONS
    answers[0] = "B"  # case question 1: right
    answers[SLOT_ANSWERS + 3 : SLOT_ANSWERS + 6] = ["C", "B", "A"]  # case matching: 1 pair of 3
    answers[2 * SLOT_ANSWERS + 3 : 2 * SLOT_ANSWERS + 6] = ["C", "A", "B"]  # stand-alone matching: all right
    scored = tab.submit(quiz, *answers)
    assert scored[2].startswith("## Score: 2 / 3") and "**4 of 6 pairs right**" in scored[2]
    review = scored[4]
    assert review.count(SCENARIO) == 1 and review.index(SCENARIO) < review.index("Question 1")
    assert "1 of 3 pairs right" in review and "3 of 3 pairs right" in review
    assert "— right: <b>A.</b> Amazon SageMaker Model Monitor" in review
    assert [a.chosen for a in tab.c.bank.attempts()] == ["C,A,B", "C,B,A", "B"]


def test_a_short_generation_says_how_many_and_why_and_offers_the_missed_questions(tmp_path) -> None:
    first, second = case_items()
    run = FakeRun(
        [first],
        5,
        shortfall="every unused fact for these topics was tried",
        rejected={"length_giveaway": 3, "stem_copy": 1},
        pool_remaining=0,
        pool_used_up=True,
        seconds=2.0,
    )
    c = _ExamContainer(tmp_path, run)
    c.exam_sessions.submit([second], [["A", "B", "C"]], session="earlier")  # one missed question
    tab = ExamTab(c)
    out = tab.generate(5, [], "medium", MODES[0], progress=_no_progress)
    note, missed_btn = out[1], out[8]
    assert "**1 of 5 questions delivered**" in note and "every unused fact for these topics was tried" in note
    assert "pool of new questions for these topics is used up" in note and "**1 missed question**" in note
    assert "3 drafts rejected" in note and "1 draft rejected" in note
    assert missed_btn["visible"] is True
    review = tab.load_missed(MODES[0])
    assert [d["id"] for d in review[0]["items"]] == [second.id] and "Review: **1 missed question**" in review[1]
    full = ExamTab(_ExamContainer(tmp_path / "b", FakeRun([first, second], 2, seconds=1.0)))
    out = full.generate(2, [], "medium", MODES[0], progress=_no_progress)
    assert out[1].startswith("✓ **2 questions ready** (asked for 2") and out[8]["visible"] is False


def test_nothing_delivered_and_nothing_to_review_is_a_clear_error(tmp_path) -> None:
    import gradio as gr

    run = FakeRun([], 3, shortfall="the corpus has no facts for these topics", pool_used_up=True)
    with pytest.raises(gr.Error, match=r"0 of 3 questions delivered.*no facts for these topics"):
        ExamTab(_ExamContainer(tmp_path, run)).generate(3, [], "medium", MODES[0], progress=_no_progress)
    with pytest.raises(gr.Error, match="No missed questions"):
        ExamTab(_ExamContainer(tmp_path / "b")).load_missed(MODES[0])


def test_serve_refuses_an_open_bind_without_auth() -> None:
    from click.testing import CliRunner

    from assistant.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 1 and "ASSISTANT_UI__AUTH_USER" in result.output, result.output


@pytest.mark.slow
def test_serve_command_ingests_then_serves_on_loopback(tmp_path) -> None:
    port = free_port()
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_LLM__BACKEND": "embedded"}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "assistant"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"`assistant serve` did not come up:\n{log.read_text()[-3000:]}")
        text = log.read_text()
        ready = re.search(r"Index ready: (\d+) chunks \((\d+) embedded now\)\.", text)
        assert ready and int(ready.group(1)) > 0 and ready.group(1) == ready.group(2), text
        assert "embedded model" in text and f"Serving on http://127.0.0.1:{port}" in text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---------------------------------------------------------------- the served app


@pytest.fixture(scope="module")
def served(guide_container) -> Iterator[dict[str, Any]]:
    c = guide_container
    if "backend" not in c.__dict__:
        c.settings.llm.backend = "embedded"  # skip the Ollama probe: the embedded model answers
    c.backend  # noqa: B018 - load the model before the first request, as `assistant serve` does
    port = free_port()
    app = build_app(c)
    launch(app, c.settings, port=port, block=False, quiet=True)
    try:
        yield {"url": f"http://127.0.0.1:{port}/", "port": port, "container": c}
    finally:
        app.close()


def client(served: dict[str, Any], tmp_path: Path, **kw: Any):
    from gradio_client import Client

    return Client(served["url"], verbose=False, analytics_enabled=False, download_files=str(tmp_path), **kw)


def _assistant_text(history: list[dict]) -> str:
    message = history[-1]
    assert message["role"] == "assistant"
    return "".join(part["text"] for part in message["content"] if part.get("type") == "text")


@pytest.mark.slow
def test_chat_answers_with_citations_streamed(served, tmp_path) -> None:
    cl = client(served, tmp_path)
    job = cl.submit(TRAINING_Q, [], api_name="/chat")
    history, box = job.result(timeout=300)
    text = _assistant_text(history)
    assert box == ""
    assert '<a class="cite" href="#' in text and '<details class="sources">' in text and "<mark>" in text
    assert "Answered by embedded" in text
    assert len(job.outputs()) >= 3, "the answer should arrive in several updates, not one"
    follow_up, _ = cl.predict("Which AWS services support it?", history, api_name="/chat")
    assert len(follow_up) == 4 and _assistant_text(follow_up)  # the follow-up is answered too


@pytest.mark.slow
def test_pasted_mcq_gets_a_pick_and_option_notes(served, tmp_path) -> None:
    history, _ = client(served, tmp_path).predict(MCQ, [], api_name="/chat")
    text = _assistant_text(history)
    assert "Answer: " in text and "- ✓ **" in text
    for letter in "ABCD":
        assert f"**{letter}.**" in text


@pytest.mark.slow
def test_errors_are_friendly(served, tmp_path) -> None:
    from gradio_client.exceptions import AppError

    limit = served["container"].settings.ui.max_input_chars
    with pytest.raises(AppError) as err:
        client(served, tmp_path).predict("why? " * (limit // 4), [], api_name="/chat")
    assert "limit is" in str(err.value) and "Traceback" not in str(err.value)


@pytest.mark.slow
def test_exam_is_generated_scored_recorded_and_exported(served, tmp_path, monkeypatch) -> None:
    c = served["container"]
    generator = c.exams
    runs: list[ExamRun] = []

    class Spy:  # passes every call through to the generator; only remembers what it returned
        def generate(self, *args: Any, **kwargs: Any) -> ExamRun:
            runs.append(generator.generate(*args, **kwargs))
            return runs[-1]

    monkeypatch.setitem(c.__dict__, "exams", Spy())
    cl = client(served, tmp_path)
    out = cl.predict(3, [], "medium", "All at once", api_name="/generate_exam")
    items = runs[0].items
    assert len(items) == 3 and "3 questions ready" in out[0], out[0]
    assert sum(isinstance(o, str) and "#### Question" in o for o in out) == 3
    answers: list[Any] = []
    items = [i for group in case_groups(items) for i in group]  # as the tab asks them: a case's questions together
    for i in range(MAX_QUESTIONS):
        item = items[i] if i < 3 else None
        wrong = i == 1
        keys = [] if item is None else list(item.keys)
        if wrong and item is not None:  # a wrong answer of the item's own kind
            keys = keys[::-1] if item.ordered else [k for k in item.options if k not in item.keys][:1]
        kind = item.type if item is not None else ""
        answers += [
            keys[0] if kind == "single" else None,
            keys if kind == "multi" else [],
            keys if kind == "ordering" else [],
            *((keys if kind == "matching" else []) + [None] * SLOT_ANSWERS)[: SLOT_ANSWERS - 3],
        ]
    before = len(c.bank.attempts())
    score = cl.predict(*answers, api_name="/submit_exam")
    assert "Score: 2 / 3" in score[0]
    assert "✓ Question 1" in score[2] and "✗ Question 2" in score[2]
    attempts = c.bank.attempts()[: len(c.bank.attempts()) - before]
    assert sorted(a.correct for a in attempts) == [False, True, True]
    exported = _path(cl.predict(api_name="/export_json"))
    assert [i.id for i in load_items(exported)] == [i.id for i in items]
    for fmt in ("md", "anki", "gift"):
        assert _path(cl.predict(api_name=f"/export_{fmt}")).stat().st_size > 100


def _path(file_output: Any) -> Path:
    return Path(file_output["value"] if isinstance(file_output, dict) else file_output)


@pytest.mark.slow
def test_quiz_on_weakest_phases(served, tmp_path, monkeypatch) -> None:
    c = served["container"]
    item = load_items(REPO / "evals" / "dev" / "mcq.jsonl")[0]
    c.bank.add_items([item])
    c.bank.record_attempt(item.id, "A" if item.answer != "A" else "B", False, session="test-weak")
    weakest = c.exam_sessions.weakest_phases(n=2)  # what the quiz button asks for
    generator = c.exams
    calls: list[dict[str, Any]] = []

    class Spy:
        def generate(self, n: int, **kwargs: Any) -> ExamRun:
            calls.append({"n": n, **kwargs})
            return generator.generate(n, **kwargs)

    monkeypatch.setitem(c.__dict__, "exams", Spy())
    out = client(served, tmp_path).predict(1, "All at once", api_name="/weak_quiz")
    assert calls[0]["n"] == 1 and calls[0]["phases"] == weakest
    assert out[0].startswith("Focus: " + " and ".join(weakest)), out[0]


@pytest.mark.slow
def test_quiz_file_upload(served, tmp_path) -> None:
    from gradio_client import handle_file

    from assistant.services.exam.export import export

    path = export(load_items(REPO / "evals" / "dev" / "mcq.jsonl")[:4], "json", tmp_path / "quiz.json")
    out = client(served, tmp_path).predict(handle_file(str(path)), "One at a time", api_name="/load_exam_file")
    assert out[0].startswith("Loaded **4 questions** from"), out[0]


@pytest.mark.slow
def test_eight_concurrent_chat_clients_all_get_answers(served, tmp_path, monkeypatch) -> None:
    svc = served["container"].answers
    active, peak, lock = [0], [0], threading.Lock()
    real_stream = svc.stream

    def counting_stream(question: str, history: Any = ()) -> Iterator[Event]:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            yield from real_stream(question, history)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(svc, "stream", counting_stream)
    questions = [
        TRAINING_Q,
        "What is an ML pipeline?",
        "How do you detect model drift?",
        "Which AWS services are used for data collection?",
        "What is feature engineering?",
        "What are KPIs in business problem definition?",
        MCQ,
        "What is the capital of France?",
    ]

    def ask(q: str) -> str:
        history, _ = client(served, tmp_path).predict(q, [], api_name="/chat")
        return _assistant_text(history)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(ask, questions))
    assert all(texts) and not any("error-note" in t for t in texts)
    assert peak[0] == 1, "LLM-calling events must run one at a time"
    print(f"8 concurrent chats answered in {time.monotonic() - started:.1f} s")


def test_server_listens_on_loopback_only(served) -> None:
    port = served["port"]
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                listening.append(local.rsplit(":", 1)[0])
    assert listening == ["0100007F"], f"port {port} listens on {listening}, expected only 127.0.0.1"
    other = _non_loopback_ip()
    if other:
        with pytest.raises(OSError), socket.create_connection((other, port), timeout=2):
            pass


def _non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the outgoing interface
            ip = s.getsockname()[0]
        except OSError:
            return None
    return None if ip.startswith("127.") else ip


def test_file_routes_refuse_traversal_and_remote_urls(served) -> None:
    data = served["container"].settings.data_dir
    probes = [
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=../../../../../../etc/passwd",
        "/gradio_api/file=..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=%252Fetc%252Fpasswd",
        "/gradio_api/file=/proc/self/environ",
        f"/gradio_api/file={data}/bank.sqlite",
        f"/gradio_api/file={data}/exports/../bank.sqlite",
        f"/gradio_api/file={REPO}/pyproject.toml",
        "/file=/etc/passwd",
        "/gradio_api/file=http://example.com/",
        "/gradio_api/file=https%3A%2F%2Fexample.com%2F",
        "/static/../../../../etc/passwd",
        "/assets/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ]
    for path in probes:
        conn = http.client.HTTPConnection("127.0.0.1", served["port"], timeout=10)
        conn.request("GET", path)  # sent as-is: no client-side normalisation of ../
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        leaked = b"root:" in body or b"SQLite format 3" in body or b"[build-system]" in body or b"PATH=" in body
        assert not leaked, f"{path} leaked a file (HTTP {resp.status})"
        assert resp.status in (400, 403, 404), f"{path} -> HTTP {resp.status}"


@pytest.mark.slow
def test_basic_auth_and_upload_cap_when_configured(guide_container, tmp_path) -> None:
    from gradio_client import Client, handle_file

    settings = guide_container.settings.model_copy(deep=True)
    settings.ui.auth_user, settings.ui.auth_password = "student", "s3cret-pass"
    settings.ui.max_upload_mb = 1
    port = free_port()
    app = build_app(guide_container)
    launch(app, settings, port=port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/config")
        assert conn.getresponse().status in (401, 403)
        cl = Client(url, auth=("student", "s3cret-pass"), verbose=False, analytics_enabled=False)
        assert json.dumps(cl.predict(api_name="/clear"))  # an authenticated call works
        big = tmp_path / "big.json"
        big.write_text('{"items": []}' + " " * (1024 * 1024 + 10))
        with pytest.raises(Exception, match=r"(?i)size|large|413"):
            cl.predict(handle_file(str(big)), "All at once", api_name="/load_exam_file")
        with pytest.raises(Exception):  # noqa: B017 - a wrong password is refused, however the client reports it
            Client(url, auth=("student", "wrong"), verbose=False, analytics_enabled=False)
    finally:
        app.close()
