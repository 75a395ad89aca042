"""Choosing and building the LLM backend from settings. Unknown names fail with the known ones."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError, ConfigError
from assistant.settings import Settings
from assistant.types import Message, Prompt

BACKENDS = ("auto", "ollama", "embedded")


@dataclass(frozen=True)
class BackendChoice:
    llm: LLM
    note: str  # one line for the CLI/UI: which backend answers, and why


def ollama_host(settings: Settings) -> str:
    """ASSISTANT_LLM__OLLAMA_HOST wins; otherwise OLLAMA_HOST (Ollama's own variable); else loopback."""
    return ollama_host_source(settings)[0]


def ollama_host_source(settings: Settings) -> tuple[str, str]:
    """The Ollama host value in effect and the variable it came from (for `assistant config`)."""
    if "ollama_host" in settings.llm.model_fields_set:
        return settings.llm.ollama_host, "ASSISTANT_LLM__OLLAMA_HOST"
    if os.environ.get("OLLAMA_HOST", "").strip():
        return os.environ["OLLAMA_HOST"], "OLLAMA_HOST"
    return settings.llm.ollama_host, "the default"


def build_llm(settings: Settings) -> BackendChoice:
    backend = settings.llm.backend
    if backend not in BACKENDS:
        msg = f"Unknown LLM backend {backend!r}. Known backends: {', '.join(BACKENDS)}"
        raise ConfigError(msg)
    if backend == "ollama":
        llm = _ollama(settings)
        with contextlib.suppress(AssistantError):  # not up yet: the first question says what is wrong
            llm.inspect()
        return BackendChoice(llm, f"Answers by Ollama model {llm.model} at {llm.host}.")
    if backend == "embedded":
        llm = _embedded(settings)
        return BackendChoice(llm, f"Answers by the embedded model {llm.model} (llama.cpp).")
    ollama, reason = choose_ollama(settings)
    if ollama is not None:
        return BackendChoice(ollama, f"Answers by Ollama model {ollama.model} at {ollama.host}.")
    llm = _embedded(settings)
    note = (
        f"Answers by the embedded model {llm.model} (llama.cpp). {reason} For better answers start Ollama "
        f"(`ollama serve`, then `ollama pull {settings.llm.ollama_model}`)."
    )
    return BackendChoice(llm, note)


def choose_ollama(settings: Settings) -> tuple[LLM | None, str]:
    """For `auto`: an inspected Ollama backend that has been seen to chat, or None and why not.

    GET /api/tags must list the model; POST /api/show must not rule out chat (an embedding-only
    model lacks the 'completion' capability); and a one-token chat must succeed, which also catches
    a model that does not fit in memory (HTTP 500) and a cloud model that needs `ollama signin`.
    """
    from assistant.adapters.llm.ollama import probe

    ok, reason = probe(ollama_host(settings), settings.llm.ollama_model, timeout_s=2.0)
    if not ok:
        return None, reason
    llm = _ollama(settings)
    try:
        llm.inspect()
        if llm.capabilities is not None and "completion" not in llm.capabilities:
            caps = ", ".join(llm.capabilities) or "none"
            return None, f"Ollama's model '{llm.model}' cannot chat (its capabilities: {caps}); choose a chat model."
        llm.complete(Prompt(messages=[Message("user", "Say OK.")]), max_tokens=1)
    except AssistantError as e:
        return None, f"Ollama has '{llm.model}' but could not use it: {e}"
    return llm, reason


def _ollama(settings: Settings) -> LLM:
    from assistant.adapters.llm.ollama import OllamaLLM

    s = settings.llm
    return OllamaLLM(
        ollama_host(settings),
        s.ollama_model,
        num_ctx=s.num_ctx,
        timeout_s=s.timeout_s,
        temperature=s.temperature,
        seed=s.seed,
    )


def _embedded(settings: Settings) -> LLM:
    from assistant.adapters.llm.llamacpp import EmbeddedLLM, ensure_default_gguf

    s = settings.llm
    path = s.gguf_path or ensure_default_gguf(settings.models_dir)
    return EmbeddedLLM(
        path, n_ctx=s.num_ctx, threads=s.threads, seed=s.seed, temperature=s.temperature, prompt_style=s.prompt_style
    )
