"""One contract, two servers: the Ollama STAND-IN always, and a real Ollama when OLLAMA_HOST answers.

Each test states something our adapter relies on and that real Ollama does (docs/api.md,
server/routes.go, runner.go). Against the stand-in it checks the stand-in still copies Ollama;
against a real server it checks Ollama still behaves as the stand-in says. The real run is skipped
with the reason when no server answers at OLLAMA_HOST, or it has no chat model. Choose the model
with OLLAMA_CONTRACT_MODEL (default: the first installed model that can chat).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from assistant.adapters.llm.ollama import OllamaLLM, probe
from assistant.adapters.llm.ollama_http import installed_models, normalize_host, show_model
from assistant.errors import ModelMissingError
from assistant.types import Message, Prompt
from tests.standins.ollama_standin import OllamaStandin

pytestmark = pytest.mark.slow  # every test starts a server: the stand-in, or talks to a real Ollama

STANDIN_MODEL = "llama3.2:3b"
PROMPT = Prompt(messages=[Message("system", "Answer in one short sentence."), Message("user", "What is 2+2?")])


@dataclass
class Server:
    kind: str  # "standin" | "real"
    url: str
    model: str
    context_length: int | None


def _real_server() -> Server:
    value = os.environ.get("OLLAMA_HOST", "")
    if not value.strip():
        pytest.skip("no real Ollama: OLLAMA_HOST is not set (the stand-in run covers the contract)")
    url = normalize_host(value)
    try:
        models = installed_models(url, timeout_s=2.0)
    except (httpx.HTTPError, ValueError) as e:
        pytest.skip(f"no real Ollama: nothing answered GET {url}/api/tags ({type(e).__name__})")
    wanted = os.environ.get("OLLAMA_CONTRACT_MODEL")
    for name in [wanted] if wanted else models:
        info = show_model(url, name, timeout_s=10.0)
        if "completion" in (info["capabilities"] or ["completion"]):
            return Server("real", url, name, info["context_length"])
    pytest.skip(f"the Ollama at {url} has no chat model (installed: {', '.join(models) or 'none'})")


@pytest.fixture(params=["standin", "real"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "real":
        yield _real_server()
        return
    with OllamaStandin(models=[STANDIN_MODEL], context_length=8192) as s:
        yield Server("standin", s.url, STANDIN_MODEL, 8192)


def llm_for(server: Server, num_ctx: int = 2048) -> OllamaLLM:
    return OllamaLLM(server.url, server.model, num_ctx=num_ctx, timeout_s=300.0)


def test_tags_list_the_model(server: Server) -> None:
    ok, reason = probe(server.url, server.model)
    assert ok, reason


def test_show_reports_context_length_and_chat_capability(server: Server) -> None:
    info = show_model(server.url, server.model, timeout_s=10.0)
    assert isinstance(info["context_length"], int) and info["context_length"] > 0
    assert info["capabilities"] is None or "completion" in info["capabilities"]


def test_show_of_an_unknown_model_is_404(server: Server) -> None:
    with pytest.raises(ModelMissingError):
        show_model(server.url, "no-such-model-for-the-contract:0b", timeout_s=10.0)


def test_a_streamed_answer_ends_done_with_the_prompt_count(server: Server) -> None:
    llm = llm_for(server)
    llm.inspect()
    text = llm.complete(PROMPT, max_tokens=24)
    assert text.strip()
    report = llm.last_call
    assert report.prompt_tokens_read and report.prompt_tokens_read > 5
    assert report.prompt_cut is None and report.done_reason in ("stop", "length")


def test_num_predict_bounds_the_answer(server: Server) -> None:
    llm = llm_for(server)
    llm.inspect()
    pieces = list(llm.stream(Prompt(messages=[Message("user", "Count from 1 to 100.")]), max_tokens=4))
    assert 1 <= len(pieces) <= 4 and llm.last_call.done_reason == "length"


def test_an_over_long_prompt_is_cut_with_200_and_we_say_so(server: Server) -> None:
    """Ollama reads at most num_ctx prompt tokens and answers 200 OK; the adapter must notice."""
    llm = llm_for(server, num_ctx=512)
    llm.inspect()
    filler = " ".join(f"item{i}" for i in range(1500))  # well over 512 tokens for any tokenizer
    long = Prompt(messages=[Message("user", f"{filler}\nWhat was the first item?")])
    llm.complete(long, max_tokens=8)
    report = llm.last_call
    assert report.prompt_tokens_read is not None and report.prompt_tokens_read <= 512
    assert report.prompt_cut is not None


def test_a_chat_with_an_unknown_model_is_model_missing(server: Server) -> None:
    with pytest.raises(ModelMissingError, match="ollama pull no-such-model-for-the-contract:0b"):
        OllamaLLM(server.url, "no-such-model-for-the-contract:0b", num_ctx=2048, timeout_s=30.0).complete(
            PROMPT, max_tokens=4
        )
