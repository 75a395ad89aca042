"""Exam topics ("phases"): the app's fixed vocabulary, and matching free-text topics to known ones.

`PHASES` is the vocabulary the exam generator, the question bank and the review view group by (the
seven lifecycle phases of the guide, plus one group for the pipeline/MLOps material and one for the
exam-technique tips). Question files written elsewhere name topics in their own words ("business_problem",
"6. Model Deployment", "Security"): `match_topic` maps such a name onto a list of known topics (these
phases, or the headings of whatever corpus is loaded) when it clearly names one, and returns None
otherwise, so callers can keep the name as given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

PHASES: tuple[str, ...] = (
    "Business Problem Definition",
    "Data Collection and Integration",
    "Data Preprocessing and Feature Engineering",
    "Model Training",
    "Model Evaluation",
    "Model Deployment",
    "Model Monitoring and Maintenance",
    "ML Pipelines and MLOps",
    "Exam Strategy",
)

_NUMBERING = re.compile(r"^\s*(?:(?:phase|step|part|chapter|section)\s*)?(\d+)\s*[.:)\-]?\s*", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")


def topic_key(name: str) -> str:
    """What a topic name says, for comparing: case, numbering, `_`/`-` and punctuation ignored.
    '6. Model Deployment', 'model_deployment' and 'Phase 6: model deployment' -> 'model deployment'."""
    text = _NUMBERING.sub("", name.replace("_", " ").replace("-", " "), count=1)
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _number(name: str) -> str | None:
    m = _NUMBERING.match(name)
    return m.group(1) if m else None


def match_topic(name: str | None, topics: Sequence[str]) -> str | None:
    """The one topic of `topics` that `name` names, else None. In order: the same words
    ('business problem definition'), a bare number ('6' -> the topic numbered 6), or the only topic
    whose words include all of name's words ('deployment' -> '6. Model Deployment'). Ambiguous: None."""
    if not name or not name.strip():
        return None
    key = topic_key(name)
    if not key:
        numbered = [t for t in topics if _number(t) == _number(name)]
        return numbered[0] if len(numbered) == 1 else None
    same = [t for t in topics if topic_key(t) == key]
    if same:
        return same[0]
    words = set(key.split())
    wider = [t for t in topics if words <= set(topic_key(t).split())]
    return wider[0] if len(wider) == 1 else None


def known_phase(name: str | None) -> str | None:
    """The canonical phase `name` names ('training', '4', '4. Model Training', 'model_training'), or None."""
    if not name or not name.strip():
        return None
    key = name.strip().rstrip(".")
    if key.isdigit():
        return PHASES[int(key) - 1] if 1 <= int(key) <= len(PHASES) else None
    hit = match_topic(name, PHASES)
    if hit:
        return hit
    # Word beginnings ('eval', 'preproc'), at least three letters each, when only one phase has them all.
    words = topic_key(name).split()
    if not words or any(len(w) < 3 for w in words):
        return None
    partial = [p for p in PHASES if all(any(v.startswith(w) for v in topic_key(p).split()) for w in words)]
    return partial[0] if len(partial) == 1 else None


def normalize_phase(name: str) -> str:
    """Map a user-typed phase ("training", "4", "Model Training") to its canonical name, or raise."""
    phase = known_phase(name)
    if phase is None:
        msg = f"Unknown phase {name!r}. Known phases: {', '.join(PHASES)}"
        raise ValueError(msg)
    return phase


def markdown_headings(text: str) -> list[str]:
    """The heading texts of a Markdown document, in order ('### 6. Model Deployment' -> '6. Model Deployment')."""
    return [m.group(1) for line in text.splitlines() if (m := _HEADING.match(line))]
