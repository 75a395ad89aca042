"""Whose description a sentence gives: "Data drift means the link between the inputs and the right
answer has shifted" describes concept drift, whatever name it puts first.

Each entity gets descriptions from the documents: its glossary entry's "What it is" and "Use when"
(a piece of it that names only a rival is the rival's: "..., while concept drift means ..."), the
"Term: definition" lines of the guide, and what other entries say of it when they contrast it
("Confused with: Recall — of the real positives, the share the model found") or send a reader to it
("Not for: a shift in the input distribution alone (data drift)"). Names are masked on both sides, so
the comparison is between what is said, not who it is said of. A clause whose subject is an entity is
compared with that entity's descriptions and with those of the entities the documents say it is
confused with, and also with every other described entity of its kind, by a wider margin (wider
still unless the clause defines its subject: "X is / means ..."); when a rival's description fits
clearly better, the sentence gave the rival's definition (or turned a relation round: "CloudWatch
computes the metrics and Model Monitor raises the alarms").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.knowledge.words import claim_words, content, covered, tokens
from assistant.services.text import clean

WORDS = 0.4  # weight of the shared (idf-weighted) words beside the cosine: MiniLM alone blurs "found" / "flagged"
MARGIN = 0.2  # any clause about a subject: a rival this much closer gave the rival's description
# A clause that defines its subject ("X is / means / measures ...") must fit X's own descriptions at
# least as well as every confusable rival's (the definition contest: data drift vs concept drift).
DEFINE_MARGIN = 0.0
# ... and fit no other entity of its kind this much better: a swapped definition need not take its
# wording from an entity the documents call confusable ("Clustering predicts a continuous number").
OTHER_MARGIN = 0.2
# Any other clause about it ("Automatic Model Tuning has human workers label the data"): by this much.
ANY_MARGIN = 0.4
DEFINES_WITHIN = 3  # tokens after the subject's name where the defining verb stands
_DEFINING = frozenset(
    ["is", "are", "mean", "refer", "describ", "measur", "happen", "occur", "tell", "predict"]
)  # a rival's description this much closer than the subject's own: the rival's definition
MIN_WORDS = 3  # content words a clause must keep once names are masked (less says nothing to compare)
SUBJECT_AT = 2  # the subject's name starts within this many tokens of the clause ("The test set is ...")
_WORD = re.compile(r"[a-z0-9]+")
_PIECES = re.compile(r"(?<=[.;])\s+|,\s+(?:while|whereas)\s+")
_CONTRAST = re.compile(r"(.+?)\s+[—–-]\s+(.+)")
_PARENS = re.compile(r"\([^)]*\)")


@dataclass(frozen=True)
class Rival:
    subject: str  # the entity the sentence names
    rival: str  # the entity whose description it gives
    margin: float


class Descriptions:
    """What the documents say each entity is, and which entities they say it is confused with."""

    def __init__(self, kb) -> None:  # kb: knowledge.service.KnowledgeBase
        self.kb = kb
        self.owners: list[str] = []
        self.words: list[set[str]] = []
        self.texts: list[str] = []
        self.confused: dict[str, set[str]] = {}
        self._vectors: np.ndarray | None = None
        self.owners_set: set[str] = set()
        kinds = {e.id: e.kind for e in kb.kb.entities.values()}
        self.kinds = kinds
        self.kind_words = set().union(*(content(k) for k in kinds.values()))
        for s in kb.kb.statements:
            owner = s.context[0] if s.doc_kind == "glossary" and s.context else ""
            if owner and s.role in ("what", "use"):
                for piece in _PIECES.split(s.text):
                    # "..., while concept drift means ...": a piece whose subject is a same-kind entity
                    # describes it; one that names it further on ("which is why a test set is kept") does not.
                    subject = [e for e in self._subjects(piece) if e != owner and kinds.get(e) == kinds.get(owner)]
                    for e in subject or [owner]:
                        self._add(e, piece)
            elif owner and s.role in ("contrast", "not_for"):
                self._others(s.text, s.role, owner, kinds)
            elif s.doc_kind != "glossary" and s.role == "definition":
                for e in s.context:
                    self._add(e, s.text.split(":", 1)[-1])

    def _add(self, eid: str, text: str) -> None:
        masked = self.mask(text)
        if len(claim_words(masked)) >= 2:
            self.words.append(content(masked))
            self.owners.append(eid)
            self.owners_set.add(eid)
            self.texts.append(masked)

    def _others(self, text: str, role: str, owner: str, kinds: dict[str, str]) -> None:
        """A "Confused with" item describes the entity it names; a "Not for" item that names a
        same-kind entity ("(use recall)") describes that entity. Either makes the two confusable."""
        if role == "contrast":
            m = _CONTRAST.match(re.split(r",\s+(?:while|whereas)\s+|;", text)[0])
            named = self.kb.linker.ids(m.group(1)) if m else []
            described = m.group(2) if m else ""
        else:
            named, described = self.kb.linker.ids(text), _PARENS.sub("", text)
        for e in named:
            if e != owner and kinds.get(e) == kinds.get(owner):
                self.confused.setdefault(owner, set()).add(e)
                self.confused.setdefault(e, set()).add(owner)
                self._add(e, described)

    def _subjects(self, text: str) -> list[str]:
        """The entities a text starts with (within SUBJECT_AT tokens): what it is about."""
        found = self.kb.linker.find(text)
        if not found or found[0][1] > SUBJECT_AT:
            return []
        return [e for e, a, b in found if (a, b) == (found[0][1], found[0][2])]

    def _topic(self, clause: str) -> tuple[list[str], bool]:
        """(the described entities a clause is about, whether it defines them): those it starts with, or
        else a name a defining verb directly follows further on ("For scoring a table once a week, Batch
        Transform is the choice"), held to the margins of a clause that does not define it: what
        comes before the name may be a scenario rather than a definition."""
        subjects = [e for e in self._subjects(clause) if e in self.owners_set]
        if subjects:
            return subjects, self._defines(clause)
        toks = tokens(clause)
        for _, a, b in self.kb.linker.find(clause):
            if set(toks[b : b + 1]) & _DEFINING:
                return [e for e, x, y in self.kb.linker.find(clause) if (x, y) == (a, b) and e in self.owners_set], False
        return [], False

    def _defines(self, text: str) -> bool:
        """Whether the text says what its subject is: a defining verb within a few words of its name
        ("Data drift is when ...", "Recall measures ...", "A feature store means ...")."""
        found = self.kb.linker.find(text)
        end = found[0][2] if found else 0
        return bool(found) and bool(set(tokens(text)[end : end + DEFINES_WITHIN]) & _DEFINING)

    def mask(self, text: str, only: set[str] | None = None) -> str:
        """The text with every entity name (or those of `only`) replaced by "it"."""
        out = clean(text)
        marks = [(m.start(), m.end()) for m in _WORD.finditer(out.casefold())]
        found = [(e, a, b) for e, a, b in self.kb.linker.find(text) if only is None or e in only]
        for a, b in sorted({(a, b) for _, a, b in found}, reverse=True):
            if b <= len(marks):
                out = out[: marks[a][0]] + "it" + out[marks[b - 1][1] :]
        return out

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = np.asarray(self.kb.encode(self.texts), dtype=np.float32) if self.texts else np.zeros((0, 1))
        return self._vectors

    def _scores(self, masked: str) -> np.ndarray:
        sims = self.vectors @ np.asarray(self.kb.encode([masked])[0], dtype=np.float32)
        words = claim_words(masked)
        idf = self.kb.idf
        total = sum(idf.get(w, 1.0) for w in words) or 1.0
        cover = np.array([sum(idf.get(w, 1.0) for w in covered(words, have)) / total for have in self.words])
        return sims + WORDS * cover

    def fit(self, clause: str, named: set[str]) -> tuple[str, float, float] | None:
        """(subject, closeness to its own descriptions, closeness to the best confusable rival's)."""
        subjects = [e for e in self._subjects(clause) if e in self.owners_set]
        masked = self.mask(clause)
        if not subjects or len(claim_words(masked)) < MIN_WORDS:
            return None
        sims = self._scores(masked)
        own = max((float(sims[i]) for i, o in enumerate(self.owners) if o in subjects), default=-1.0)
        rivals = set().union(*(self.confused.get(x, set()) for x in subjects)) - named
        riv = max((float(sims[i]) for i, o in enumerate(self.owners) if o in rivals), default=-1.0)
        return subjects[0], own, riv

    def rival(self, clause: str, named: set[str], margin: float | None = None) -> Rival | None:
        """The confusable entity whose description fits the clause clearly better than its subject's
        own (by `margin`; by default MARGIN, or DEFINE_MARGIN for a clause that defines its subject),
        or another entity of its kind that fits better by OTHER_MARGIN (a defining clause) or ANY_MARGIN.
        `named`: every entity of the whole sentence (a rival it names is not swapped in)."""
        subjects, defines = self._topic(clause)
        if margin is None:
            margin = DEFINE_MARGIN if defines else MARGIN
        # Words that only name a category ("one of the AWS services for the ... phase") or a heading
        # the documents file things under describe nothing; another entity's name does ("The test set is
        # used to tune hyperparameters").
        headings = {e for e in self.kb.linker.ids(clause) if self.kb.entity(e).heading}
        if not subjects or len(claim_words(self.mask(clause, headings | set(subjects))) - self.kind_words) < MIN_WORDS:
            return None
        masked = self.mask(clause)
        # Once every name is masked, little may be left ("... used to tune hyperparameters"): then
        # only a confusable rival, and only clearly (MARGIN).
        short = len(claim_words(masked) - self.kind_words) < MIN_WORDS
        fits = self._fits(self._scores(masked))
        best: Rival | None = None
        for x in subjects:
            own = max((fits.get(o, -1.0) for o in subjects), default=-1.0)
            for r in self._contenders(x, not short) - named - set(subjects):
                if r in self.confused.get(x, set()):
                    need = MARGIN if short else margin
                else:
                    need = OTHER_MARGIN if defines else ANY_MARGIN
                fit = fits.get(r, -1.0)
                if fit - own > need and (best is None or fit - own > best.margin):
                    best = Rival(x, r, fit - own)
        return best

    def _contenders(self, subject: str, every: bool) -> set[str]:
        """The entities whose descriptions a clause about `subject` is held against: those the documents
        call confusable with it and (`every`) every other described entity of its kind."""
        out = set(self.confused.get(subject, set()))
        if every:
            out |= {o for o in self.owners_set if self.kinds.get(o) == self.kinds.get(subject)}
        return out - {subject}

    def _fits(self, sims: np.ndarray) -> dict[str, float]:
        """Each entity's best-fitting description score."""
        out: dict[str, float] = {}
        for o, v in zip(self.owners, sims.tolist(), strict=True):
            out[o] = max(out.get(o, -1.0), v)
        return out
