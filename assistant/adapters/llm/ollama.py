"""The `ollama` backend: instruction-tuned chat models served by `ollama serve`.

Generation goes through langchain-ollama's `ChatOllama` (POST /api/chat). At start `inspect()` asks
POST /api/show for the model's trained context length and capabilities: the prompt budget
(`context_window`) never exceeds what Ollama will really use, and thinking models get room to think.
After each answer `prompt_eval_count` is compared with what was sent: Ollama cuts an over-long
prompt silently (200 OK; runner.go NewSequence keeps the first num_keep tokens and the tail), and a
cut is reported in `last_call.prompt_cut` and the log. API reference: https://docs.ollama.com/api
(docs/api.md in ollama/ollama). Every failure becomes an `AssistantError` whose text names the fix.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from ollama import ResponseError

from assistant.adapters.llm.base import LLM, CallReport
from assistant.adapters.llm.ollama_http import (
    canonical_name,
    client_options,
    installed_models,
    missing,
    normalize_host,
    show_model,
    unreachable,
)
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

log = logging.getLogger(__name__)

# Ollama has no public tokenize endpoint, so token counts are estimated. English BPE text runs
# about 4 characters a token; dividing by 3.5 over-counts a little, which keeps prompts in budget.
# Each uncut answer's prompt_eval_count lowers the ratio if this model's tokenizer needs more tokens.
CHARS_PER_TOKEN = 3.5
# More characters per token than this means the server did not read the whole prompt: no BPE
# tokenizer packs English that densely (about 4), and the chat template only adds tokens.
MAX_CHARS_PER_TOKEN = 6.0
# Room added to num_predict for a thinking model's reasoning, which Ollama counts against it; the
# answer itself is still held to the caller's max_tokens here.
THINKING_BUDGET = 1024
# Current Ollama: "model 'x' not found" (404). Older releases, and a model lost between lookup
# and load: 'model "x" not found, try pulling it first'.
_MODEL_NOT_FOUND = re.compile(r"""model\s+['"]?.*?['"]?\s+not found""", re.IGNORECASE)
_CLIENT_ERRORS = (httpx.HTTPError, ConnectionError, ResponseError, json.JSONDecodeError)


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
        self.num_ctx = num_ctx
        self.context_window = num_ctx  # lowered by inspect() to the model's trained length
        self.timeout_s = timeout_s
        self.temperature = temperature
        self.seed = seed
        self.capabilities: list[str] | None = None
        self.trained_context: int | None = None
        self.think: bool | str = False  # the `think` value sent; a level for models that cannot stop
        self.thinks = False
        self.chars_per_token = CHARS_PER_TOKEN
        self.last_call: CallReport | None = None
        self._inspected = False
        self._chat = chat_model

    # -- start -----------------------------------------------------------------------------------
    def inspect(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """POST /api/show: cap the context window at the model's trained length (Ollama would cap
        num_ctx there anyway, and budget against a window it never uses) and learn whether it thinks.
        Raises the same errors as show()."""
        info = show_model(self.host, self.model, timeout_s)
        self.trained_context = info["context_length"]
        self.context_window = min(self.num_ctx, self.trained_context or self.num_ctx)
        self.capabilities = info["capabilities"]
        self.thinks = "thinking" in (self.capabilities or [])
        self.think = _think_value(info["thinking_levels"], info.get("family"))
        self._inspected = True
        return info

    def _ensure_inspected(self) -> None:
        if self._inspected:
            return
        try:
            self.inspect(timeout_s=min(self.timeout_s, 5.0))
        except AssistantError as e:  # the generation request that follows reports it properly
            log.debug("POST /api/show failed before generating: %s", e)

    # -- generation ------------------------------------------------------------------------------
    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        messages = _to_messages(prompt)
        self._ensure_inspected()
        text = prompt.text()
        report = self.last_call = CallReport(prompt_tokens_estimated=self.count_tokens(text))
        options = self._options(max_tokens, stop, temperature)
        started = finished = False
        pieces, thinking = 0, []
        try:
            for chunk in self._chat_model().stream(messages, options=options, reasoning=self.think):
                thought = chunk.additional_kwargs.get("reasoning_content")
                if thought:
                    thinking.append(thought)
                meta = chunk.response_metadata
                if meta.get("done"):
                    finished = True
                    report.done_reason = meta.get("done_reason")
                    self._check_prompt(report, meta.get("prompt_eval_count"), len(text))
                if chunk.text:
                    started = True
                    pieces += 1
                    yield chunk.text
                    if pieces >= max_tokens and options["num_predict"] > max_tokens:
                        finished, report.done_reason = True, "length"  # thinking room is not answer room
                        break
        except _CLIENT_ERRORS as e:
            raise self._error(e, started=started) from e
        report.thinking = "".join(thinking)
        if not finished:
            raise GenerationError(_cut_off("the stream ended before Ollama said it was done"))
        if not started and (report.thinking or self.thinks):
            raise GenerationError(_thought_only(self.model, report.thinking))

    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        messages = _to_messages(prompt)
        self._ensure_inspected()
        text = prompt.text()
        report = self.last_call = CallReport(prompt_tokens_estimated=self.count_tokens(text))
        options = self._options(max_tokens, (), None)
        try:
            reply = self._chat_model().invoke(
                messages, options=options, format=schema, stream=False, reasoning=self.think
            )
        except _CLIENT_ERRORS as e:
            raise self._error(e, started=False) from e
        meta = reply.response_metadata
        report.done_reason = meta.get("done_reason")
        report.thinking = str(reply.additional_kwargs.get("reasoning_content") or "")
        self._check_prompt(report, meta.get("prompt_eval_count"), len(text))
        if not reply.text.strip() and (report.thinking or self.thinks):
            raise GenerationError(_thought_only(self.model, report.thinking))
        return reply.text

    def count_tokens(self, text: str) -> int:
        """An estimate (Ollama cannot tokenize for us): characters / 3.5, or fewer characters per
        token once an answer showed this model needs more tokens. Rounded up."""
        return math.ceil(len(text) / self.chars_per_token)

    def _check_prompt(self, report: CallReport, read: Any, chars: int) -> None:
        """Compare prompt_eval_count with the prompt sent. Ollama's runner cuts a prompt longer than
        the context to exactly num_ctx tokens (older builds: about half); either way the count is
        then at the window's end or implausibly small for the characters sent."""
        if not isinstance(read, int) or read <= 0:
            return
        report.prompt_tokens_read = read
        window = self.context_window
        if read >= window - 1 or chars / read > MAX_CHARS_PER_TOKEN:
            report.prompt_cut = (
                f"Ollama cut the prompt: it read {read} tokens of about {report.prompt_tokens_estimated} sent "
                f"(context window {window}), so passages may have been lost. Fewer passages are sent from now "
                f"on; to keep them all, raise ASSISTANT_LLM__NUM_CTX (the model '{self.model}' allows "
                f"{self.trained_context or 'an unknown number of'} tokens)."
            )
            log.warning("%s", report.prompt_cut)
            # Budget as if this prompt had overflowed the window, so the next one is trimmed to fit.
            self.chars_per_token = min(self.chars_per_token, chars / (window + 1))
        else:
            self.chars_per_token = min(self.chars_per_token, max(1.0, chars / read))

    def _options(self, max_tokens: int, stop: Sequence[str], temperature: float | None) -> dict[str, Any]:
        # Passed whole on every call: ChatOllama then sends exactly these and ignores its own fields,
        # so per-call num_predict, stop and temperature cannot be lost.
        options: dict[str, Any] = {
            "num_ctx": self.context_window,
            "num_predict": max_tokens + (THINKING_BUDGET if self.thinks else 0),
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
                # `think: false` by default: a thinking model would otherwise spend num_predict on
                # hidden reasoning. Models that cannot think accept it; per call, inspect() may
                # replace it by the lowest level of a model that always thinks (gpt-oss).
                reasoning=False,
                client_kwargs={"timeout": self.timeout_s, **client_options(self.host)},
            )
        return self._chat

    def _error(self, e: Exception, *, started: bool) -> AssistantError:
        """Translate a client exception. The ollama client raises httpx.ConnectError when a
        stream cannot connect, but the builtin ConnectionError on the non-streaming path."""
        if isinstance(e, httpx.TimeoutException):
            return BackendTimeoutError(_timed_out(self.host, self.timeout_s, started))
        if isinstance(e, httpx.ConnectError | ConnectionError) and not started:
            return BackendUnavailableError(unreachable(self.host))
        if isinstance(e, ResponseError):
            return response_error(e.status_code, str(e.error), self.host, self.model)
        if started:  # a dropped connection or a torn NDJSON line after some tokens
            return GenerationError(_cut_off("the connection to Ollama dropped"))
        return GenerationError(
            f"Ollama at {self.host} closed the connection without answering ({e}). "
            "The model may have crashed or run out of memory: check the `ollama serve` log, then retry."
        )


def response_error(status: int, text: str, host: str, model: str) -> AssistantError:
    """An Ollama error status (or a mid-stream {"error"} line, status -1) as a specific error."""
    if status == 404 or (status != -1 and _MODEL_NOT_FOUND.search(text)):
        return ModelMissingError(missing(model))
    if status == -1:  # an {"error": ...} line after the stream began (HTTP status stays 200)
        return GenerationError(_cut_off(f"Ollama reported: {text}"))
    if status == 400 and "does not support" in text:  # routes.go: `"%q does not support chat"`
        return ConfigError(
            f"Ollama's model '{model}' cannot chat ({text}); it is probably an embedding model. "
            "Set ASSISTANT_LLM__OLLAMA_MODEL to a chat model, e.g. llama3.2:3b (`ollama show <model>` lists "
            "its capabilities: 'completion' is needed)."
        )
    if status in (401, 403):
        return BackendUnavailableError(
            f"Ollama refused '{model}' (HTTP {status}: {text}). A cloud model needs `ollama signin`; "
            "or choose a local model with ASSISTANT_LLM__OLLAMA_MODEL."
        )
    if status in (429, 503):
        return BackendUnavailableError(f"Ollama at {host} is busy ({text}). Wait a moment and retry.")
    if status >= 500:
        return GenerationError(
            f"Ollama could not run '{model}' (HTTP {status}: {text}). If the model does not fit in memory, "
            "choose a smaller one (ASSISTANT_LLM__OLLAMA_MODEL) or lower ASSISTANT_LLM__NUM_CTX; "
            "the `ollama serve` log says more."
        )
    return GenerationError(
        f"Ollama could not answer with '{model}' (HTTP {status}: {text}). Check the `ollama serve` log."
    )


def probe(host: str, model: str, timeout_s: float = 2.0) -> tuple[bool, str]:
    """Whether Ollama answers at `host` and has `model` (GET /api/tags), with a sentence saying so.

    Names compare as Ollama's: "llama3.2" is "llama3.2:latest", and a fully qualified name
    ("registry.ollama.ai/library/llama3.2:3b") is the short one.
    """
    try:
        base = normalize_host(host)
    except ConfigError as e:
        return False, str(e)
    try:
        installed = installed_models(base, timeout_s)
    except httpx.TimeoutException:
        return False, f"Ollama at {base} did not answer within {timeout_s:g} s."
    except httpx.HTTPStatusError as e:
        return False, f"{base} answered GET /api/tags with HTTP {e.response.status_code}; is it Ollama?"
    except httpx.HTTPError:
        return False, f"Ollama is not reachable at {base}. Start it with `ollama serve`."
    except ValueError:
        return False, f"{base} answered GET /api/tags without a model list; is it Ollama?"
    if canonical_name(model) in {canonical_name(name) for name in installed}:
        return True, f"Ollama at {base} is running and has '{model}'."
    have = f" It has: {', '.join(installed[:6])}." if installed else " It has no models yet."
    return False, f"Ollama at {base} is running but has no model '{model}'.{have} Run: ollama pull {model}"


def show(host: str, model: str, timeout_s: float = 5.0) -> dict[str, Any]:
    """Facts about an installed model (POST /api/show); see ollama_http.show_model."""
    return show_model(normalize_host(host), model, timeout_s)


def _think_value(levels: list[Any] | None, family: str | None) -> bool | str:
    """`think: false` unless the model cannot stop thinking: /api/show lists its levels without
    false (docs/capabilities/thinking.mdx), or it is gpt-oss, which ignores false. Then the lowest
    level, so its reasoning is short and arrives in `thinking`, apart from the answer."""
    if levels and False not in levels:
        named = [v for v in levels if isinstance(v, str)]
        return named[0] if named else True
    if levels is None and family == "gptoss":
        return "low"
    return False


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


def _thought_only(model: str, thinking: str) -> str:
    spent = f"after {len(thinking)} characters of reasoning " if thinking else ""
    return (
        f"Ollama's model '{model}' thought {spent}but wrote no answer: its reasoning used up the token limit. "
        "Use a model that answers without long reasoning (e.g. ASSISTANT_LLM__OLLAMA_MODEL=llama3.2:3b), "
        "or retry the question."
    )


def _timed_out(host: str, timeout_s: float, started: bool) -> str:
    where = "stopped answering" if started else "did not answer"
    tail = " The answer so far is cut off." if started else ""
    return (
        f"Ollama at {host} {where} within {timeout_s:g} s.{tail} A first load of a big model is slow: "
        "raise ASSISTANT_LLM__TIMEOUT_S, or choose a smaller model."
    )


def _cut_off(why: str) -> str:
    return f"The answer was cut off: {why}. Retry the question."


__all__ = ["OllamaLLM", "normalize_host", "probe", "response_error", "show"]
