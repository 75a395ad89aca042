"""OllamaLLM, probe() and show() against the Ollama STAND-IN over real loopback HTTP.

The stand-in (tests/standins/ollama_standin.py) speaks Ollama's documented REST API from a script.
These tests check our client side of that protocol: what we send, how we read the stream, and
which error a person sees. They say nothing about a real Ollama's answers or speed.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from assistant.adapters.llm.ollama import OllamaLLM, normalize_host, probe, show
from assistant.errors import (
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    GenerationError,
    InputError,
    ModelMissingError,
)
from assistant.types import Message, Prompt
from tests.standins.ollama_standin import OLD_MISSING_MODEL_MESSAGE, OllamaStandin

MODEL = "llama3.2:3b"
ANSWER = "Stochastic gradient descent updates the weights after each mini-batch."
PROMPT = Prompt(messages=[Message("system", "Answer from the guide."), Message("user", "What is SGD?")])
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to loopback, and keep proxies from the environment out."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    real = socket.create_connection

    def guarded(address, *args, **kwargs):
        assert address[0] in LOOPBACK, f"a test tried to reach {address[0]}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


@pytest.fixture
def standin() -> Iterator[OllamaStandin]:
    with OllamaStandin(models=[MODEL]) as s:
        yield s


@pytest.fixture
def closed_url() -> Iterator[str]:
    """A loopback port that refuses connections: bound (so nobody else takes it), not listening."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A loopback port that accepts connections (kernel backlog) but never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def make_llm(url: str, **kwargs) -> OllamaLLM:
    kwargs.setdefault("num_ctx", 4096)
    kwargs.setdefault("timeout_s", 5.0)
    return OllamaLLM(url, MODEL, **kwargs)


def collect(llm: OllamaLLM, prompt: Prompt = PROMPT, **kwargs) -> tuple[list[str], Exception | None]:
    """The pieces streamed before the stream ended or raised, and what it raised."""
    pieces: list[str] = []
    try:
        for piece in llm.stream(prompt, max_tokens=kwargs.pop("max_tokens", 200), **kwargs):
            pieces.append(piece)
    except Exception as e:
        return pieces, e
    return pieces, None


# -- answers ---------------------------------------------------------------------------------


def test_stream_yields_the_answer_in_pieces_and_sends_the_chat(standin: OllamaStandin) -> None:
    standin.enqueue(ANSWER)
    pieces, error = collect(make_llm(standin.url))
    assert error is None
    assert len(pieces) > 1 and "".join(pieces) == ANSWER
    (request,) = standin.requests_to("/api/chat")
    assert request.body["model"] == MODEL
    assert request.body["stream"] is True
    assert [(m["role"], m["content"]) for m in request.body["messages"]] == [
        ("system", "Answer from the guide."),
        ("user", "What is SGD?"),
    ]


def test_raw_prompt_goes_as_a_single_user_message(standin: OllamaStandin) -> None:
    standin.enqueue("B")
    raw = Prompt(raw="Q: 2+2?\nA) 3\nB) 4\nAnswer:")
    assert make_llm(standin.url).complete(raw, max_tokens=4) == "B"
    (request,) = standin.requests_to("/api/chat")
    assert [(m["role"], m["content"]) for m in request.body["messages"]] == [("user", raw.raw)]


def test_settings_and_call_options_reach_the_server(standin: OllamaStandin) -> None:
    llm = make_llm(standin.url, num_ctx=8192, temperature=0.2, seed=7)
    llm.complete(PROMPT, max_tokens=123, stop=["\nQuestion:"])
    llm.complete(PROMPT, max_tokens=50, temperature=0.9)
    first, second = (r.body for r in standin.requests_to("/api/chat"))
    assert first["options"] == {
        "num_ctx": 8192,
        "num_predict": 123,
        "temperature": 0.2,
        "seed": 7,
        "stop": ["\nQuestion:"],
    }
    assert second["options"] == {"num_ctx": 8192, "num_predict": 50, "temperature": 0.9, "seed": 7}
    assert first["think"] is False  # thinking models must not spend num_predict on hidden reasoning


def test_an_answer_stopped_by_num_predict_is_not_an_error(standin: OllamaStandin) -> None:
    standin.enqueue(ANSWER)
    pieces, error = collect(make_llm(standin.url), max_tokens=3)
    assert error is None
    assert len(pieces) == 3 and ANSWER.startswith("".join(pieces))


def test_generate_json_sends_the_schema_as_format_and_returns_the_content(standin: OllamaStandin) -> None:
    standin.enqueue({"answer": "B"})
    text = make_llm(standin.url).generate_json(PROMPT, SCHEMA, max_tokens=64)
    assert json.loads(text) == {"answer": "B"}
    (request,) = standin.requests_to("/api/chat")
    assert request.body["format"] == SCHEMA
    assert request.body["stream"] is False
    assert request.body["options"]["num_predict"] == 64
    assert request.body["options"]["num_ctx"] == 4096


def test_generate_json_hands_broken_json_to_the_caller_unchanged(standin: OllamaStandin) -> None:
    standin.enqueue({"answer": "B"}, fault="broken_json")
    text = make_llm(standin.url).generate_json(PROMPT, SCHEMA, max_tokens=64)
    assert text.startswith('{"answer"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_an_injected_chat_model_is_the_one_used(standin: OllamaStandin, closed_url: str) -> None:
    from langchain_ollama import ChatOllama

    standin.enqueue("from the injected client")
    llm = make_llm(closed_url, chat_model=ChatOllama(model=MODEL, base_url=standin.url))
    assert llm.complete(PROMPT, max_tokens=16) == "from the injected client"


# -- failures --------------------------------------------------------------------------------


def run(llm: OllamaLLM, path: str) -> object:
    if path == "stream":
        return list(llm.stream(PROMPT, max_tokens=32))
    return llm.generate_json(PROMPT, SCHEMA, max_tokens=32)


@pytest.mark.parametrize("path", ["stream", "generate_json"])
def test_server_down_says_to_start_ollama(closed_url: str, path: str) -> None:
    with pytest.raises(BackendUnavailableError) as caught:
        run(make_llm(closed_url), path)
    assert type(caught.value) is BackendUnavailableError  # not the timeout subclass
    assert "ollama serve" in str(caught.value) and closed_url in str(caught.value)
    assert "ASSISTANT_LLM__BACKEND=embedded" in str(caught.value)


@pytest.mark.parametrize("path", ["stream", "generate_json"])
@pytest.mark.parametrize("wording", ["current", "older"])
def test_missing_model_says_to_pull_it(standin: OllamaStandin, path: str, wording: str) -> None:
    standin.models = ["qwen2.5:0.5b"]
    if wording == "older":
        standin.missing_model_message = OLD_MISSING_MODEL_MESSAGE
    with pytest.raises(ModelMissingError, match=f"Run: ollama pull {MODEL}$"):
        run(make_llm(standin.url), path)


@pytest.mark.parametrize("path", ["stream", "generate_json"])
def test_a_hanging_server_times_out_naming_the_setting(standin: OllamaStandin, path: str) -> None:
    standin.fault = "hang"
    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match="ASSISTANT_LLM__TIMEOUT_S"):
        run(make_llm(standin.url, timeout_s=0.3), path)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("fault", ["cut", "error_midstream", "no_done"])
def test_a_stream_broken_mid_answer_keeps_the_pieces_and_says_retry(standin: OllamaStandin, fault: str) -> None:
    standin.enqueue(ANSWER, fault=fault)
    pieces, error = collect(make_llm(standin.url))
    assert isinstance(error, GenerationError)
    assert "cut off" in str(error) and "Retry" in str(error)
    assert pieces and ANSWER.startswith("".join(pieces)) and "".join(pieces) != ANSWER
    if fault == "error_midstream":
        assert "an error was encountered while running the model" in str(error)


def test_a_dropped_connection_without_an_answer_is_a_generation_error(standin: OllamaStandin) -> None:
    standin.enqueue({"answer": "B"}, fault="cut")
    with pytest.raises(GenerationError, match="ollama serve"):
        make_llm(standin.url).generate_json(PROMPT, SCHEMA, max_tokens=32)


def test_an_empty_prompt_is_refused_before_any_request(standin: OllamaStandin) -> None:
    with pytest.raises(InputError):
        list(make_llm(standin.url).stream(Prompt(), max_tokens=8))
    assert standin.requests == []


# -- probe, show and small parts ---------------------------------------------------------------


def test_probe_finds_a_running_server_with_the_model(standin: OllamaStandin) -> None:
    ok, reason = probe(standin.url, MODEL)
    assert ok and MODEL in reason
    assert [r.path for r in standin.requests] == ["/api/tags"]


@pytest.mark.parametrize(("installed", "asked"), [("llama3.2:latest", "llama3.2"), ("llama3.2", "llama3.2:latest")])
def test_probe_treats_a_bare_name_as_latest(installed: str, asked: str) -> None:
    with OllamaStandin(models=[installed]) as s:
        assert probe(s.url, asked)[0] is True


def test_probe_reports_a_missing_model_with_the_pull_command(standin: OllamaStandin) -> None:
    ok, reason = probe(standin.url, "llama3.2")  # only llama3.2:3b is installed, not :latest
    assert not ok
    assert "ollama pull llama3.2" in reason and MODEL in reason


def test_probe_reports_a_server_that_is_down(closed_url: str) -> None:
    ok, reason = probe(closed_url, MODEL)
    assert not ok and "not reachable" in reason and "ollama serve" in reason


def test_probe_gives_up_on_a_silent_server_within_its_timeout(silent_url: str) -> None:
    started = time.monotonic()
    ok, reason = probe(silent_url, MODEL, timeout_s=0.2)
    assert not ok and "did not answer within 0.2 s" in reason
    assert time.monotonic() - started < 2.0


def test_show_reads_the_context_length(standin: OllamaStandin) -> None:
    standin.context_length = 8192
    info = show(standin.url, MODEL)
    assert info["context_length"] == 8192
    assert standin.requests_to("/api/show")[0].body == {"model": MODEL}


def test_show_of_a_missing_model_says_to_pull_it(standin: OllamaStandin) -> None:
    with pytest.raises(ModelMissingError, match="ollama pull gemma3"):
        show(standin.url, "gemma3")


def test_token_estimate_context_window_and_name() -> None:
    llm = OllamaLLM("http://127.0.0.1:9", MODEL, num_ctx=2048, timeout_s=1.0)
    assert [llm.count_tokens(t) for t in ("", "abcdefg", "abcdefgh")] == [0, 2, 3]
    assert llm.context_window == 2048
    assert llm.describe() == f"ollama:{MODEL}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:11434/", "http://127.0.0.1:11434"),
        ("127.0.0.1:11500", "http://127.0.0.1:11500"),
        ("localhost", "http://localhost:11434"),
    ],
)
def test_hosts_are_normalised_like_the_ollama_client(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize("given", ["ftp://127.0.0.1", "http://", "127.0.0.1:port"])
def test_a_host_that_is_not_an_http_url_is_a_config_error(given: str) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_LLM__OLLAMA_HOST"):
        OllamaLLM(given, MODEL, num_ctx=2048, timeout_s=1.0)
    ok, reason = probe(given, MODEL)
    assert not ok and "ASSISTANT_LLM__OLLAMA_HOST" in reason
