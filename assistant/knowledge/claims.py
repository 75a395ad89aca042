"""The check that stands between a model's sentence and the reader: a sentence is shown only when the
documents say the same thing about the same entities, and say it of them rather than of a rival.

- Support: a statement about every entity the sentence names that covers the rest of its content
  words (stems that share their first letters count as one word), or covers fewer of them but is close
  in embedding space, or is very close in embedding space; or, when no one line does, the lines of
  one entity's own entry together hold the words, name the other entities, and one is close.
- Contradiction: the closest statement that says this turns it around (negation, the other pole of a
  pair such as "close" / "far"), or the statement is closer to what an entity is *not for* (its own
  glossary entry's "Not for") than to anything it is for.
- Swap: each entity is replaced by each rival of the same kind ("Recall is the share of predicted
  positives ..." -> "Precision is ..."); when a statement about the rival alone holds clearly more of
  the sentence's words and the substituted sentence is as close to it, the names were swapped.
- Roles: a statement about two of its entities must not give each the other's part
  (knowledge/claim_roles.py: "Feature Store engineers features and Data Wrangler serves them").
- A glossary line belongs to its entry: it supports a sentence about its own entity whatever else it
  names, and of another entity only the clause that names it.
- Definition: a clause whose subject is an entity must not fit a confusable rival's description
  clearly better than its own, nor, when it defines the entity, any other entity's of its kind (knowledge/rivals.py: "Data drift means the input-to-answer link moved").
- Numbers must appear in the statement; an order the sentence claims (knowledge/order.py) between
  two steps of a sequence (named, called by their step label: "registered", or by a step entity's name: "Training
  step") must be the documents': the order word ("before", "after", "feeds", "then", "afterwards")
  relates the steps on either side of it, "right after" / "next" claims neighbours, and an order that
  holds accepts the sentence by itself only when it says little else.
- A compound sentence ("A, while B") no single statement supports is accepted when each clause is.
Thresholds are chosen on evals/dev/claims.jsonl; `pytest evals` reports the test split.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from assistant.knowledge.claim_roles import crossed, turned
from assistant.knowledge.model import SUPPORTING, Statement
from assistant.knowledge.order import OrderCheck
from assistant.knowledge.rivals import Descriptions
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import claim_words, content, covered, numbers, opposed, unbacked
from assistant.services.text import clean

COVER = 0.75  # share of the sentence's other content words one statement must hold
PARA_COVER = 0.4  # ... when the sentence and statement are also close in meaning
PARA_COS = 0.6  # cosine that counts as "close in meaning"
HIGH_COS = 0.75  # cosine at which a statement about the same entities supports without word overlap
SWAP_COVER = 0.2  # a rival's statement that holds this much more of the sentence's words ...
SWAP_MARGIN = 0.05  # ... and is at most this much less close in meaning: the names were swapped
_WORD = re.compile(r"[a-z0-9]+")
_CLAUSE = re.compile(
    r",?\s+(?:while|whereas)\s+|;\s*|,\s+(?:but|and|so|so that|meaning|meaning that|which means)\s+", re.IGNORECASE
)
_PART = re.compile(r"[.;()]|,\s*(?=which|while|whereas|but)\b")
_NO_SUPPORT = "no statement of the documents says this about "


@dataclass(frozen=True)
class Verdict:
    ok: bool
    statement: int | None  # the supporting statement, when ok
    reason: str  # why it was rejected, for logs and the eval report


class ClaimChecker:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._names: dict[str, set[str]] = {}
        self._parts: dict[int, list[tuple[set[str], set[str]]]] = {}
        self._index: dict[
            str, set[int]
        ] = {}  # entity -> the statements about it  # a statement's clauses: (entities, words)

    def verdict(self, sentence: str) -> bool:
        """True when the sentence is accepted as true (the eval hook's interface)."""
        return self.check(sentence).ok

    def check(self, sentence: str, vector: np.ndarray | None = None) -> Verdict:
        verdict = self._verdict(sentence, vector)
        if not verdict.ok or verdict.statement is None:  # rejected, or an order the sequence confirms
            return verdict
        # Whatever supports it, a clause must not give a confusable rival's description of its subject.
        named = set(self.kb.linker.ids(sentence))
        for part in dict.fromkeys([sentence, *_CLAUSE.split(sentence)]):
            found = self.descriptions.rival(part, named) if part else None
            if found is not None:
                what = self._what({found.rival})
                return Verdict(False, None, f"the documents say this of {what}, not of {self._what({found.subject})}")
        return verdict

    @cached_property
    def order(self) -> OrderCheck:
        return OrderCheck(self.kb, self._name_words)

    @cached_property
    def descriptions(self) -> Descriptions:
        return Descriptions(self.kb)

    def _verdict(self, sentence: str, vector: np.ndarray | None) -> Verdict:
        whole = self._check(sentence, vector)
        parts = [p for p in _CLAUSE.split(sentence) if p and len(claim_words(p)) >= 2]
        if len(parts) < 2:
            return whole
        if whole.ok:
            # "X changes, while Y stays the same": a statement close to the whole must not carry a
            # clause the documents contradict (turned around, said of a rival, what it is not for).
            verdicts = (self._check(p, None) for p in parts)
            bad = next((v for v in verdicts if not v.ok and not v.reason.startswith(_NO_SUPPORT)), None)
            return whole if bad is None else bad
        if whole.statement is not None or not whole.reason.startswith(_NO_SUPPORT):
            return whole
        # "Batch for X, while real-time for Y": no one statement says both halves; each must hold.
        if not all(self.kb.linker.ids(p) for p in parts):
            return whole
        verdicts = [self._check(p, None) for p in parts]
        if all(v.ok for v in verdicts):
            return Verdict(True, verdicts[0].statement, "")
        return whole

    def _check(self, sentence: str, vector: np.ndarray | None) -> Verdict:
        kb = self.kb
        ids = set(kb.linker.ids(sentence))
        order = self.order.check(sentence, ids)
        if order is not None:
            return Verdict(order[0], None, order[1])
        if vector is None:
            vector = kb.encode([sentence])[0]
        sims = kb.vectors @ vector if len(kb.vectors) else np.zeros(0)
        best, against = self._support(sentence, ids, sims)
        if best is None and against is None:
            best = self._entry(sentence, ids, sims)
        if best is None:
            return Verdict(False, None, _NO_SUPPORT + self._what(ids))
        if against is not None and against >= best[0]:
            return Verdict(False, None, "the documents say the opposite")
        if self._crossed(sentence, ids, best[1]):
            return Verdict(False, None, "the documents give these entities each other's parts")
        swapped = self._swapped(sentence, ids, sims)
        if swapped:
            return Verdict(False, None, f"the documents say this of {swapped}, not of it")
        if self._not_for(sentence, ids, sims) > best[0]:
            return Verdict(False, None, "closer to what the documents say it is not for")
        return Verdict(True, best[1], "")

    # -- support ----------------------------------------------------------------------------------
    def _support(self, sentence: str, ids: set[str], sims: np.ndarray) -> tuple[tuple[float, int] | None, float | None]:
        """The closest statement that supports the sentence, and the similarity of the closest one that
        would support it but says the opposite."""
        words = claim_words(sentence) - self._name_words(ids)
        nums = numbers(sentence)
        best: tuple[float, int] | None = None
        against: float | None = None
        for i in self._choices(sentence, ids):
            if not self._says(i, words, float(sims[i]), ids) or (
                nums and not nums <= numbers(self.kb.kb.statements[i].text)
            ):
                continue
            if opposed(sentence, self.kb.kb.statements[i].text):
                against = max(against or -1.0, float(sims[i]))
            elif (best is None or sims[i] > best[0]) and not unbacked(sentence, self.kb.kb.statements[i].text):
                best = (float(sims[i]), i)
        return best, against

    def _entry(self, sentence: str, ids: set[str], sims: np.ndarray) -> tuple[float, int] | None:
        """Support from what one entity's own lines (its glossary entry, the lines under its heading)
        say together, when no one line says it all: the sentence's first entity whose lines name every
        other entity of the sentence, hold COVER of its words between them, and one of which is close
        in meaning (PARA_COS) ("Data Wrangler lets data scientists
        explore data visually inside SageMaker Studio": its "What it is" and one "Use when" item)."""
        found = self.kb.linker.find(sentence)
        words = claim_words(sentence) - self._name_words(ids)
        for eid in dict.fromkeys(e for e, _, _ in found):
            lines = [i for i in self._candidates({eid}) if eid in self.kb.kb.statements[i].context]
            lines = [i for i in lines if not opposed(sentence, self.kb.kb.statements[i].text)]
            named = set().union(*(self.kb.kb.statements[i].about() for i in lines)) if lines else set()
            if not lines or not ids <= named | {eid}:
                continue
            have = set().union(*(self._have(i, ids) for i in lines))
            cover = len(covered(words, have)) / len(words) if words else 1.0
            close = max(lines, key=lambda i: sims[i])
            if cover >= COVER and sims[close] >= PARA_COS:
                return float(sims[close]), close
        return None

    def _have(self, i: int, ids: set[str]) -> set[str]:
        """The words statement i says of `ids`: its words and its entities' names; of a line in another
        entry of the glossary, only the clauses that name them ("..., which is why a separate test set
        is kept" in the validation set's entry says nothing else of the test set)."""
        s = self.kb.kb.statements[i]
        names = self._name_words(s.about() | set(s.answer)) | content(s.cue)
        if s.doc_kind != "glossary" or not ids or set(s.context) & ids:
            return self.kb.words[i] | names
        if i not in self._parts:
            self._parts[i] = [(set(self.kb.linker.ids(p)), content(p)) for p in _PART.split(s.text)]
        return set().union(*(words for named, words in self._parts[i] if named & ids)) | names

    def _says(self, i: int, words: set[str], sim: float, ids: set[str], *, strict: bool = False) -> bool:
        """Statement i says what these words say: it holds them, or fewer of them and is close in meaning."""
        have = self._have(i, ids)
        cover = len(covered(words, have)) / len(words) if words else 1.0
        # Fewer shared words need more closeness: (cover PARA_COVER, cosine PARA_COS) to (0, HIGH_COS).
        slope = (HIGH_COS - PARA_COS) / PARA_COVER
        # What an entity is *not* for, and the bare heading a glossary entry lists it under, must say it
        # in their words, not only in its vicinity.
        if strict or self.kb.kb.statements[i].role == "lifecycle":
            return cover >= COVER or (cover >= PARA_COVER and sim >= PARA_COS)
        return cover >= COVER or (sim >= PARA_COS and sim + slope * min(cover, PARA_COVER) >= HIGH_COS)

    def _candidates(self, ids: set[str], roles: frozenset[str] = SUPPORTING) -> list[int]:
        kb = self.kb
        if not ids:
            return [s.id for s in kb.kb.statements if s.role in roles and not s.split]
        # One entity: its own statements, clauses rather than whole multi-entity lines (a line
        # "S3 for storage, Glue for ETL" must not lend Glue's relation to S3). Several: lines about all.
        about_all = set.intersection(*(self._about(e) for e in ids))
        statements = [kb.kb.statements[i] for i in sorted(about_all)]
        return [s.id for s in statements if s.role in roles and not (len(ids) == 1 and s.split) and self._its(s, ids)]

    def _choices(self, sentence: str, ids: set[str]) -> list[int]:
        """The statements about all of the sentence's entities, where a name that links several
        ("data labeling": the concept, and the service the glossary gives it as an alias) needs only one."""
        spans: dict[tuple[int, int], set[str]] = {}
        for eid, a, b in self.kb.linker.find(sentence):
            spans.setdefault((a, b), set()).add(eid)
        groups = [sorted(g) for g in spans.values() if len(g) > 1]
        if not groups:
            return self._candidates(ids)
        shared = set().union(*map(set, groups))
        out: set[int] = set()
        for choice in itertools.product(*groups):
            out.update(self._candidates((ids - shared) | set(choice)))
        return sorted(out)

    def _about(self, eid: str) -> set[int]:
        """The statements about an entity (named, implied by where they stand, or on the answer side)."""
        if not self._index:
            for s in self.kb.kb.statements:
                for e in s.about() | set(s.answer):
                    self._index.setdefault(e, set()).add(s.id)
        return self._index.get(eid, set())

    def _its(self, s: Statement, ids: set[str]) -> bool:
        """Whether the relation a statement states belongs to the sentence's entities. A glossary line
        belongs to its entry: to one of them when it is their entry, whatever else it names. Another
        line that also names another service cannot tell which of the two the relation belongs to;
        concepts legitimately share lines ("data drift and concept drift")."""
        kb = self.kb
        kinds = {kb.entity(e).kind for e in ids}
        if s.doc_kind == "glossary" and set(s.context) & ids:
            return True
        services = {k for k in kinds if "service" in k.lower()}
        return not any(kb.entity(e).kind in services for e in (s.about() | set(s.answer)) - ids)

    # -- swaps and negatives -----------------------------------------------------------------------
    def _covers(self, ids: set[str], words: set[str], without: str = "") -> dict[int, float]:
        """Word cover of each statement about `ids` (not about `without`: a line about both says it of both)."""
        out = {}
        for i in self._candidates(ids):
            s = self.kb.kb.statements[i]
            about = s.about() | set(s.answer)
            # A line about both says it of both, unless it is the rival's own glossary entry.
            if without not in about or (s.doc_kind == "glossary" and set(s.context) & ids and without not in s.context):
                out[i] = len(covered(words, self._have(i, ids))) / len(words) if words else 1.0
        return out

    def _swapped(self, sentence: str, ids: set[str], sims: np.ndarray) -> str:
        """The name of a rival entity the documents say this sentence of, clearly better than of the
        entity it names: a statement about the rival alone holds more of the sentence's words, and the
        sentence with the rival's name substituted ("Recall is the share of predicted positives" ->
        "Precision is ...") is as close to it as the sentence is to its own support."""
        words = claim_words(sentence) - self._name_words(ids)
        if not words:
            return ""
        own = self._covers(ids, words)
        own_cover = max(own.values(), default=0.0)
        own_sim = max((float(sims[i]) for i in own), default=-1.0)
        found = self.kb.linker.find(sentence)
        trials: list[tuple[str, list[int], list[int]]] = []
        texts: list[str] = []
        for eid, rival in self._rivals(ids):
            spans = {(a, b) for e, a, b in found if e == eid}
            named = {e for e, a, b in found if (a, b) in spans}  # "Model Registry": the service and the concept
            covers = self._covers((ids - named) | {rival}, words - self._name_words({rival}), without=eid)
            # Clearly more of the words; or more of them, and then clearly closer in meaning (below).
            strong = [i for i, c in covers.items() if c >= max(PARA_COVER, own_cover + SWAP_COVER)]
            more = [i for i, c in covers.items() if c >= PARA_COVER and c > own_cover]
            if strong or more:
                trials.append((rival, strong, more))
                texts.append(_substitute(sentence, sorted(spans), self.kb.entity(rival).name))
        if not texts:
            return ""
        for (rival, strong, more), v in zip(trials, self.kb.encode(texts), strict=True):
            if max((float(self.kb.vectors[i] @ v) for i in strong), default=-1.0) >= own_sim - SWAP_MARGIN:
                return self._what({rival})
            if max(float(self.kb.vectors[i] @ v) for i in more) > own_sim + SWAP_MARGIN:
                return self._what({rival})
        return ""

    def _rivals(self, ids: set[str]) -> list[tuple[str, str]]:
        """(entity of the sentence, another entity of the same kind)."""
        ents = self.kb.kb.entities
        return [(e, r) for e in sorted(ids) for r in ents if r not in ids and ents[r].kind == ents[e].kind]

    def _crossed(self, sentence: str, ids: set[str], support: int) -> bool:
        """The supporting statement, or a contrast line about the same entities that holds as many of
        the sentence's words, gives two of its entities each other's parts; or the supporting statement
        links two of them the other way round (knowledge/claim_roles.py)."""
        if len(ids) < 2:
            return False
        words = claim_words(sentence) - self._name_words(ids)
        drop = self._name_words(ids)
        cover = self._covers(ids, words)
        floor = cover.get(support, 0.0)
        statements = [support, *(i for i, c in cover.items() if c >= max(floor, PARA_COVER) and i != support)]
        statements += [i for i in self._candidates(ids, frozenset({"contrast"})) if i not in statements]
        text = self.kb.kb.statements
        if any(
            crossed(self.kb.linker, sentence, text[i].text, ids, drop, both=text[i].role != "contrast")
            for i in statements
        ):
            return True
        return turned(self.kb.linker, sentence, text[support].text, ids, drop, _owner(text[support]))

    def _not_for(self, sentence: str, ids: set[str], sims: np.ndarray) -> float:
        """How close the sentence is to a "Not for" of an entity it names (the entry's own statement, not
        one that names the entity as the right alternative), when that statement also says it."""
        words = claim_words(sentence) - self._name_words(ids)
        out = -1.0
        for s in self.kb.kb.statements:
            if (
                s.role == "not_for"
                and set(s.context) & ids
                and self._says(s.id, words, float(sims[s.id]), ids, strict=True)
            ):
                out = max(out, float(sims[s.id]))
        return out

    # -- names ------------------------------------------------------------------------------------
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


def _owner(s: Statement) -> str:
    """The entity a glossary line speaks of without naming it ("What it is: A visual tool ...")."""
    return s.context[0] if s.doc_kind == "glossary" and s.context and s.role in ("what", "use") else ""


def _substitute(sentence: str, spans: list[tuple[int, int]], name: str) -> str:
    """The sentence with the tokens of `spans` (linker token positions) replaced by `name`."""
    text = clean(sentence)
    marks = [(m.start(), m.end()) for m in _WORD.finditer(text.casefold())]
    for a, b in sorted(spans, reverse=True):
        if b <= len(marks):
            text = text[: marks[a][0]] + name + text[marks[b - 1][1] :]
    return text
