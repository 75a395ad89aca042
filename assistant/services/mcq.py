"""Solving exam-style multiple-choice questions with the knowledge layer.

Each option is linked to the entities it names and scored by how well the documents' statements about
it (guide lines, the team glossary's "what it is" and "use when" cues, the guide's mappings and
sequences) match the question: `assistant.knowledge.options`. Option notes quote the statement that
decided each option and say whether it comes from the guide or the team glossary.

The embedded 270M base model's calibrated option log-likelihood (log P(option | passages, question) -
log P(option | "Answer:")) can be added to the evidence, z-scored, with weight LL_WEIGHT. With the
knowledge layer of issue 10 it no longer helps on evals/dev (one LL pass over 169 items, weights
0 / 0.1 / 0.25 / 0.4 / 0.6 / 1.0: 0.923 / 0.899 / 0.905 / 0.899 / 0.893 / 0.769, at about 3 s per
question), so LL_WEIGHT is 0 and the model is not asked. With a chat model (Ollama) the model picks
from the same evidence as JSON constrained by a schema; its free-text notes are not shown.
For "(Select TWO.)" the options are chosen as a set (`best_pair`): their scores plus how well the pair
answers different needs of the stem, one option each (COVERAGE), or, when the stem states one need, how
much the pair stands under the same headings of the documents (pairs.COHERENCE). What the asking sentence
wants of the options (`assistant.knowledge.pairs`) corrects the scores first: the named side of a
contrast ("rather than"), the side of a step ("which TWO ... before X"), and for "which should be
eliminated?" / NOT / EXCEPT the options that fit least (the scores are turned round, so the shown scores
still rank the answer first).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations

import jsonschema
import numpy as np

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError
from assistant.knowledge import pairs
from assistant.knowledge.model import Statement
from assistant.knowledge.options import UNKNOWN, Evidence, need_scores, option_evidence
from assistant.knowledge.service import KnowledgeBase
from assistant.prompts import PromptLibrary
from assistant.services.mcq_parse import MCQ
from assistant.services.retrieve import Retriever
from assistant.types import Passage

# Weight of the (z-scored) base model's log-likelihood against the (z-scored) evidence; chosen on the
# dev split (see the module docstring): 0, the evidence alone is better, and 0 skips the model call.
LL_WEIGHT = 0.0
# "(Select TWO.)": two options whose best evidence is the same statement say one thing twice, so a
# pair of them is worth less by this many standard deviations of the options' scores (chosen on dev).
REDUNDANCY = 0.0
# "(Select TWO.)" with a stem that states two needs ("capture the events as they arrive, and keep the raw
# records cheaply"): weight of how well the pair answers different needs, one each (chosen on dev).
COVERAGE = 0.5


@dataclass
class MCQResult:
    choice: list[str]
    option_notes: dict[str, str]
    scores: dict[str, float]
    passages: list[Passage]
    method: str  # "knowledge", "knowledge+loglik", "json"
    note_statements: dict[str, list[Statement]] = field(default_factory=dict)  # option -> what its note quotes
    covered: bool = True  # False when the documents say nothing about any option


class MCQSolver:
    def __init__(
        self,
        retriever: Retriever,
        knowledge: KnowledgeBase,
        llm: LLM | None,
        prompts: PromptLibrary,
        *,
        k: int = 4,
        use_llm: bool = False,
    ) -> None:
        self.retriever = retriever
        self.knowledge = knowledge
        self.llm = llm
        self.prompts = prompts
        self.k = k
        self.use_llm = use_llm

    def solve(self, mcq: MCQ) -> MCQResult:
        passages = self.retriever.search(mcq.stem, k=self.k)
        evidence = option_evidence(self.knowledge, mcq.stem, mcq.options)
        scores = {k: e.score for k, e in evidence.items()}
        covered = any(e.statement is not None for e in evidence.values())
        method = "knowledge"
        if self.llm is not None and self.use_llm and self.llm.style == "chat":
            picked = self._json_choice(mcq, passages, evidence)
            if picked is not None:
                return self._result(mcq, picked, evidence, scores, passages, "json", covered)
        ll = self._loglik(mcq, passages) if self.llm is not None and self.use_llm and LL_WEIGHT else None
        if ll is not None:
            scores = _combine(scores, ll)
            method = "knowledge+loglik"
        ask, scores = pairs.rescore(self.knowledge, mcq.stem, mcq.options, evidence, scores, mcq.n_answers)
        if ask.against:  # "which should be eliminated?": the options that fit least are the answer
            scores = {k: -v for k, v in scores.items()}
            return self._result(mcq, best_pair(scores, {}, mcq.n_answers), evidence, scores, passages, method, covered)
        same = {
            (a, b): 1.0
            for a, b in combinations(mcq.options, 2)
            if evidence[a].statement is not None and evidence[a].statement == evidence[b].statement
        }
        two = mcq.n_answers == 2
        parts = need_scores(self.knowledge, mcq.stem, evidence) if two and COVERAGE else {}
        homes = pairs.homes(self.knowledge, evidence) if two and not parts and pairs.COHERENCE else {}
        choice = best_pair(scores, same, mcq.n_answers, parts=parts, homes=homes)
        return self._result(mcq, choice, evidence, scores, passages, method, covered)

    def _result(self, mcq, choice, evidence, scores, passages, method, covered) -> MCQResult:
        notes, quoted = self._notes(mcq, choice, evidence)
        return MCQResult(choice, notes, scores, list(passages), method, quoted, covered)

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

    def _json_choice(self, mcq: MCQ, passages: Sequence[Passage], evidence: dict[str, Evidence]) -> list[str] | None:
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
        facts = "\n".join(
            f"- {k}: {self.knowledge.kb.statements[e.statement].text}"
            for k, e in evidence.items()
            if e.statement is not None
        )
        prompt = self.prompts.render(
            "mcq_choose",
            "chat",
            passages=_fenced(passages) + "\n" + facts,
            question=mcq.render(),
            n_answers=mcq.n_answers,
        )
        for _ in range(2):  # one retry: a model may return broken JSON
            try:
                data = json.loads(self.llm.generate_json(prompt, schema, max_tokens=600))
                jsonschema.validate(data, schema)  # the shape it was asked for, or one retry
                choice = sorted({str(c).upper() for c in data["choice"]})
                if len(choice) == mcq.n_answers:
                    return choice
            except (ValueError, KeyError, TypeError, jsonschema.ValidationError):
                continue
            except AssistantError:
                return None
        return None

    # -- notes ----------------------------------------------------------------------------------
    def _notes(
        self, mcq: MCQ, choice: list[str], evidence: dict[str, Evidence]
    ) -> tuple[dict[str, str], dict[str, list[Statement]]]:
        """One note per option, quoting the statement that decided it: for the key, the statement that
        matches the question; for the others, what the documents say the option is (its glossary
        "what it is", else its best statement)."""
        kb = self.knowledge
        notes: dict[str, str] = {}
        quoted: dict[str, list[Statement]] = {}
        for letter in mcq.options:
            e = evidence[letter]
            verdict = "Correct" if letter in choice else "Not the best answer"
            s = self._quote_for(e, key=letter in choice)
            if s is None or e.score <= UNKNOWN:
                notes[letter] = f"{verdict}: neither the guide nor the team glossary says anything about it."
                continue
            quoted[letter] = [s]
            notes[letter] = f"{verdict}: {self._says(s, e)}"
            # The key's note also quotes the guide itself when the deciding line was the glossary's.
            if letter in choice and s.doc_kind == "glossary" and e.guide_statement is not None:
                g = kb.quotable(e.guide_statement)
                if g is not None and g.id != s.id:
                    notes[letter] += f"; {self._says(g, e)}"
                    quoted[letter].append(g)
        return notes, quoted

    def _says(self, s: Statement, e: Evidence) -> str:
        where = "the team glossary" if s.doc_kind == "glossary" else "the guide"
        about = ", ".join(self.knowledge.entity(i).name for i in e.entities[:1])
        lead = f"{about} — " if about and s.doc_kind == "glossary" else ""
        section = f" (“{s.leaf}”)" if s.leaf and s.doc_kind != "glossary" else ""
        return f"{where}{section} says: {lead}“{_short(s.text)}”"

    def _quote_for(self, e: Evidence, *, key: bool) -> Statement | None:
        kb = self.knowledge
        if not key and e.entities:
            what = kb.what_is(e.entities[0])
            if what is not None:
                return what
        return kb.quotable(e.statement) if e.statement is not None else None


def best_pair(
    scores: Mapping[str, float],
    same: Mapping[tuple[str, str], float],
    n: int,
    *,
    redundancy: float | None = None,
    parts: Mapping[str, Sequence[float]] | None = None,
    homes: Mapping[str, set[str]] | None = None,
) -> list[str]:
    """The n options to pick, chosen as a set: the sum of their scores, less `redundancy` standard
    deviations of the scores for each pair that says the same thing (`same`), plus COVERAGE times how
    well the pair covers different needs of the question (`parts`: option -> its score for each need;
    two options that answer one need leave the other open), plus pairs.COHERENCE times how much a pair's
    evidence stands under the same headings (`homes`: option -> its headings). One answer: the best."""
    ranked = sorted(scores, key=lambda k: -scores[k])
    weight = REDUNDANCY if redundancy is None else redundancy
    if n <= 1 or ((not weight or not same) and not (parts and COVERAGE) and not (homes and pairs.COHERENCE)):
        return sorted(ranked[: max(1, n)])
    sd = float(np.std(list(scores.values()))) or 1.0
    homes = homes or {}

    def value(group: tuple[str, ...]) -> float:
        penalty = sum(same.get((a, b), 0.0) + same.get((b, a), 0.0) for a, b in combinations(group, 2))
        kin = sum(_kin(homes.get(a, set()), homes.get(b, set())) for a, b in combinations(group, 2))
        covers = COVERAGE * _covers(group, parts or {})
        return sum(scores[k] for k in group) - weight * sd * penalty + covers + pairs.COHERENCE * kin

    return sorted(max(combinations(ranked, n), key=value))


def _kin(a: set[str], b: set[str]) -> float:
    """How much two options stand under the same headings (Jaccard: one shared heading of many is little)."""
    return len(a & b) / len(a | b) if a and b else 0.0


def _covers(group: Sequence[str], parts: Mapping[str, Sequence[float]]) -> float:
    """The best sum over distinct needs, one option per need (0 without needs)."""
    if not parts or any(k not in parts for k in group):
        return 0.0
    n_parts = len(parts[group[0]])
    return max(
        (sum(parts[k][p] for k, p in zip(group, assign)) for assign in permutations(range(n_parts), len(group))),
        default=0.0,
    )


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
