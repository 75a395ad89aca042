"""A fake LLM, registered through the real interface (assistant.adapters.llm.base.LLM).

It is a fake: it replays scripted text and never stands in for a measurement of any model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant.adapters.llm.base import LLM
from assistant.types import Prompt


class FakeLLM(LLM):
    backend = "fake"

    def __init__(
        self,
        *,
        style: str = "base",
        model: str = "fake-model",
        context_window: int = 4096,
        scorer: Callable[[str, str], float] | None = None,
        responder: Callable[[str], str] | None = None,
    ) -> None:
        self.style = style  # type: ignore[assignment]
        self.model = model
        self.context_window = context_window
        self.replies: deque[str] = deque()
        self.json_replies: deque[str] = deque()
        self.prompts: list[Prompt] = []
        self.scorer = scorer
        self.responder = responder  # computes a reply from the prompt text when the queue is empty

    def enqueue(self, *texts: str) -> FakeLLM:
        self.replies.extend(texts)
        return self

    def enqueue_json(self, *texts: str) -> FakeLLM:
        self.json_replies.extend(texts)
        return self

    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        text = self.replies.popleft() if self.replies else (self.responder(prompt.text()) if self.responder else "")
        for s in stop:
            if s and s in text:
                text = text[: text.index(s)]
        for i in range(0, len(text), 7):  # arrive in pieces, like a real stream
            yield text[i : i + 7]

    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        self.prompts.append(prompt)
        if self.json_replies:
            return self.json_replies.popleft()
        return self.responder(prompt.text()) if self.responder else "{}"

    def score_options_normalized(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        return self.score_options(prompt, continuations)

    def score_options(self, prompt: str, continuations: Sequence[str]) -> list[float] | None:
        if self.scorer is None:
            return None
        return [self.scorer(prompt, c) for c in continuations]

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)
