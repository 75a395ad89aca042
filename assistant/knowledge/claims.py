"""The check that stands between a model's sentence and the reader: a sentence is shown only when one
statement of the documents says the same thing about the same entities.

- Every entity the sentence names must be one the supporting statement is about (a sentence that
  puts Model Monitor where the guide has Clarify finds no statement about Model Monitor that says it).
- The rest of the sentence's content words must be covered by that statement (and its entities'
  names), or the two must be close in embedding space with a smaller word overlap (paraphrase).
- Numbers must appear in the statement; an order the sentence claims between two steps of a
  sequence must be the documents' order; a sentence that matches what an entity is *not for* better
  than anything it is for is rejected.
Thresholds are chosen on evals/dev/claims.jsonl; `pytest evals` reports the test split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.knowledge.model import SUPPORTING
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import content, numbers, opposed

COVER = 0.75  # share of the sentence's other content words one statement must hold
PARA_COVER = 0.4  # ... when the sentence and statement are also close in meaning
PARA_COS = 0.6  # cosine that counts as "close in meaning"
SWAP_MARGIN = 0.05  # a statement about another entity this much closer means the names were swapped
_BEFORE = re.compile(r"\b(before|precedes?|preceding|prior to|earlier than|ahead of)\b", re.IGNORECASE)
_ENDS = re.compile(r"\b(first|initial|begins|starts|final|last|ends)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(after|follows?|following|later than|once)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    statement: int | None  # the supporting statement, when ok
    reason: str  # why it was rejected, for logs and the eval report


class ClaimChecker:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._names: dict[str, set[str]] = {}

    def verdict(self, sentence: str) -> bool:
        """True when the sentence is accepted as true (the eval hook's interface)."""
        return self.check(sentence).ok

    def check(self, sentence: str, vector: np.ndarray | None = None) -> Verdict:
        kb = self.kb
        ids = set(kb.linker.ids(sentence))
        order = self._order(sentence, ids)
        if order is not None:
            return order
        words = content(sentence) - self._name_words(ids)
        nums = numbers(sentence)
        if vector is None:
            vector = kb.encode([sentence])[0]
        sims = kb.vectors @ vector if len(kb.vectors) else np.zeros(0)
        best: tuple[float, int] | None = None
        for i in self._candidates(ids):
            s = kb.kb.statements[i]
            if (nums and not nums <= numbers(s.text)) or opposed(sentence, s.text):
                continue
            have = kb.words[i] | self._name_words(s.about() | set(s.answer)) | content(s.cue)
            cover = len(words & have) / len(words) if words else 1.0
            ok = cover >= COVER or (cover >= PARA_COVER and sims[i] >= PARA_COS)
            if ok and (best is None or sims[i] > best[0]):
                best = (float(sims[i]), i)
        if best is None:
            return Verdict(False, None, "no statement of the documents says this about " + self._what(ids))
        rival = self._rival(ids, words, sims)
        if rival is not None and rival[0] > best[0] + SWAP_MARGIN:
            other = self.kb.kb.statements[rival[1]]
            return Verdict(False, None, f"the documents say this of {self._what(other.about() - ids)}, not of it")
        negatives = kb.statements_about(ids, roles=frozenset({"not_for"})) if ids else []
        if negatives and max(float(sims[j]) for j in negatives) > best[0]:
            return Verdict(False, None, "closer to what the documents say it is not for")
        return Verdict(True, best[1], "")

    # -- pieces -----------------------------------------------------------------------------------
    def _rival(self, ids: set[str], words: set[str], sims: np.ndarray) -> tuple[float, int] | None:
        """The closest statement that says the same words of *another* entity of the same kind (the
        sentence may have swapped the name: "Model Monitor detects bias in training data")."""
        if not ids or not words:
            return None
        kinds = {self.kb.entity(e).kind for e in ids}
        best: tuple[float, int] | None = None
        for s in self.kb.kb.statements:
            if s.role not in SUPPORTING or s.split:
                continue
            others = (s.about() | set(s.answer)) - ids
            if not others or ids & (s.about() | set(s.answer)):
                continue
            if not any(self.kb.entity(e).kind in kinds for e in others):
                continue
            have = self.kb.words[s.id] | self._name_words(others)
            if len(words & have) / len(words) >= COVER and (best is None or sims[s.id] > best[0]):
                best = (float(sims[s.id]), s.id)
        return best

    def _candidates(self, ids: set[str]) -> list[int]:
        kb = self.kb
        if not ids:
            return [s.id for s in kb.kb.statements if s.role in SUPPORTING and not s.split]
        # One entity: its own statements, clauses rather than whole multi-entity lines (a line
        # "S3 for storage, Glue for ETL" must not lend Glue's relation to S3). Several: lines about all.
        # Services are what answers swap; concepts legitimately share lines ("data drift and concept drift").
        kinds = {kb.entity(e).kind for e in ids if "service" in kb.entity(e).kind.lower()}
        out = []
        for s in kb.kb.statements:
            if s.role not in SUPPORTING or (len(ids) == 1 and s.split):
                continue
            about = s.about() | set(s.answer)
            # A line that also names another entity of the same kind ("... Model Monitor tracks,
            # together with Clarify") cannot tell which of the two the relation belongs to.
            if ids <= about and not any(kb.entity(e).kind in kinds for e in about - ids):
                out.append(s.id)
        return out

    def _name_words(self, ids: set[str]) -> set[str]:
        out: set[str] = set()
        for eid in ids:
            if eid not in self._names:
                e = self.kb.entity(eid)
                self._names[eid] = set().union(*(content(a) for a in [e.name, *e.aliases]))
            out |= self._names[eid]
        return out

    def _what(self, ids: set[str]) -> str:
        names = [self.kb.entity(e).name for e in sorted(ids)]
        return ", ".join(names) if names else "it"

    def _order(self, sentence: str, ids: set[str]) -> Verdict | None:
        """A claimed order between two steps of one sequence, or a claimed first / last step,
        checked against the sequence."""
        before, after = _BEFORE.search(sentence), _AFTER.search(sentence)
        found = self.kb.linker.find(sentence)
        end = _ENDS.search(sentence)
        if end and not (before or after):
            for seq in self.kb.kb.sequences:
                spots = [seq.position(eid) for eid, _, _ in found if seq.position(eid) is not None]
                if len(spots) == 1:
                    want = 0 if end.group(1).lower() in ("first", "initial", "begins", "starts") else len(seq.steps) - 1
                    if spots[0] != want:
                        return Verdict(False, None, f"it is not the {end.group(1).lower()} step of “{seq.title}”")
            return None
        if not (before or after) or len(ids) < 2:
            return None
        for seq in self.kb.kb.sequences:
            placed = [(a, seq.position(eid)) for eid, a, _ in found if seq.position(eid) is not None]
            placed = list(dict.fromkeys(placed))
            if len({p for _, p in placed}) < 2:
                continue
            (_, first), (_, second) = placed[0], next(x for x in placed if x[1] != placed[0][1])
            claims_first_earlier = bool(before) and not (after and after.start() < before.start())
            if claims_first_earlier != (first < second):
                return Verdict(False, None, f"the order in “{seq.title}” is the other way round")
            return Verdict(True, None, "")
        return None
