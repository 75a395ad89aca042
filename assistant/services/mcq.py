"""Solving exam-style multiple-choice questions.

Two signals, combined:
- retrieval evidence: each option is scored by the guide lines that mention it, weighted by how
  similar each line is to the question and how highly its passage was retrieved. This needs no LLM
  and is what makes a 270M base model usable at all;
- the LLM: with a base model, the calibrated log-likelihood of each option as the answer after the
  retrieved passages (log P(option | passages, question) - log P(option | "Answer:")); with a chat
  model on Ollama, a JSON choice constrained by a schema.
Option notes are written from the guide's structure (which section each option belongs to), so they
are right even when the model is tiny.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError
from assistant.prompts import PromptLibrary
from assistant.services.guide_lines import GuideLines
from assistant.services.mcq_parse import MCQ
from assistant.services.retrieve import Retriever
from assistant.types import Passage

# Weight of the (z-scored) model signal against the (z-scored) retrieval evidence. Measured on
# evals/mcq.jsonl with Gemma 270M: evidence alone 0.807, log-likelihood alone 0.605, combined 0.807
# (w=0.25), 0.790 (0.5), 0.731 (1.0). The model breaks near-ties; it does not override the evidence.
LL_WEIGHT = 0.25


@dataclass
class MCQResult:
    choice: list[str]
    option_notes: dict[str, str]
    scores: dict[str, float]
    passages: list[Passage]
    method: str  # "evidence", "evidence+loglik", "json"
    note_passages: dict[str, int] = field(default_factory=dict)  # option -> 1-based passage it cites


class MCQSolver:
    def __init__(
        self,
        retriever: Retriever,
        lines: GuideLines,
        llm: LLM | None,
        prompts: PromptLibrary,
        *,
        k: int = 4,
        use_llm: bool = True,
    ) -> None:
        self.retriever = retriever
        self.lines = lines
        self.llm = llm
        self.prompts = prompts
        self.k = k
        self.use_llm = use_llm

    def solve(self, mcq: MCQ) -> MCQResult:
        passages = self.retriever.search(mcq.stem, k=max(self.k, 6))
        evidence = self._evidence(mcq, passages)
        shown = passages[: self.k]
        if self.llm is not None and self.use_llm and self.llm.style == "chat":
            picked = self._json_choice(mcq, shown)
            if picked is not None:
                choice, notes = picked
                return MCQResult(choice, self._notes(mcq, choice, shown, notes), evidence, shown, "json")
        scores, method = dict(evidence), "evidence"
        ll = self._loglik(mcq, shown) if self.llm is not None and self.use_llm else None
        if ll is not None:
            scores = _combine(evidence, ll)
            method = "evidence+loglik"
        choice = sorted(sorted(scores, key=lambda k: -scores[k])[: mcq.n_answers])
        return MCQResult(choice, self._notes(mcq, choice, shown, {}), scores, shown, method)

    # -- signals --------------------------------------------------------------------------------
    def _evidence(self, mcq: MCQ, passages: Sequence[Passage]) -> dict[str, float]:
        sims = self.lines.similarity(mcq.stem)
        rank = {p.chunk.id: r for r, p in enumerate(passages, start=1)}
        out = {}
        for letter, option in mcq.options.items():
            best = -0.5  # an option the guide never mentions is unlikely to be the key
            for i, share in self.lines.mentions(option, min_overlap=0.6):
                r = rank.get(self.lines.lines[i].chunk_id)
                best = max(best, share * (float(sims[i]) + (0.3 / r if r else 0.0)))
            out[letter] = best
        return out

    def _loglik(self, mcq: MCQ, passages: Sequence[Passage]) -> dict[str, float] | None:
        prompt = self.prompts.render("mcq_score", "base", passages=_fenced(passages), question=mcq.stem).raw or ""
        letters = list(mcq.options)
        conts = [f" {mcq.options[k]}" for k in letters]
        try:
            cond = self.llm.score_options_normalized(prompt, conts)
            base = self.llm.score_options_normalized("Answer:", conts) if cond is not None else None
        except AssistantError:
            return None
        if cond is None or base is None:
            return None
        return {k: float(c - b) for k, c, b in zip(letters, cond, base)}

    def _json_choice(self, mcq: MCQ, passages: Sequence[Passage]) -> tuple[list[str], dict[str, str]] | None:
        letters = list(mcq.options)
        schema = {
            "type": "object",
            "properties": {
                "choice": {
                    "type": "array",
                    "items": {"type": "string", "enum": letters},
                    "minItems": mcq.n_answers,
                    "maxItems": mcq.n_answers,
                },
                "option_notes": {
                    "type": "object",
                    "properties": {k: {"type": "string"} for k in letters},
                    "required": letters,
                },
            },
            "required": ["choice", "option_notes"],
        }
        prompt = self.prompts.render(
            "mcq_choose", "chat", passages=_fenced(passages), question=mcq.render(), n_answers=mcq.n_answers
        )
        for _ in range(2):  # one retry: a model may return broken JSON
            try:
                data = json.loads(self.llm.generate_json(prompt, schema, max_tokens=600))
                choice = sorted({str(c).upper() for c in data["choice"]})
                if len(choice) == mcq.n_answers and set(choice) <= set(letters):
                    return choice, {k: str(v) for k, v in dict(data.get("option_notes", {})).items() if k in letters}
            except (ValueError, KeyError, TypeError):
                continue
            except AssistantError:
                return None
        return None

    # -- notes ----------------------------------------------------------------------------------
    def _notes(
        self, mcq: MCQ, choice: list[str], passages: Sequence[Passage], model_notes: dict[str, str]
    ) -> dict[str, str]:
        sims = self.lines.similarity(mcq.stem)
        notes = {}
        for letter, option in mcq.options.items():
            hits = self.lines.mentions(option, min_overlap=0.6)
            verdict = "Correct" if letter in choice else "Not the best answer"
            if hits:
                i = max(hits, key=lambda h: h[1] * float(sims[h[0]]))[0]
                line = self.lines.lines[i]
                where = f"the guide places it under “{line.leaf}”: “{_short(line.text)}”"
            else:
                where = "the guide does not mention it"
            extra = f" Model: {model_notes[letter]}" if letter in model_notes else ""
            notes[letter] = f"{verdict}: {where}.{extra}"
        return notes


def _combine(evidence: dict[str, float], ll: dict[str, float]) -> dict[str, float]:
    e, m = _z(evidence), _z(ll)
    return {k: e[k] + LL_WEIGHT * m[k] for k in evidence}


def _z(scores: dict[str, float]) -> dict[str, float]:
    v = np.array(list(scores.values()), dtype=float)
    sd = v.std() or 1.0
    return {k: (s - v.mean()) / sd for k, s in scores.items()}


def _short(text: str, n: int = 110) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "…"


def _fenced(passages: Sequence[Passage]) -> str:
    from assistant.services.answer import fence_passages

    return fence_passages(passages)
