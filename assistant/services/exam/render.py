"""A planned fact as item JSON (SCHEMA.md): the stem from templates, options, key, explanations and
citations from the knowledge layer."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.knowledge.service import KnowledgeBase
from assistant.services.exam import grammar
from assistant.services.exam.explain import Explainer
from assistant.services.exam.families import Fact
from assistant.services.exam.stems import STEM_WORDS, Need, StemBook, fill, tidy, words

LETTERS = "ABCDE"
PROJECT_FIT = 0.3  # cue-to-project similarity under which a stem names the neutral project instead
STEM_TRIES = 6  # template draws per stem before the last one goes to the checks as it is


@dataclass(frozen=True)
class Cite:
    id: str
    section: str
    quote: str
    passage: str


Citer = Callable[[int], Cite | None]  # statement id -> where it stands in the index


Writer = Callable[[Fact, str, list[str]], str | None]  # (fact, company, option texts) -> a situation


class Renderer:
    def __init__(self, kb: KnowledgeBase, book: StemBook, cite: Citer, writer: Writer | None = None) -> None:
        self.kb = kb
        self.book = book
        self.cite = cite
        self.writer = writer  # a chat model's situation writer; None: templates only
        self.last_by_model = False  # whether the last stem's situation was the model's
        self._project_vectors: dict[str, np.ndarray] = {}
        self.explainer = Explainer(kb)

    def values(self, rng: random.Random, f: Fact | None = None) -> dict[str, str]:
        company, project, projects = self.book.organisation(rng)
        if f is not None and f.needs:
            project = self._project_for(f, projects)
        return {"company": company, "team": self.book.pick(rng, "teams"), "project": project}

    def _project_for(self, f: Fact, projects: list[str]) -> str:
        """The organisation's project closest in meaning to the cue, or the data's neutral project when none
        is close (a delivery-time model never hears "why was I rejected")."""
        vectors = self.kb.vectors
        if len(vectors) <= max(f.support):
            return projects[0]
        missing = [p for p in projects if p not in self._project_vectors]
        if missing:
            self._project_vectors.update(zip(missing, np.asarray(self.kb.encode(missing)), strict=True))
        cue = vectors[list(f.support[: len(f.needs)])].mean(axis=0)
        cue = cue / (np.linalg.norm(cue) or 1.0)
        sims = {p: float(self._project_vectors[p] @ cue) for p in projects}
        best = max(projects, key=sims.__getitem__)
        return best if sims[best] >= PROJECT_FIT else self.book.data.get("neutral_project", best)

    def stem(self, f: Fact, rng: random.Random, values: dict[str, str], *, model: bool = True) -> str:
        """The stem; template stems are drawn again (up to STEM_TRIES times) until none of their sentences
        is cut, mis-slotted or verbless and the length fits, so a bad stem is rarely drafted at all."""
        write = self.writer if model else None
        v = {**values, **f.slots}
        situation = write(f, v["company"], [*f.keys, *f.distractors]) if write else None
        self.last_by_model = bool(situation)
        if situation:
            return fill("{situation} {ask}", situation=situation, ask=self._ask(f, rng, v))
        stem = ""
        for _ in range(STEM_TRIES):
            stem = self._template_stem(f, rng, v)
            if words(stem) in STEM_WORDS and grammar.stem_problem(stem) is None:
                return stem
        return stem

    def _ask(self, f: Fact, rng: random.Random, v: dict[str, str]) -> str:
        fam = self.book.family(f.family)
        # A symptom (a cue with its own subject and verb) may have asks of its own ("what explains this").
        asks = fam.get("ask_clause") if f.needs and f.needs[0].form == "clause" else None
        asks = asks or fam.get("ask")
        return fill(rng.choice(asks), **v) if asks else ""

    def _template_stem(self, f: Fact, rng: random.Random, v: dict[str, str]) -> str:
        v = {**v, "ask": self._ask(f, rng, v), "opening": "", "constraint": ""}
        if f.needs:
            v["opening"] = self.book.frame(f.needs[0], "need", rng, **v)
            extra = f.needs[1] if len(f.needs) > 1 else None
            v["constraint"] = self.book.frame(extra, "extra", rng, **v) if extra else ""
        return fill(rng.choice(self.book.family(f.family)["stems"]), **v)

    def item(
        self, f: Fact, rng: random.Random, difficulty: str, *, model: bool = True
    ) -> tuple[dict | None, dict[str, str]]:
        """The item dict and the passages its citations quote (chunk id -> text); None if uncitable."""
        cites = [self.cite(i) for i in f.support]
        if any(c is None for c in cites):
            return None, {}
        stem = self.stem(f, rng, self.values(rng, f), model=model)
        raw = self._options(f, rng)
        raw.update(
            question=stem,
            citations=[{"id": c.id, "section": c.section, "quote": c.quote} for c in cites],
            phase=f.phase,
            difficulty=difficulty,
            family=f.family,
        )
        return raw, {c.id: c.passage for c in cites}

    def case(self, f: Fact, rng: random.Random, difficulty: str) -> list[tuple[dict, dict[str, str]]] | None:
        """The questions of a case study, sharing one scenario that lists every need."""
        fam = self.book.family("case")
        values = self.values(rng, f.parts[0] if f.parts else None)
        needs = " ".join(f"({n}) {_sentence(p.needs[0])}" for n, p in zip(fam["ordinals"], f.parts, strict=False))
        scenario = fill(rng.choice(fam["scenario"]), needs=needs, **values)
        out = []
        for ordinal, part in zip(fam["ordinals"], f.parts, strict=False):
            raw, passages = self.item(part, rng, difficulty, model=False)  # the question is replaced below
            if raw is None:
                return None
            raw["question"] = fill(rng.choice(fam["ask"]), ordinal=ordinal)
            raw["case"] = {"scenario": scenario}
            raw["family"] = "case"
            raw["_need"] = _sentence(part.needs[0])  # what the blind solve is asked about (not saved)
            out.append((raw, passages))
        return out

    # -- options ----------------------------------------------------------------------------------
    def _options(self, f: Fact, rng: random.Random) -> dict:
        if f.type == "ordering":
            shuffled = list(f.keys)
            while shuffled == list(f.keys):
                rng.shuffle(shuffled)
            options = dict(zip(LETTERS, shuffled, strict=False))
            letter = {v: k for k, v in options.items()}
            n = len(f.keys)
            why = {
                letter[s]: f"Stage {k + 1} of these {n} in the {f.slots.get('sequence', 'sequence')}."
                for k, s in enumerate(f.keys)
            }
            return {
                "type": "ordering",
                "options": options,
                "answer": ",".join(letter[s] for s in f.keys),
                "explanations": why,
            }
        if f.type == "matching":
            shuffled = list(f.keys)
            rng.shuffle(shuffled)
            options = dict(zip(LETTERS, shuffled, strict=False))
            letter = {v: k for k, v in options.items()}
            premises = [tidy(n.text[0].upper() + n.text[1:]) for n in f.needs]
            why = {letter[k]: f"Need {p + 1}: {self._why_key(f.support[p], k)}" for p, k in enumerate(f.keys)}
            return {
                "type": "matching",
                "options": options,
                "premises": premises,
                "answer": ",".join(letter[k] for k in f.keys),
                "explanations": why,
            }
        texts = list(f.keys) + list(f.distractors)
        rng.shuffle(texts)
        options = dict(zip(LETTERS, texts, strict=False))
        support = {k: self._support_for(f, k) for k in f.keys}
        why = {
            k: self.explainer.why_key(support[v], v) if v in f.keys else self.explainer.why_not(v, f, support)
            for k, v in options.items()
        }
        keys = sorted(k for k, v in options.items() if v in f.keys)
        return {"type": f.type, "options": options, "answer": ",".join(keys), "explanations": why}

    def _support_for(self, f: Fact, name: str) -> int:
        """The cited line about this key (a Select-TWO item cites one line per key)."""
        eid = self.explainer.entry_of(name)
        ids = {eid} if eid else set(self.kb.linker.ids(name)[:1])
        return next((i for i in f.support if ids & self.kb.kb.statements[i].about()), f.support[0])

    def _why_key(self, i: int, key: str) -> str:
        return self.explainer.why_key(i, key)


def _sentence(n: Need) -> str:
    text = n.text[0].upper() + n.text[1:]
    return text if text.endswith(".") else text + "."
