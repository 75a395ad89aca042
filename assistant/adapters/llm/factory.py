"""Choosing and building the LLM backend from settings. Unknown names fail with the known ones."""

from __future__ import annotations

import os
from dataclasses import dataclass

from assistant.adapters.llm.base import LLM
from assistant.errors import ConfigError
from assistant.settings import Settings

BACKENDS = ("auto", "ollama", "embedded")


@dataclass(frozen=True)
class BackendChoice:
    llm: LLM
    note: str  # one line for the CLI/UI: which backend answers, and why


def ollama_host(settings: Settings) -> str:
    """ASSISTANT_LLM__OLLAMA_HOST wins; otherwise OLLAMA_HOST (Ollama's own variable); else loopback."""
    configured = "ollama_host" in settings.llm.model_fields_set
    return settings.llm.ollama_host if configured else os.environ.get("OLLAMA_HOST") or settings.llm.ollama_host


def build_llm(settings: Settings) -> BackendChoice:
    backend = settings.llm.backend
    if backend not in BACKENDS:
        msg = f"Unknown LLM backend {backend!r}. Known backends: {', '.join(BACKENDS)}"
        raise ConfigError(msg)
    if backend == "ollama":
        llm = _ollama(settings)
        return BackendChoice(llm, f"Answers by Ollama model {llm.model} at {llm.host}.")
    if backend == "embedded":
        llm = _embedded(settings)
        return BackendChoice(llm, f"Answers by the embedded model {llm.model} (llama.cpp).")
    from assistant.adapters.llm.ollama import probe

    host = ollama_host(settings)
    ok, reason = probe(host, settings.llm.ollama_model, timeout_s=2.0)
    if ok:
        llm = _ollama(settings)
        return BackendChoice(llm, f"Answers by Ollama model {llm.model} at {llm.host}.")
    llm = _embedded(settings)
    note = (
        f"Answers by the embedded model {llm.model} (llama.cpp). {reason} For better answers start Ollama "
        f"(`ollama serve`, then `ollama pull {settings.llm.ollama_model}`)."
    )
    return BackendChoice(llm, note)


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
