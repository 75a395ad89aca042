"""OllamaLLM, probe() and show() against the Ollama STAND-IN over real loopback HTTP.

The stand-in (tests/standins/ollama_standin.py) speaks Ollama's documented REST API from a script.
These tests check our client side of that protocol: what we send, how we read the stream, and
which error a person sees. They say nothing about a real Ollama's answers or speed.
"""

from __future__ import annotations

import json
import socket
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
    standin.fault = "hang"  # the stand-in never answers: only the client's timeout can end the call
    with pytest.raises(BackendTimeoutError, match="ASSISTANT_LLM__TIMEOUT_S"):
        run(make_llm(standin.url, timeout_s=0.3), path)


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
    ok, reason = probe(silent_url, MODEL, timeout_s=0.2)  # the silent server never answers
    assert not ok and "did not answer within 0.2 s" in reason


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


# Each form Ollama's envconfig.Host() + ConnectableHost() accepts, and where it connects.
HOST_FORMS = [
    ("http://127.0.0.1:11434/", "http://127.0.0.1:11434"),
    ("127.0.0.1:11500", "http://127.0.0.1:11500"),
    ("localhost", "http://localhost:11434"),
    ("", "http://127.0.0.1:11434"),
    (":11434", "http://127.0.0.1:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    ("0.0.0.0:11500", "http://127.0.0.1:11500"),
    ("::", "http://[::1]:11434"),
    ("[::]:11500", "http://[::1]:11500"),
    ("::1", "http://[::1]:11434"),
    ("[::1]:11500", "http://[::1]:11500"),
    ('"127.0.0.1:11500"', "http://127.0.0.1:11500"),
    (" '0.0.0.0:11500' ", "http://127.0.0.1:11500"),
    ("http://example.com", "http://example.com:80"),
    ("https://example.com", "https://example.com:443"),
    ("example.com:8080/ollama/", "http://example.com:8080/ollama"),
    ("localhost:", "http://localhost:11434"),
]


@pytest.mark.parametrize(("given", "expected"), HOST_FORMS)
def test_hosts_are_normalised_like_the_ollama_client(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize("given", ["ftp://127.0.0.1", "http://", "127.0.0.1:port", "127.0.0.1:70000"])
def test_a_host_that_is_not_an_http_url_is_a_config_error(given: str) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_LLM__OLLAMA_HOST"):
        OllamaLLM(given, MODEL, num_ctx=2048, timeout_s=1.0)
    ok, reason = probe(given, MODEL)
    assert not ok and "ASSISTANT_LLM__OLLAMA_HOST" in reason


# -- host forms, proxies, /api/show, truncation, thinking, pre-output errors -------------------------


@pytest.mark.parametrize("form", ["0.0.0.0:{port}", ":{port}", "'127.0.0.1:{port}'", "localhost:{port}"])
def test_each_host_form_reaches_a_loopback_server(standin: OllamaStandin, form: str) -> None:
    port = standin.url.rsplit(":", 1)[1]
    standin.enqueue(ANSWER)
    assert make_llm(form.format(port=port)).complete(PROMPT, max_tokens=50) == ANSWER


def test_ipv6_loopback_forms_reach_a_server_on_ipv6() -> None:
    import http.server
    import threading

    class V6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    class Tags(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps({"models": [{"name": MODEL}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    try:
        server = V6(("::1", 0), Tags)
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        for form in (f"[::1]:{port}", f"[::]:{port}"):
            assert probe(form, MODEL)[0] is True, form
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch, closed_url: str) -> str:
    """A corporate proxy that is down: any request sent through it fails."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, closed_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    return closed_url


def test_loopback_ollama_skips_the_proxy(standin: OllamaStandin, proxy_env: str) -> None:
    port = standin.url.rsplit(":", 1)[1]
    assert probe(f"0.0.0.0:{port}", MODEL)[0] is True
    standin.enqueue(ANSWER)
    assert make_llm(f"localhost:{port}").complete(PROMPT, max_tokens=50) == ANSWER
    assert standin.requests and not any(r.proxied for r in standin.requests)


def test_a_remote_ollama_is_reached_through_the_proxy(standin: OllamaStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in plays the proxy (PROXY behaviour); the remote name is never resolved here."""
    monkeypatch.setenv("HTTP_PROXY", standin.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    ok, reason = probe("ollama.internal.example:11434", MODEL)
    assert ok, reason
    standin.enqueue(ANSWER)
    assert make_llm("http://ollama.internal.example:11434").complete(PROMPT, max_tokens=50) == ANSWER
    assert standin.requests and all(r.proxied for r in standin.requests)


@pytest.mark.parametrize("no_proxy", ["ollama.lan", ".lan", "10.0.0.0/8", "*"])
def test_no_proxy_hosts_skip_the_proxy(monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    from assistant.adapters.llm.ollama_http import bypasses_proxy, client_options

    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    host = "http://10.1.2.3:11434" if "/" in no_proxy else "http://ollama.lan:11434"
    assert bypasses_proxy(host) and client_options(host) == {"trust_env": False}
    monkeypatch.setenv("NO_PROXY", "other.example")
    assert client_options("http://ollama.lan:11434") == {}  # httpx then uses HTTP_PROXY


def test_inspect_caps_the_window_at_the_trained_context(standin: OllamaStandin) -> None:
    standin.context_length = 2048
    llm = make_llm(standin.url, num_ctx=8192)
    info = llm.inspect()
    assert info["context_length"] == 2048 and llm.context_window == 2048
    assert llm.capabilities == ["completion"] and llm.thinks is False
    llm.complete(PROMPT, max_tokens=8)
    assert standin.requests_to("/api/chat")[0].body["options"]["num_ctx"] == 2048


def test_a_cut_prompt_is_reported_and_the_next_budget_is_smaller(standin: OllamaStandin) -> None:
    standin.context_length = 1024
    standin.chars_per_token = 2.0  # a tokenizer denser than our estimate: the prompt looks as if it fits
    llm = make_llm(standin.url, num_ctx=1024)
    long = Prompt(messages=[Message("user", "word " * 600)])  # 3000 chars: ~858 estimated, 1508 real
    before = llm.count_tokens(long.text())
    assert before + 50 < llm.context_window
    standin.enqueue(ANSWER)
    assert llm.complete(long, max_tokens=50) == ANSWER  # 200 OK, like Ollama
    assert standin.cuts and standin.cuts[0].kept_tokens == 1024
    report = llm.last_call
    assert report is not None and report.prompt_tokens_read == 1024
    assert report.prompt_cut and "cut the prompt" in report.prompt_cut and "ASSISTANT_LLM__NUM_CTX" in report.prompt_cut
    assert llm.count_tokens(long.text()) > llm.context_window  # a caller's budget now drops passages
    standin.enqueue(ANSWER)
    llm.complete(PROMPT, max_tokens=50)
    assert llm.last_call.prompt_cut is None and llm.last_call.prompt_tokens_read


def test_an_uncut_answer_reports_what_was_read(standin: OllamaStandin) -> None:
    standin.enqueue(ANSWER)
    llm = make_llm(standin.url)
    llm.complete(PROMPT, max_tokens=50)
    report = llm.last_call
    assert report.prompt_cut is None and report.prompt_tokens_read > 0 and report.done_reason == "stop"


THINKER = "qwen3:4b"
GPT_OSS = "gpt-oss:20b"


@pytest.fixture
def thinkers() -> Iterator[OllamaStandin]:
    caps = {THINKER: ["completion", "thinking"], GPT_OSS: ["completion", "thinking"]}
    with OllamaStandin(
        models=[THINKER, GPT_OSS], capabilities=caps, thinking_levels={GPT_OSS: ["low", "medium", "high"]}
    ) as s:
        yield s


def test_a_thinking_model_that_obeys_think_false_answers(thinkers: OllamaStandin) -> None:
    llm = OllamaLLM(thinkers.url, THINKER, num_ctx=4096, timeout_s=5.0)
    llm.inspect()
    thinkers.enqueue(ANSWER)
    assert llm.complete(PROMPT, max_tokens=80) == ANSWER
    body = thinkers.requests_to("/api/chat")[0].body
    assert body["think"] is False and body["options"]["num_predict"] == 80 + 1024
    assert llm.last_call.thinking == ""


def test_gpt_oss_thinks_anyway_and_its_thinking_is_kept_apart(thinkers: OllamaStandin) -> None:
    llm = OllamaLLM(thinkers.url, GPT_OSS, num_ctx=4096, timeout_s=5.0)
    llm.inspect()
    assert llm.think == "low"
    thinkers.enqueue(ANSWER)
    pieces, error = collect(llm, max_tokens=80)
    assert error is None and "".join(pieces) == ANSWER
    assert thinkers.requests_to("/api/chat")[0].body["think"] == "low"
    assert llm.last_call.thinking.startswith("The user asks")


def test_the_answer_keeps_the_callers_limit_when_thinking_room_is_added(thinkers: OllamaStandin) -> None:
    llm = OllamaLLM(thinkers.url, GPT_OSS, num_ctx=4096, timeout_s=5.0)
    thinkers.enqueue(ANSWER)
    pieces, error = collect(llm, max_tokens=3)
    assert error is None and len(pieces) == 3


def test_a_thinking_model_that_only_thinks_is_an_error_naming_it(thinkers: OllamaStandin) -> None:
    thinkers.thinking_text = "hmm " * 3000  # its reasoning outlasts even the added room
    llm = OllamaLLM(thinkers.url, GPT_OSS, num_ctx=4096, timeout_s=5.0)
    thinkers.enqueue(ANSWER)
    with pytest.raises(GenerationError) as caught:
        llm.complete(PROMPT, max_tokens=80)
    assert GPT_OSS in str(caught.value) and "ASSISTANT_LLM__OLLAMA_MODEL" in str(caught.value)
    thinkers.enqueue({"answer": "B"})
    with pytest.raises(GenerationError, match=GPT_OSS):
        llm.generate_json(PROMPT, SCHEMA, max_tokens=64)


@pytest.mark.parametrize("path", ["stream", "generate_json"])
def test_a_500_before_output_says_the_model_may_not_fit(standin: OllamaStandin, path: str) -> None:
    standin.fault = "load_error"
    with pytest.raises(GenerationError) as caught:
        run(make_llm(standin.url), path)
    text = str(caught.value)
    assert "more system memory" in text and "smaller" in text and "cut off" not in text


def test_a_model_that_cannot_chat_is_a_config_error(standin: OllamaStandin) -> None:
    standin.models.append("nomic-embed-text")
    standin.capabilities["nomic-embed-text"] = ["embedding"]
    with pytest.raises(ConfigError, match=r"cannot chat.*ASSISTANT_LLM__OLLAMA_MODEL"):
        OllamaLLM(standin.url, "nomic-embed-text", num_ctx=2048, timeout_s=5.0).complete(PROMPT, max_tokens=8)


def test_a_cloud_model_without_signin_says_so(standin: OllamaStandin) -> None:
    standin.fault = "unauthorized"
    with pytest.raises(BackendUnavailableError, match="ollama signin"):
        make_llm(standin.url).complete(PROMPT, max_tokens=8)


def test_probe_accepts_a_fully_qualified_name(standin: OllamaStandin) -> None:
    assert probe(standin.url, f"registry.ollama.ai/library/{MODEL}")[0] is True
    assert probe(standin.url, "registry.ollama.ai/someone/llama3.2:3b")[0] is False


# -- the factory: `auto` and `ollama` -------------------------------------------------------------


def settings_for(tmp_path, **llm):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    for key, value in llm.items():
        setattr(settings.llm, key, value)
    return settings


@pytest.fixture
def no_embedded(monkeypatch: pytest.MonkeyPatch):
    """`auto` falls back to the embedded model: a named fake stands in for it (no GGUF load)."""
    from assistant.adapters.llm import factory
    from tests.fakes import FakeLLM

    monkeypatch.setattr(factory, "_embedded", lambda settings: FakeLLM(model="fake-embedded"))


def test_auto_chooses_ollama_after_a_one_token_chat(standin: OllamaStandin, tmp_path, no_embedded) -> None:
    from assistant.adapters.llm.factory import build_llm

    standin.load_delay_s = 0.3  # SLOW FIRST LOAD: the probe waits for it instead of giving up
    choice = build_llm(
        settings_for(tmp_path, ollama_host=standin.url, ollama_model=f"registry.ollama.ai/library/{MODEL}")
    )
    assert choice.llm.backend == "ollama" and "Ollama" in choice.note
    assert choice.llm.context_window == 4096 and choice.llm.capabilities == ["completion"]
    (chat,) = standin.requests_to("/api/chat")
    assert chat.body["options"]["num_predict"] == 1


def test_auto_refuses_a_model_that_cannot_chat_and_says_why(standin: OllamaStandin, tmp_path, no_embedded) -> None:
    from assistant.adapters.llm.factory import build_llm

    standin.models.append("nomic-embed-text")
    standin.capabilities["nomic-embed-text"] = ["embedding"]
    choice = build_llm(settings_for(tmp_path, ollama_host=standin.url, ollama_model="nomic-embed-text"))
    assert choice.llm.model == "fake-embedded"
    assert "'nomic-embed-text' cannot chat (its capabilities: embedding)" in choice.note
    assert standin.requests_to("/api/chat") == []


@pytest.mark.parametrize(("fault", "words"), [("load_error", "more system memory"), ("unauthorized", "ollama signin")])
def test_auto_refuses_a_model_that_fails_to_answer(standin, tmp_path, no_embedded, fault: str, words: str) -> None:
    from assistant.adapters.llm.factory import build_llm

    standin.fault = fault
    choice = build_llm(settings_for(tmp_path, ollama_host=standin.url))
    assert choice.llm.model == "fake-embedded" and words in choice.note and "could not use it" in choice.note


def test_auto_with_0000_and_a_proxy_still_finds_loopback_ollama(
    standin: OllamaStandin, tmp_path, no_embedded, proxy_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.adapters.llm.factory import build_llm

    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{standin.url.rsplit(':', 1)[1]}")
    choice = build_llm(settings_for(tmp_path))
    assert choice.llm.backend == "ollama" and choice.llm.host == standin.url


def test_config_shows_the_address_actually_used(standin: OllamaStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from assistant.cli import cli

    port = standin.url.rsplit(":", 1)[1]
    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{port}")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    result = CliRunner().invoke(cli, ["config", "--json"])
    assert result.exit_code == 0, result.output
    address = json.loads(result.output)["llm"]["ollama_address"]
    assert address["url"] == f"http://127.0.0.1:{port}" and address["from"].startswith("OLLAMA_HOST=")
    assert address["route"].startswith("direct")


@pytest.mark.slow
def test_ask_json_with_0000_and_a_proxy_reaches_loopback_ollama(
    standin: OllamaStandin, tmp_path, proxy_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's done-when: `assistant ask --json` with OLLAMA_HOST=0.0.0.0:PORT and HTTP_PROXY set."""
    from click.testing import CliRunner

    from assistant.cli import cli

    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{standin.url.rsplit(':', 1)[1]}")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    standin.default_reply = "Models degrade because the data changes over time [1]."
    result = CliRunner().invoke(cli, ["ask", "--json", "Why do models degrade after deployment?"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output[result.output.index("{") :])
    assert answer["backend"] == "ollama" and answer["model"] == MODEL
    assert standin.requests_to("/api/chat") and not any(r.proxied for r in standin.requests)
