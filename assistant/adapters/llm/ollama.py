"""The `ollama` backend: instruction-tuned chat models served by `ollama serve`.

Generation goes through langchain-ollama's `ChatOllama` (POST /api/chat); `probe()` and `show()` use
plain httpx on GET /api/tags and POST /api/show. API reference: https://docs.ollama.com/api
(docs/api.md in ollama/ollama). Every failure becomes an `AssistantError` whose text names the fix.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
from ollama import ResponseError

from assistant.adapters.llm.base import LLM
from assistant.errors import (
    AssistantError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    GenerationError,
    InputError,
    ModelMissingError,
)
from assistant.types import Prompt

DEFAULT_PORT = 11434
# Ollama has no public tokenize endpoint, so token counts are estimated. English BPE text runs
# about 4 characters a token; dividing by 3.5 over-counts a little, which keeps prompts in budget.
CHARS_PER_TOKEN = 3.5
# Current Ollama: "model 'x' not found" (404). Older releases, and a model lost between lookup
# and load: 'model "x" not found, try pulling it first'.
_MODEL_NOT_FOUND = re.compile(r"""model\s+['"]?.*?['"]?\s+not found""", re.IGNORECASE)


class OllamaLLM(LLM):
    """A chat model served by Ollama. `chat_model=` takes a ready `ChatOllama` (tests, custom clients)."""

    backend = "ollama"
    style = "chat"

    def __init__(
        self,
        host: str,
        model: str,
        *,
        num_ctx: int,
        timeout_s: float,
        temperature: float = 0.0,
        seed: int = 0,
        chat_model: Any = None,
    ) -> None:
        self.host = normalize_host(host)
        self.model = model
        self.context_window = num_ctx
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.seed = seed
        self._chat = chat_model

    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        messages = _to_messages(prompt)
        options = self._options(max_tokens, stop, temperature)
        started = finished = False
        try:
            for chunk in self._chat_model().stream(messages, options=options):
                # Only Ollama's last line has "done": true; a stream that ends without it was cut.
                finished = finished or bool(chunk.response_metadata.get("done"))
                if chunk.text:
                    started = True
                    yield chunk.text
        except (httpx.HTTPError, ConnectionError, ResponseError, json.JSONDecodeError) as e:
            raise self._error(e, started=started) from e
        if not finished:
            raise GenerationError(_cut_off("the stream ended before Ollama said it was done"))

    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        messages = _to_messages(prompt)
        options = self._options(max_tokens, (), None)
        try:
            reply = self._chat_model().invoke(messages, options=options, format=schema, stream=False)
        except (httpx.HTTPError, ConnectionError, ResponseError, json.JSONDecodeError) as e:
            raise self._error(e, started=False) from e
        return reply.text

    def count_tokens(self, text: str) -> int:
        """An estimate (Ollama cannot tokenize for us): characters / 3.5, rounded up."""
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def _options(self, max_tokens: int, stop: Sequence[str], temperature: float | None) -> dict[str, Any]:
        # Passed whole on every call: ChatOllama then sends exactly these and ignores its own fields,
        # so per-call num_predict, stop and temperature cannot be lost.
        options: dict[str, Any] = {
            "num_ctx": self.context_window,
            "num_predict": max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
            "seed": self.seed,
        }
        if stop:
            options["stop"] = list(stop)
        return options

    def _chat_model(self) -> Any:
        if self._chat is None:
            from langchain_ollama import ChatOllama  # ~1.5 s import: only once an answer is wanted

            self._chat = ChatOllama(
                model=self.model,
                base_url=self.host,
                num_ctx=self.context_window,
                temperature=self.temperature,
                seed=self.seed,
                # `think: false`: a thinking model would otherwise spend num_predict on hidden
                # reasoning and may return empty content. Models that cannot think accept it.
                reasoning=False,
                client_kwargs={"timeout": self.timeout_s},
            )
        return self._chat

    def _error(self, e: Exception, *, started: bool) -> AssistantError:
        """Translate a client exception. The ollama client raises httpx.ConnectError when a
        stream cannot connect, but the builtin ConnectionError on the non-streaming path."""
        if isinstance(e, httpx.TimeoutException):
            return BackendTimeoutError(_timed_out(self.host, self.timeout_s, started))
        if isinstance(e, httpx.ConnectError | ConnectionError) and not started:
            return BackendUnavailableError(_unreachable(self.host))
        if isinstance(e, ResponseError):
            return _response_error(e, self.host, self.model)
        if started:  # a dropped connection or a torn NDJSON line after some tokens
            return GenerationError(_cut_off("the connection to Ollama dropped"))
        return GenerationError(
            f"Ollama at {self.host} closed the connection without answering ({e}). "
            "The model may have crashed or run out of memory: check the `ollama serve` log, then retry."
        )


def _response_error(e: ResponseError, host: str, model: str) -> AssistantError:
    status, text = e.status_code, str(e.error)
    if status == 404 or (status != -1 and _MODEL_NOT_FOUND.search(text)):
        return ModelMissingError(_missing(model))
    if status == -1:  # an {"error": ...} line after the stream began (HTTP status stays 200)
        return GenerationError(_cut_off(f"Ollama reported: {text}"))
    if status in (429, 503):
        return BackendUnavailableError(f"Ollama at {host} is busy ({text}). Wait a moment and retry.")
    return GenerationError(
        f"Ollama could not answer with '{model}' (HTTP {status}: {text}). Check the `ollama serve` log."
    )


def probe(host: str, model: str, timeout_s: float = 2.0) -> tuple[bool, str]:
    """Whether Ollama answers at `host` and has `model` (GET /api/tags), with a sentence saying so.

    A tag-less name means ':latest', as in Ollama: "llama3.2" matches "llama3.2:latest".
    """
    try:
        base = normalize_host(host)
    except ConfigError as e:
        return False, str(e)
    try:
        response = httpx.get(f"{base}/api/tags", timeout=timeout_s)
        response.raise_for_status()
        installed = _installed(response.json())
    except httpx.TimeoutException:
        return False, f"Ollama at {base} did not answer within {timeout_s:g} s."
    except httpx.HTTPStatusError as e:
        return False, f"{base} answered GET /api/tags with HTTP {e.response.status_code}; is it Ollama?"
    except httpx.HTTPError:
        return False, f"Ollama is not reachable at {base}. Start it with `ollama serve`."
    except ValueError:
        return False, f"{base} answered GET /api/tags without a model list; is it Ollama?"
    if _canonical(model) in {_canonical(name) for name in installed}:
        return True, f"Ollama at {base} is running and has '{model}'."
    have = f" It has: {', '.join(installed[:6])}." if installed else " It has no models yet."
    return False, f"Ollama at {base} is running but has no model '{model}'.{have} Run: ollama pull {model}"


def show(host: str, model: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """Facts about an installed model (POST /api/show): context_length (None when not reported),
    family, parameter_size, quantization_level, capabilities. Use it to warn when num_ctx is
    larger than the model's trained context."""
    base = normalize_host(host)
    try:
        response = httpx.post(f"{base}/api/show", json={"model": model}, timeout=timeout_s)
    except httpx.TimeoutException as e:
        raise BackendTimeoutError(f"Ollama at {base} did not answer POST /api/show within {timeout_s:g} s.") from e
    except httpx.HTTPError as e:
        raise BackendUnavailableError(_unreachable(base)) from e
    if response.status_code == 404:
        raise ModelMissingError(_missing(model))
    try:
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPStatusError, ValueError) as e:
        msg = f"Ollama at {base} answered POST /api/show with HTTP {response.status_code}: {response.text[:200]}"
        raise BackendUnavailableError(msg) from e
    details = data.get("details") or {}
    return {
        "context_length": _context_length(data.get("model_info") or {}),
        "family": details.get("family"),
        "parameter_size": details.get("parameter_size"),
        "quantization_level": details.get("quantization_level"),
        "capabilities": list(data.get("capabilities") or []),
    }


def normalize_host(host: str) -> str:
    """A base URL from a setting or OLLAMA_HOST: '127.0.0.1:11434' and 'localhost' get 'http://',
    and a scheme-less host without a port gets Ollama's port 11434 (as the ollama client does)."""
    url = host.strip()
    try:
        if "://" not in url:
            parts = urlsplit(f"http://{url}")
            url = f"http://{parts.netloc if parts.port else f'{parts.netloc}:{DEFAULT_PORT}'}{parts.path}"
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        msg = f"'{host}' is not an Ollama URL. Set ASSISTANT_LLM__OLLAMA_HOST to e.g. http://127.0.0.1:11434"
        raise ConfigError(msg)
    return url.rstrip("/")


def _to_messages(prompt: Prompt) -> list[Any]:
    from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage

    if prompt.raw is not None:
        return [HumanMessage(prompt.raw)]  # a completion-style prompt goes in as one user turn
    if not prompt.messages:
        raise InputError("The prompt is empty: there is nothing to send to Ollama.")
    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [
        kinds[m.role](m.content) if m.role in kinds else ChatMessage(role=m.role, content=m.content)
        for m in prompt.messages
    ]


def _installed(data: Any) -> list[str]:
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise ValueError("no 'models' list")
    names = {str(m[key]) for m in models if isinstance(m, dict) for key in ("name", "model") if m.get(key)}
    return sorted(names)


def _canonical(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return (name if ":" in base else f"{name}:latest").lower()


def _context_length(info: dict[str, Any]) -> int | None:
    arch = info.get("general.architecture")
    value = info.get(f"{arch}.context_length") if arch else None
    if value is None:
        value = next((v for k, v in info.items() if k.endswith(".context_length")), None)
    return int(value) if isinstance(value, int | float) else None


def _unreachable(host: str) -> str:
    return f"Ollama is not reachable at {host}. Start it with `ollama serve` (or set ASSISTANT_LLM__BACKEND=embedded)."


def _missing(model: str) -> str:
    return f"Ollama has no model '{model}'. Run: ollama pull {model}"


def _timed_out(host: str, timeout_s: float, started: bool) -> str:
    where = "stopped answering" if started else "did not answer"
    tail = " The answer so far is cut off." if started else ""
    return (
        f"Ollama at {host} {where} within {timeout_s:g} s.{tail} A first load of a big model is slow: "
        "raise ASSISTANT_LLM__TIMEOUT_S, or choose a smaller model."
    )


def _cut_off(why: str) -> str:
    return f"The answer was cut off: {why}. Retry the question."
