"""Item-writing-flaw checks: the rule-detectable part of the standard item-writing rubric.

Each check takes an `ItemView` (built from an ExamItem or a raw item dict, so the new item types
load here even before the pydantic model knows them) and returns None (pass) or a reason code that
`FLAW_CHECKS` describes for people.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.services.text import answer_letters, tokens

VERBATIM_RUN = 7  # words in a row from one corpus line make a stem "pasted from the guide"


@dataclass(frozen=True)
class ItemView:
    """What the flaw checks read from an item, whatever its type: stem, options, keys, premises."""

    type: str
    question: str
    options: dict[str, str]
    keys: list[str]
    scenario: str = ""
    premises: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, item: Any) -> ItemView:
        """From an ExamItem (attributes) or a raw item dict; missing fields read as empty."""

        def get(name: str, default: Any) -> Any:
            if isinstance(item, Mapping):
                return item.get(name, default)
            return getattr(item, name, default)

        options = get("options", {}) or {}
        if isinstance(options, Sequence) and not isinstance(options, str):
            options = dict(zip("ABCDEFGH", options, strict=False))
        case = get("case", None) or {}
        scenario = case.get("scenario", "") if isinstance(case, Mapping) else getattr(case, "scenario", "")
        return cls(
            type=str(get("type", "") or "single"),
            question=str(get("question", "") or ""),
            options={str(k).strip().upper(): str(v) for k, v in options.items()},
            keys=answer_letters(get("answer", "") or ""),
            scenario=str(scenario or ""),
            premises=[str(p) for p in get("premises", []) or []],
        )

    @property
    def stem(self) -> str:
        """The case scenario (if any) and the question: everything the learner reads before the options."""
        return f"{self.scenario} {self.question}".strip()

    @property
    def distractors(self) -> list[str]:
        """Letters of wrong options; none for ordering and matching items (every option is used)."""
        if self.type in {"ordering", "matching"}:
            return []
        return [k for k in self.options if k not in self.keys]


# ---------------------------------------------------------------------------------------- verbatim copy


class CorpusShingles:
    """Hashes of every run of `n` consecutive words inside one corpus line (case and punctuation
    ignored). Build once per corpus and reuse: `copied_run` then costs one set lookup per stem word."""

    def __init__(self, lines: Iterable[str], n: int = VERBATIM_RUN) -> None:
        self.n = n
        self._hashes: set[int] = set()
        for line in lines:
            words = tokens(line)
            self._hashes.update(hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1))

    def __len__(self) -> int:
        return len(self._hashes)

    def copied_run(self, text: str) -> str | None:
        """The first run of `n` words of `text` that stands in one corpus line, or None."""
        words = tokens(text)
        for i in range(len(words) - self.n + 1):
            if hash(tuple(words[i : i + self.n])) in self._hashes:
                return " ".join(words[i : i + self.n])
        return None

    @classmethod
    def of(cls, corpus: CorpusShingles | Iterable[str]) -> CorpusShingles:
        """The object itself, or the (cached) shingles of a list of lines."""
        if isinstance(corpus, CorpusShingles):
            return corpus
        return _shingles(tuple(corpus))


@functools.lru_cache(maxsize=4)
def _shingles(lines: tuple[str, ...]) -> CorpusShingles:
    # str hashes are cached by CPython, so hashing the tuple key is cheap even for a whole corpus.
    return CorpusShingles(lines)


def no_verbatim_corpus(item: ItemView, corpus: CorpusShingles) -> str | None:
    """The stem (and a case scenario, and matching premises) never copies >= 7 words of one corpus line."""
    texts = [item.stem, *item.premises]
    return "verbatim_corpus" if any(corpus.copied_run(t) for t in texts) else None
