"""The one small interface every LLM backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assistant.types import Prompt


@dataclass
class CallReport:
    """What the server said about the last generation, for the answer, its JSON and the UI.

    `prompt_cut` is None when the whole prompt was read; otherwise one sentence saying that the
    server cut it (so the passages at its front may have been lost) and what to do.
    """

    prompt_tokens_estimated: int = 0
    prompt_tokens_read: int | None = None  # the server's own count (Ollama: prompt_eval_count)
    prompt_cut: str | None = None
    thinking: str = ""  # a thinking model's reasoning, kept apart from the answer
    done_reason: str | None = None


class LLM(ABC):
    """A text generator. Backends: `ollama` (chat models over HTTP) and `embedded` (llama.cpp).

    `style` says which prompt variant suits the model: "chat" for instruction-tuned chat models,
    "base" for small base models that need completion-style few-shot prompts.
    """

    backend: str
    model: str
    style: Literal["chat", "base"]
    context_window: int
    last_call: CallReport | None = None  # set by backends that can tell (Ollama); None otherwise

    @abstractmethod
    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        """Yield the continuation piece by piece. Raises AssistantError subclasses on failure."""

    def complete(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> str:
        return "".join(self.stream(prompt, max_tokens=max_tokens, stop=stop, temperature=temperature))

    @abstractmethod
    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        """Return text constrained to the JSON schema (Ollama `format`, llama.cpp grammar).
        The caller parses and validates it: a model may still return broken JSON."""

    def score_options(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        """Log-likelihood of each continuation after `prompt` (summed over its tokens), or None
        when the backend cannot score. Used to pick multiple-choice answers with base models."""
        return None

    def score_options_normalized(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        """Mean log-probability per token of each continuation (length-fair), or None."""
        return None

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this model (an estimate is fine where no tokenizer is at hand)."""

    def describe(self) -> str:
        return f"{self.backend}:{self.model}"
