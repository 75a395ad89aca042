"""Recognising a pasted exam-style multiple-choice question: a stem, lettered options, and how many to pick."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPTION_LINE = re.compile(r"^\s*(?:\(([A-Ea-e])\)|([A-Ea-e])[.):]|([A-E])\s+-)\s+(.+?)\s*$")
_INLINE = re.compile(r"(?:^|\s)\(?([A-E])[.)]\s+")
_COUNT = re.compile(r"\b(?:choose|select|pick)\s+(two|three|2|3)\b", re.IGNORECASE)
_WORDS = {"two": 2, "three": 3, "2": 2, "3": 3}


@dataclass(frozen=True)
class MCQ:
    stem: str
    options: dict[str, str]
    n_answers: int

    def render(self) -> str:
        return self.stem + "\n" + "\n".join(f"{k}. {v}" for k, v in self.options.items())


def parse_mcq(text: str) -> MCQ | None:
    """The question with its options, or None when the text is not a multiple-choice question."""
    found = _by_lines(text) or _inline(text)
    if not found:
        return None
    stem, options = found
    letters = list(options)
    if len(options) < 3 or letters != [chr(ord("A") + i) for i in range(len(letters))] or not stem:
        return None
    m = _COUNT.search(stem)
    n = _WORDS[m.group(1).lower()] if m else 1
    return MCQ(stem=stem, options=options, n_answers=min(n, len(options) - 1))


def _by_lines(text: str) -> tuple[str, dict[str, str]] | None:
    stem_lines: list[str] = []
    options: dict[str, str] = {}
    for line in text.strip().splitlines():
        m = _OPTION_LINE.match(line)
        if m and (options or stem_lines):
            letter = (m.group(1) or m.group(2) or m.group(3)).upper()
            options[letter] = m.group(4).strip()
        elif options and line.strip():
            last = next(reversed(options))
            options[last] = f"{options[last]} {line.strip()}"  # an option that wraps onto a second line
        elif line.strip():
            stem_lines.append(line.strip())
    return (" ".join(stem_lines), options) if options else None


def _inline(text: str) -> tuple[str, dict[str, str]] | None:
    """'Which service…? A) S3 B) Glue C) Clarify D) Lambda' on one line."""
    flat = " ".join(text.split())
    marks = list(_INLINE.finditer(flat))
    if len(marks) < 3 or marks[0].group(1) != "A":
        return None
    stem = flat[: marks[0].start()].strip()
    options = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(flat)
        options[m.group(1)] = flat[m.end() : end].strip()
    return stem, options
