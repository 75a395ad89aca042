"""Facts for practice questions, read off the guide's structure, with keys right by construction.

The guide states which services serve which phase ("- AWS services: ..."), what each phase does (its
bullets), which service each pipeline step uses, and which answer each classic exam scenario has.
Each fact becomes a planned question whose key and distractors come from those lists; the LLM only
writes the scenario wording around it.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.phases import PHASES
from assistant.services.guide_lines import GuideLines, Line

_PHASE_HEAD = re.compile(r"^(\d)\.\s+(.+)$")
_STEP = re.compile(r"^(\d)\.\s+([^:]+):\s+(.+)$")
_SCENARIO = re.compile(r"^A question (?:describes|asks about|about)\s+(.+?)\s+\u2192\s+(?:Answer:\s+)?(.+)$")
PIPELINES = "ML Pipelines and MLOps"


@dataclass(frozen=True)
class Fact:
    kind: str  # "activity" | "phase_service" | "step_service" | "scenario" | "phase_two" | "ordering"
    phase: str  # canonical phase (assistant.phases)
    text: str  # the fact in words, with the answer blanked where it would give it away
    keys: tuple[str, ...]  # option text(s) of the key(s); for ordering, the steps in order
    pool: tuple[str, ...]  # candidate distractors of the same kind
    lines: tuple[Line, ...]  # the guide lines that support the key (quoted as citations)
    ask: str  # the question sentence appended to the scenario

    @property
    def topic(self) -> str:
        return f"{self.kind}:{self.phase}:{'|'.join(self.keys)}"


class GuideFacts:
    def __init__(self, lines: GuideLines) -> None:
        self.lines = lines.lines
        self.phase_lines = self._phase_lines()
        self.services = {p: self._services(ls) for p, ls in self.phase_lines.items()}
        self.steps = self._steps()

    def _phase_lines(self) -> dict[str, list[Line]]:
        out: dict[str, list[Line]] = {}
        for ln in self.lines:
            m = _PHASE_HEAD.match(ln.leaf)
            if m and m.group(2) in PHASES:
                out.setdefault(m.group(2), []).append(ln)
            elif ln.leaf == "What Is an ML Pipeline?":
                out.setdefault(PIPELINES, []).append(ln)
        return out

    @staticmethod
    def _services(lines: Sequence[Line]) -> list[str]:
        for ln in lines:
            m = re.match(r"^(?:AWS services(?: for ML Pipelines)?):\s*(.+)$", ln.text)
            if m:
                return [s.strip().rstrip(".") for s in m.group(1).split(",")]
        return []

    def _steps(self) -> list[tuple[int, str, str, Line]]:
        out = []
        for ln in self.lines:
            m = _STEP.match(ln.text)
            if m and ln.leaf == "How the ML Pipeline Works in Practice":
                out.append((int(m.group(1)), m.group(2), m.group(3), ln))
        return sorted(out)

    def _all_services(self) -> set[str]:
        return {s for ss in self.services.values() for s in ss}

    def _other_services(self, phase: str) -> list[str]:
        mine = set(self.services.get(phase, []))
        return sorted(s for p, ss in self.services.items() if p != phase for s in ss if s not in mine)

    def _service_line(self, phase: str) -> Line | None:
        return next((ln for ln in self.phase_lines.get(phase, []) if "AWS services" in ln.text), None)

    def _work(self, phase: str) -> str:
        """What the phase does, from its bullets; for pipelines, the "Label: what it gives" bullets."""
        lines = [ln.text for ln in self.phase_lines[phase] if "AWS services" not in ln.text]
        labelled = [t for t in lines if re.match(r"^[A-Z][\w/ ()]{2,30}: ", t)]
        # Two bullets at most: a small model copes with a short fact, and one topic reads as a scenario.
        return "; ".join((labelled if phase == PIPELINES and labelled else lines)[:2])

    # -- fact families --------------------------------------------------------------------------
    def facts(self) -> list[Fact]:
        return self.activities() + self.phase_services() + self.step_services() + self.scenarios() + self.phase_twos()

    def activities(self) -> list[Fact]:
        out = []
        lifecycle = [p for p in PHASES if p in self.phase_lines and p != PIPELINES]
        for phase in lifecycle:
            for ln in self.phase_lines[phase]:
                if "AWS services" in ln.text:
                    continue
                pool = tuple(p for p in lifecycle if p != phase)
                out.append(
                    Fact(
                        "activity",
                        phase,
                        ln.text,
                        (phase,),
                        pool,
                        (ln,),
                        "Which phase of the ML development lifecycle is the team working in?",
                    )
                )
        return out

    def phase_services(self) -> list[Fact]:
        out = []
        counts: dict[str, int] = {}
        for ss in self.services.values():
            for s in ss:
                counts[s] = counts.get(s, 0) + 1
        for phase, services in self.services.items():
            line = self._service_line(phase)
            work = self._work(phase)
            for s in services:
                if counts[s] == 1 and line is not None:  # a service listed in two phases makes no clean key
                    out.append(
                        Fact(
                            "phase_service",
                            phase,
                            f"The team's work: {work}",
                            (s,),
                            tuple(self._other_services(phase)),
                            (line,),
                            "Which AWS service supports this work?",
                        )
                    )
        return out

    def step_services(self) -> list[Fact]:
        out = []
        known = self._all_services() | {"Amazon SageMaker Feature Store", "Amazon SageMaker Model Registry"}
        for _, name, desc, ln in self.steps:
            named = [s for s in known if _mentions(desc, s)]
            if len(named) != 1:
                continue
            key = named[0]
            pool = tuple(
                sorted(
                    s for s in known if not any(_mentions(d, s) for _, _, d, _ in self.steps if d == desc) and s != key
                )
            )
            text = f"Pipeline step '{name}': {_blank(desc, key)}"
            out.append(
                Fact(
                    "step_service",
                    PIPELINES,
                    text,
                    (key,),
                    pool,
                    (ln,),
                    "Which AWS service performs this step in a typical AWS ML pipeline?",
                )
            )
        return out

    def scenarios(self) -> list[Fact]:
        out = []
        services = self._all_services()
        for ln in self.lines:
            m = _SCENARIO.match(ln.text)
            if not m or m.group(2) not in services:
                continue
            key = m.group(2)
            phase = [p for p, ss in self.services.items() if key in ss][-1]  # the last phase that lists it
            pool = tuple(sorted(s for s in services if s != key and s not in self.services.get(phase, [])))
            out.append(Fact("scenario", phase, m.group(1), (key,), pool, (ln,), "Which AWS service should it use?"))
        return out

    def phase_twos(self) -> list[Fact]:
        out = []
        for phase, services in self.services.items():
            line = self._service_line(phase)
            if len(services) < 2 or line is None:
                continue
            work = self._work(phase)
            for a, b in itertools.pairwise(services):
                out.append(
                    Fact(
                        "phase_two",
                        phase,
                        f"The team's work: {work}",
                        (a, b),
                        tuple(self._other_services(phase)),
                        (line,),
                        "Which TWO AWS services support this work? (Choose TWO.)",
                    )
                )
        return out

    def ordering(self, rng: random.Random) -> Fact | None:
        if len(self.steps) < 4:
            return None
        chosen = sorted(rng.sample(self.steps, 4))
        keys = tuple(f"{name}: {desc}" for _, name, desc, _ in chosen)
        return Fact(
            "ordering",
            PIPELINES,
            "typical AWS ML pipeline",
            keys,
            (),
            tuple(ln for *_, ln in chosen),
            "Put these steps of a typical AWS ML pipeline in order, first to last.",
        )


def _mentions(text: str, service: str) -> bool:
    core = service.removeprefix("Amazon ").removeprefix("AWS ")
    short = core.removeprefix("SageMaker ")
    return core in text or (short != core and f"SageMaker {short}" in text) or service in text


def _blank(text: str, service: str) -> str:
    for name in (service, service.removeprefix("Amazon ").removeprefix("AWS ")):
        text = text.replace(name, "[a service]")
    return re.sub(
        r"SageMaker (?:Endpoint|Model Monitor|Training Jobs|Feature Store|Model Registry|Processing)",
        "[a service]",
        text,
    )
