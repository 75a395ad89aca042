"""What the asking sentence of an exam question wants of its options, beyond "the best match".

The option scores (`assistant.knowledge.options`) say how well each option's evidence matches the
question. The asking sentence can turn that around or narrow it, in plain English that any exam uses:

- Against: "Which answer choice should be eliminated?", "Which is NOT ...", "... EXCEPT": the options
  that fit the question least are the ones asked for (`Ask.against`).
- Contrast: "Which TWO traits point to X rather than Y?" (also "instead of", "as opposed to"): an
  option counts for the side it is closest to, X's statements for, Y's against (`sides`, weighted
  CONTRAST); its match to the question, which describes the situation and not the traits, keeps only
  OWN_SHARE. The sides are the entities the two halves of the asking sentence name (`side_entities`).
- Order side: "Which TWO activities must happen before X?" ("after X"): an option that the documents'
  sequences place on the wrong side of X (or at X) is worth ORDER_SIDE less (`order_sides`). X is
  a step of a sequence named by its entity or by the words of its step name ("training" -> "Model
  Training"); an option is placed by the entities it names or stands for (its evidence's anchors).
- Coherence: a "(Select TWO.)" question whose situation states one need asks for two things of one
  kind ("Which TWO activities belong to this phase?"), so a pair whose evidence stands under the same
  heading of the documents is worth COHERENCE more (`homes`, used by `mcq.best_pair`).

Words here are how questions ask, never a guide's headings, phases or service names; the sides, steps
and headings come from the knowledge store. Weights are chosen on evals/dev.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from assistant.knowledge.options import Evidence, asking_sentence, step_position
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import content, tokens

CONTRAST = 1.0  # weight of (closeness to the wanted side's statements - to the other side's) ...
OWN_SHARE = 0.1  # ... next to this share of the option's own score, in a contrast question
ORDER_SIDE = 0.3  # an option the sequences place on the wrong side of a "before X" / "after X" step
COHERENCE = 0.1  # a pair of options whose evidence stands under one heading, when the situation states one need
NAME_SHARE = 0.5  # idf-weighted share of a name's words a text must hold to name it (a side of a contrast)

# The asker wants the options that do not fit: capitals for NOT / EXCEPT / LEAST, as exams write them.
_AGAINST_CAPS = re.compile(r"\b(NOT|EXCEPT|LEAST)\b")
_AGAINST = re.compile(
    r"\b(eliminated?|ruled?\s+out|does\s+not\s+(?:belong|fit|apply)|do\s+not\s+(?:belong|fit|apply)|"
    r"incorrect|false|inaccurate|untrue)\b",
    re.IGNORECASE,
)
# "Which of these is not ...", "Which TWO services do not ...": a lowercase "not" in the asking clause
# itself, before any condition ("Which service fits if the data is not labeled?" asks for a fit).
_AGAINST_ASK = re.compile(
    r"^\s*(?:which|what)\b(?:(?!\b(?:if|when|because|while|since|that|who|where|whose|unless)\b)[^?,])*?"
    r"\b(?:is|are|does|do|would|should|can|could)\s+not\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(?:rather\s+than|instead\s+of|as\s+opposed\s+to)\b|,\s+(?:and\s+)?not\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(?:before|prior\s+to|ahead\s+of)\s+((?:[\w-]+\s*){1,4})", re.IGNORECASE)
_AFTER = re.compile(r"\b(?:after|once|following)\s+((?:[\w-]+\s*){1,4})", re.IGNORECASE)


@dataclass
class Ask:
    """What the asking sentence wants: the options that fit least (`against`), the options about one
    side of a contrast (`want` over `avoid`), steps before (-1) or after (+1) a `reference`."""

    against: bool = False
    want: set[str] = field(default_factory=set)
    avoid: set[str] = field(default_factory=set)
    direction: int = 0
    reference: str = ""


def read_ask(kb: KnowledgeBase, question: str) -> Ask:
    asks = re.sub(r"\((?:choose|select|pick)\s+\w+\.?\)", "", asking_sentence(question), flags=re.IGNORECASE)
    ask = Ask(against=any(p.search(asks) for p in (_AGAINST_CAPS, _AGAINST, _AGAINST_ASK)))
    split = _CONTRAST.search(asks)
    if split:
        ask.want = side_entities(kb, asks[: split.start()])
        ask.avoid = side_entities(kb, asks[split.end() :]) - ask.want
    for pattern, direction in ((_BEFORE, -1), (_AFTER, 1)):
        m = pattern.search(asks)
        if m:
            ask.direction, ask.reference = direction, m.group(1)
            break
    return ask


def side_entities(kb: KnowledgeBase, text: str) -> set[str]:
    """The entities one side of a contrast names: linked by name, or whose name's words the text holds
    (an idf-weighted share of at least NAME_SHARE: "a real-time endpoint" names "Real-time inference"),
    unless a linked name holds them all ("AWS Glue" inside "AWS Glue DataBrew")."""
    toks, spans = tokens(text), kb.linker.find(text)
    found = {eid for eid, _, _ in spans}
    inside = [content(" ".join(toks[a:b])) for _, a, b in spans]
    words = content(text)
    for eid, entity in kb.kb.entities.items():
        name = content(entity.name)
        if _share(kb, words, name) >= NAME_SHARE and not any(name <= span for span in inside):
            found.add(eid)
    return found


def _share(kb: KnowledgeBase, words: set[str], name: set[str]) -> float:
    total = sum(kb.idf.get(w, 1.0) for w in name)
    return sum(kb.idf.get(w, 1.0) for w in words & name) / total if total else 0.0


def side(kb: KnowledgeBase, vector: np.ndarray, ids: set[str], other: set[str] = frozenset()) -> float:
    """How close an option is to what the documents say about the entities `ids` and not about
    `other` (a line about both sides, or one side's entry naming the other, says nothing of which
    side a trait belongs to): its best cosine with those supporting statements (0 without any)."""
    statements = kb.kb.statements
    about = [i for i in (kb.statements_about(ids) if ids else []) if not statements[i].about() & other]
    return max((float(kb.vectors[i] @ vector) for i in about), default=0.0)


def sides(kb: KnowledgeBase, ask: Ask, options: Mapping[str, str]) -> dict[str, float]:
    """CONTRAST x (closeness to the wanted side's statements - to the other side's), per option."""
    if not (ask.want and ask.avoid) or not CONTRAST:
        return {k: 0.0 for k in options}
    letters = list(options)
    vectors = kb.encode([options[k] for k in letters])
    return {
        k: CONTRAST * (side(kb, v, ask.want, ask.avoid) - side(kb, v, ask.avoid, ask.want))
        for k, v in zip(letters, vectors)
    }


def _step(kb: KnowledgeBase, seq, reference: str) -> int | None:
    """The step of `seq` a reference names: by an entity it links to, else by the words of a step's name
    (as an option is placed in a sequence, `options.step_position`)."""
    return step_position(kb, seq, reference, kb.linker.ids(reference), [])


def _placed(seq, e: Evidence) -> int | None:
    """The step an option stands at: the first of its named or anchored entities the sequence holds."""
    for eid in [*e.entities, *e.anchors]:
        pos = seq.position(eid)
        if pos is not None:
            return pos
    return None


def order_sides(kb: KnowledgeBase, ask: Ask, evidence: Mapping[str, Evidence]) -> dict[str, float]:
    """-ORDER_SIDE for an option that some sequence holding the reference step places at it or on the
    wrong side of it, and no sequence places on the right side."""
    out = {k: 0.0 for k in evidence}
    if not ask.direction or not ORDER_SIDE:
        return out
    for k, e in evidence.items():
        wrong = right = False
        for seq in kb.kb.sequences:
            ref, pos = _step(kb, seq, ask.reference), _placed(seq, e)
            if ref is None or pos is None:
                continue
            if (pos - ref) * ask.direction > 0:
                right = True
            else:
                wrong = True
        if wrong and not right:
            out[k] = -ORDER_SIDE
    return out


def rescore(
    kb: KnowledgeBase,
    question: str,
    options: Mapping[str, str],
    evidence: Mapping[str, Evidence],
    scores: Mapping[str, float],
    n: int,
) -> tuple[Ask, dict[str, float]]:
    """What the asking sentence wants, and the options' scores corrected for it: in a contrast the
    side an option is about decides (its own match to the question, which describes the situation
    and not the traits, keeps OWN_SHARE); for a question with several answers ("which TWO ... before
    X"), the order sides."""
    ask = read_ask(kb, question)
    out = dict(scores)
    if ask.want and ask.avoid and CONTRAST:
        contrast = sides(kb, ask, options)
        out = {k: OWN_SHARE * v + contrast[k] for k, v in out.items()}
    if n > 1:
        order = order_sides(kb, ask, evidence)
        out = {k: v + order[k] for k, v in out.items()}
    return ask, out


def homes(kb: KnowledgeBase, evidence: Mapping[str, Evidence]) -> dict[str, set[str]]:
    """Option -> the headings its evidence stands under: the heading entities among what it stands for
    (`Evidence.anchors`) and around the statement that decided it."""
    statements = kb.kb.statements
    out: dict[str, set[str]] = {}
    for k, e in evidence.items():
        near = set(e.anchors) | (set(statements[e.statement].context) if e.statement is not None else set())
        out[k] = {c for c in near if kb.entity(c).heading}
    return out
