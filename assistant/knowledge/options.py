"""Scoring answer candidates (MCQ options, or every entity of the asked type) against a question with
the knowledge store.

An option is linked to entities by name ("Amazon SageMaker Model Monitor with drift detection and
alerts" -> Model Monitor). Its evidence is the statements about those entities (guide lines that name
it or stand under its heading, glossary "what it is" and "use when" cues), or, for an option that names
no entity ("Go back to data preparation"), the statements that contain its words. The words of an
option's entity name are evidence only in statements about that entity ("Model Monitor" is not backed
by Edge Manager's "... monitoring of ML models"). An activity that a
guide line states ("Determine if ML is the right approach") also draws, at INHERIT, on the cues of the
heading that line stands under, so a scenario that describes a phase finds that phase's activities.
The option's score is how well its best evidence matches the question: embedding similarity plus word
overlap, with a bonus for the documents' own "situation -> answer" lines and the glossary's "use when"
cues (both are written as scenarios). Corrections: an entity the corpus talks about often has more
chances to match by accident (FREQ_DISCOUNT per log of its statements); a "not for" cue that matches
better; an option that only repeats an entity the situation already names (ECHO_PENALTY); an option
the guide lists under a heading the question names (MEMBER_BONUS). A question that asks what comes
FIRST / NEXT / BEFORE / LAST is answered from the documents' sequences: the sequence whose title the
question names, the options' steps in it (named entity, step words, or the heading of the guide line
the option matches), and the step the situation is at; after a setback ("accuracy dropped") the next
move is a remedy, so the following step gets no bonus. For "(Select TWO.)" the stem's needs (its clauses,
`needs`) are scored one by one (`need_scores`), so a pair can be chosen that answers two of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np

from assistant.knowledge.model import SUPPORTING
from assistant.knowledge.service import KnowledgeBase
from assistant.knowledge.words import content

# Chosen on the dev split (evals/dev/mcq.jsonl); see README "Measured quality".
OVERLAP_WEIGHT = 0.35  # word overlap of question and statement, next to embedding similarity
FREQ_DISCOUNT = 0.05  # per log(1 + statements about the entity)
LEXICAL_SUPPORT = 0.5  # share of an option's content words a statement must hold to count as its evidence
NOT_FOR_PENALTY = 0.5  # weight of a "not for" cue that matches the question better than any positive one
UNKNOWN = -0.5  # an option the corpus says nothing about
ORDER_BONUS = 0.3
SHARED_DISCOUNT = 1.5  # a line naming n other entities supports each with weight 1 / (1 + 1.5 n)
PARAPHRASE_FLOOR = 0.6  # cosine of option and statement below which they say different things
PARAPHRASE_WEIGHT = 1.0  # a statement about n entities supports each with weight 1 / (1 + 0.15 (n - 1))

INHERIT = 0.7  # an activity option matching a guide line also draws on its heading entity's cues, at this share
ECHO_PENALTY = 0.1  # an option whose every entity the situation already names ("Model Monitor reports drift")
USE_BONUS = 0.1  # a glossary "use when" cue (written as a scenario), over other statements equally close
MEMBER_BONUS = 0.2  # an option the guide lists under a heading the question names ("... for the Model Training phase")
MAPPING_BONUS = 0.1  # a documents' own "situation -> answer" line, over other statements equally close
NEED_MIN_WORDS = 5  # a clause shorter than this states no need of its own ("and it works")
SCENARIO_WEIGHT = 0.5  # share of the situation alone in the question's similarity to a statement
# How exam questions ask (plain English, no guide's words): these say what kind of answer is wanted,
# not which one, so they do not count as overlap with a statement.
ASK_WORDS = frozenset(
    content(
        "which what aws amazon service services tool should would use company team try choose pick select recommend best fit fits"
    )
)
_FIRST = re.compile(r"\b(first|initial|begin|start)\b", re.IGNORECASE)
_NEXT = re.compile(r"\b(next|after(?:wards)?|then|following|subsequent)\b", re.IGNORECASE)
_BEFORE = re.compile(r"\b(before|prior|precede[sd]?|earlier)\b", re.IGNORECASE)
_LAST = re.compile(r"\b(last|final)\b", re.IGNORECASE)
# The step a NEXT / BEFORE question is relative to: the words after "after", "before", "follows" ...
_REFERENCE = re.compile(r"\b(?:after|before|follows?|precedes?)\s+((?:[\w-]+\s*){1,4})", re.IGNORECASE)
# A situation that went wrong: the next move is a remedy (back to an earlier step, retrain), not the
# step that follows in the sequence (plain English outcome words, not the guide's).
_SETBACK = re.compile(
    r"\b(poor(?:ly)?|worse|below|low(?:er)?|drop(?:s|ped|ping)?|f[ae]ll(?:s|en|ing)?|degrad\w*|declin\w*|"
    r"fail(?:s|ed|ing)?|underperform\w*|disappoint\w*)\b",
    re.IGNORECASE,
)


@dataclass
class Evidence:
    score: float
    statement: int | None  # the statement that best supports the option, for notes and citations
    entities: list[str] = field(default_factory=list)
    why: str = ""  # "entity", "words", "order", "unknown"
    guide_statement: int | None = None  # the best supporting statement of the guide itself, if any
    anchors: list[str] = field(default_factory=list)  # entities it stands for (see `anchors`)
    support: dict[int, float] = field(default_factory=dict, repr=False)  # statement -> how much it backs the option


def option_evidence(kb: KnowledgeBase, question: str, options: Mapping[str, str]) -> dict[str, Evidence]:
    scenario = _scenario(question)
    sims = kb.similarity(question)
    situation = kb.similarity(scenario) if scenario != question else sims
    if SCENARIO_WEIGHT and scenario != question:
        sims = (1 - SCENARIO_WEIGHT) * sims + SCENARIO_WEIGHT * situation
    relevance = sims + OVERLAP_WEIGHT * _overlaps(kb, content(question) - ASK_WORDS)
    roles = [s.role for s in kb.kb.statements]
    relevance += np.array(
        [MAPPING_BONUS * (r == "mapping") + USE_BONUS * (r == "use") for r in roles], dtype=np.float32
    )
    at = situation + OVERLAP_WEIGHT * _overlaps(kb, content(scenario) - ASK_WORDS)  # where the situation stands
    letters = list(options)
    option_sims = kb.encode([options[k] for k in letters]) @ kb.vectors.T if len(kb.vectors) else None
    named = set(kb.linker.ids(scenario)) if scenario != question else set()
    out = {
        k: _one(kb, options[k], relevance, None if option_sims is None else option_sims[n], named)
        for n, k in enumerate(letters)
    }
    _apply_membership(kb, question, out)
    _apply_order(kb, question, options, out, at)
    return out


def _apply_membership(kb: KnowledgeBase, question: str, out: dict[str, Evidence]) -> None:
    """MEMBER_BONUS for an option the guide names in a line under a heading the question names."""
    # Headings only: a generic name in the question ("AWS service") is no place in the guide.
    headings = {e for e in kb.linker.ids(question) if kb.entity(e).heading}
    if not MEMBER_BONUS or not headings:
        return
    listed = _listed(kb)
    for e in out.values():
        ids = set(e.entities) - headings
        if ids and any(ids & listed.get(h, set()) for h in headings):
            e.score += MEMBER_BONUS


_LISTED: WeakKeyDictionary[KnowledgeBase, dict[str, set[str]]] = WeakKeyDictionary()


def _listed(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Heading entity -> the entities the guide names in lines under it (built once per store)."""
    if kb not in _LISTED:
        table: dict[str, set[str]] = {}
        for s in kb.kb.statements:
            if s.doc_kind != "glossary":
                for h in s.context:
                    table.setdefault(h, set()).update(s.entities)
        _LISTED[kb] = table
    return _LISTED[kb]


def _overlaps(kb: KnowledgeBase, words: set[str]) -> np.ndarray:
    return np.array([kb.overlap(words, i) for i in range(len(kb.kb.statements))], dtype=np.float32)


def _specificity(s, ids: set[str]) -> float:
    """How much a statement about the option's entity says about *it*: fully when it is the entity's
    own entry or heading, or names nothing else; less when it is one of several names in a line."""
    if ids & set(s.context):
        return 1.0
    others = (set(s.entities) | set(s.context)) - ids
    return 1.0 / (1.0 + SHARED_DISCOUNT * len(others))


def _direct_support(kb: KnowledgeBase, option: str, ids: list[str], option_sims: np.ndarray | None) -> dict[int, float]:
    """Statement -> how much it supports the option: statements about the option's entity (in
    proportion to how much of the option the name is, and to how specific the statement is to that
    entity), and any statement that says the option in other words (word overlap, or embedding
    similarity of option and statement above PARAPHRASE_FLOOR)."""
    statements = kb.kb.statements
    words = content(option)
    support: dict[int, float] = {}
    name_share, rest = 0.0, words
    if ids:
        _, name_share = kb.linker.coverage(option)
        # Words beside the name count when the documents use them about the entity ("Model Monitor
        # with drift detection"), not when they describe another action ("train on old claims with X").
        rest = words - {w for e in ids for a in kb.linker.aliases_of(e) for w in a}
        profile = kb.profile(set(ids))
        idf = kb.idf
        other = sum(idf.get(w, 1.0) for w in rest & profile) / sum(idf.get(w, 1.0) for w in rest) if rest else 1.0
        for i in kb.statements_about(set(ids)):
            support[i] = _specificity(statements[i], set(ids)) * (name_share + (1.0 - name_share) * other)
    # The name's own words are no evidence in a statement about something else ("Model Monitor" in
    # "Edge Manager ... monitoring of ML models"): elsewhere only the option's other words count.
    named = set(support)
    for i, s in enumerate(statements):
        if s.role not in SUPPORTING or s.split:
            continue
        scale = 1.0 if i in named else 1.0 - name_share
        here = words if i in named else rest
        share = kb.overlap(here, i) if here else 0.0
        para = 0.0
        if option_sims is not None and option_sims[i] > PARAPHRASE_FLOOR:
            para = (float(option_sims[i]) - PARAPHRASE_FLOOR) / (1.0 - PARAPHRASE_FLOOR)
        best = scale * max(share if share >= LEXICAL_SUPPORT else 0.0, PARAPHRASE_WEIGHT * para)
        if best > support.get(i, 0.0):
            support[i] = best
    return support


def anchors(kb: KnowledgeBase, ids: list[str], support: Mapping[int, float]) -> list[str]:
    """Entities an option stands for: those it names, and the heading entities of the guide lines that
    say it ("Gather relevant data from databases..." stands under the phase it belongs to)."""
    out = list(ids)  # named entities first: they place the option before any heading does
    for i, v in sorted(support.items(), key=lambda iv: -iv[1]):
        s = kb.kb.statements[i]
        if s.doc_kind != "glossary" and (v >= LEXICAL_SUPPORT or set(ids) & set(s.entities)):
            out += [e for e in s.context if e not in out]
    return out


def _inherit(kb: KnowledgeBase, ids: list[str], support: dict[int, float]) -> None:
    """An activity option borrows the cues of the heading entity of the guide line it matches
    ("Determine if ML is the right approach" -> that phase's "use when" cues), at INHERIT of the
    match, so a scenario that describes the phase finds its activities."""
    if not INHERIT:
        return
    statements = kb.kb.statements
    for i, v in list(support.items()):
        s = statements[i]
        if v < LEXICAL_SUPPORT or s.doc_kind == "glossary":
            continue
        parents = set(s.context) - set(ids)
        if not parents:
            continue
        for j in _about(kb, frozenset(parents)):
            w = INHERIT * v * _specificity(statements[j], parents)
            if w > support.get(j, 0.0):
                support[j] = w


_ABOUT: WeakKeyDictionary[KnowledgeBase, dict[frozenset[str], list[int]]] = WeakKeyDictionary()


def _about(kb: KnowledgeBase, ids: frozenset[str]) -> list[int]:
    cache = _ABOUT.setdefault(kb, {})
    if ids not in cache:
        cache[ids] = kb.statements_about(set(ids))
    return cache[ids]


def _one(
    kb: KnowledgeBase, option: str, relevance: np.ndarray, option_sims: np.ndarray | None, named: set[str]
) -> Evidence:
    """An option's evidence: its best supporting statement by relevance x support, less a discount
    for how much the corpus says about it, a "not for" cue that matches the question better, and an
    echo of an entity the situation already names (the situation is not its own answer)."""
    ids, _ = kb.linker.coverage(option)
    statements = kb.kb.statements
    support = _direct_support(kb, option, ids, option_sims)
    if not support:
        return Evidence(UNKNOWN, None, ids, "unknown")
    n_direct = sum(1 for v in support.values() if v >= 0.5)
    anchored = anchors(kb, ids, support)
    _inherit(kb, ids, support)
    best_i = max(support, key=lambda i: relevance[i] * support[i])
    score = float(relevance[best_i] * support[best_i])
    # The guide's own word for the note: a line that names the entity, or says the option's words.
    from_guide = [
        i
        for i in support
        if statements[i].doc_kind != "glossary" and (support[i] >= LEXICAL_SUPPORT or set(ids) & statements[i].about())
    ]
    guide_i = max(from_guide, key=lambda i: relevance[i] * support[i]) if from_guide else None
    score -= FREQ_DISCOUNT * math.log(1 + n_direct)
    if ids:
        negatives = kb.statements_about(set(ids), roles=frozenset({"not_for"}))
        if negatives:
            worst = max(float(relevance[i]) for i in negatives)
            if worst > relevance[best_i]:
                score -= NOT_FOR_PENALTY * (worst - float(relevance[best_i]))
        if named and set(ids) <= named:
            score -= ECHO_PENALTY
    return Evidence(score, best_i, ids, "entity" if ids else "words", guide_i, anchored, support)


def step_position(kb: KnowledgeBase, seq, text: str, ids: list[str], anchored: list[str]) -> int | None:
    """Step index in `seq` an option refers to: by the entity it names, else by the step whose name's
    words it holds (idf-weighted share of at least LEXICAL_SUPPORT), else by the heading of the guide
    line it matches."""
    for eid in ids:
        pos = seq.position(eid)
        if pos is not None:
            return pos
    words = content(text)
    best, where = LEXICAL_SUPPORT, None
    for si, step in enumerate(seq.steps):
        step_words = content(step["text"].split(":")[0])
        total = sum(kb.idf.get(w, 1.0) for w in step_words)
        share = sum(kb.idf.get(w, 1.0) for w in words & step_words) / total if total else 0.0
        if share >= best:
            best, where = share, si
    if where is not None:
        return where
    for eid in anchored:
        pos = seq.position(eid)
        if pos is not None:
            return pos
    return None


def _apply_order(
    kb: KnowledgeBase, question: str, options: Mapping[str, str], out: dict[str, Evidence], at: np.ndarray
) -> None:
    """FIRST / LAST: the option earliest / latest in a sequence gets a bonus. NEXT / BEFORE: the step
    right after / before the one the question describes; not after a setback, whose next move is a
    remedy rather than the following step. The sequence is the one that places most options."""
    asks = asking_sentence(question).replace("of the following", "")
    nxt, before = _NEXT.search(asks), _BEFORE.search(asks)
    if nxt and _SETBACK.search(question):
        return
    placed, chosen = _placed(kb, question, options, out)
    if chosen is None:
        return
    wanted: int | None = None
    if nxt or before:
        current = _current_step(kb, question, chosen, at)
        if current is not None:
            wanted = current + 1 if nxt else current - 1
    elif _FIRST.search(asks):
        wanted = min(placed.values())
    elif _LAST.search(asks):
        wanted = max(placed.values())
    for k, p in placed.items():
        if wanted is not None and p == wanted:
            out[k].score += ORDER_BONUS
            out[k].why = "order"


def _placed(kb: KnowledgeBase, question: str, options: Mapping[str, str], out: dict[str, Evidence]):
    """The sequence the question is about and the options' steps in it: among the sequences that
    place at least two options, the one whose title shares the rarest words with the question, then
    the one that places most options; none when it places too few of them."""
    q_words = content(question) - ASK_WORDS
    best: tuple[float, int] = (-1.0, 0)
    placed: dict[str, int] = {}
    chosen = None
    for seq in kb.kb.sequences:
        here = {k: step_position(kb, seq, options[k], out[k].entities, out[k].anchors) for k in options}
        here = {k: p for k, p in here.items() if p is not None}
        key = (sum(kb.idf.get(w, 1.0) for w in q_words & content(seq.title)), len(here))
        # An order question orders its options: all of them, or all but one, stand in the sequence.
        if len(here) >= max(2, len(options) - 1) and key > best:
            best, placed, chosen = key, here, seq
    return placed, chosen


# Where a situation states a second need: ", and (later) wants ...", "; ...", a new sentence.
_NEED_SPLIT = re.compile(r"(?<=[.;!])\s+|,\s+(?:and|while|but)\s+", re.IGNORECASE)


def needs(question: str) -> list[str]:
    """The parts of a situation that each state something the answer must do: its sentences and
    clauses joined by ", and" (a "(Select TWO.)" stem often asks for two things at once); the asking
    sentence and parts of fewer than NEED_MIN_WORDS words are left out."""
    scenario = _scenario(question)
    if scenario == question:
        return []
    parts = [p.strip() for p in _NEED_SPLIT.split(scenario) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= NEED_MIN_WORDS]


def need_scores(kb: KnowledgeBase, question: str, evidence: Mapping[str, Evidence]) -> dict[str, list[float]]:
    """How well each option's own evidence matches each need of the question (see `needs`): an option
    is supported on its own for a need when one of its statements is relevant to that part."""
    parts = needs(question)
    if len(parts) < 2:
        return {}
    rel = [kb.similarity(p) + OVERLAP_WEIGHT * _overlaps(kb, content(p) - ASK_WORDS) for p in parts]
    return {
        k: [max((float(r[i]) * v for i, v in e.support.items()), default=UNKNOWN) for r in rel]
        for k, e in evidence.items()
    }


def _scenario(question: str) -> str:
    """The situation a question describes, without the sentence that asks ("Which AWS service should
    the company use?"), whose words match every statement about any service; the whole question when
    the situation is too short to stand alone."""
    asks = asking_sentence(question)
    rest = question[: question.rfind(asks)].strip() if asks != question.strip() else ""
    return rest if len(rest.split()) >= 8 else question


def asking_sentence(question: str) -> str:
    """The sentence that asks (the last one with a question mark, or the last sentence)."""
    parts = re.split(r"(?<=[.?!])\s+", question.strip())
    asks = [p for p in parts if "?" in p]
    return asks[-1] if asks else parts[-1]


def _current_step(kb: KnowledgeBase, question: str, seq, at: np.ndarray) -> int | None:
    """The step the scenario is at: the one the asking sentence names ("before deployment", "after
    the features are stored"), else the step whose own statements match the situation best (`at`:
    its similarity and overlap with each statement)."""
    asks = asking_sentence(question)
    for m in _REFERENCE.finditer(asks):
        pos = step_position(kb, seq, m.group(1), kb.linker.ids(m.group(1)), [])
        if pos is not None:
            return pos
    best, where = -1.0, None
    for i, step in enumerate(seq.steps):
        # Only the step's own lines and entry: a glossary entry of the next phase names this one
        # ("after Model Training") and would otherwise place the situation one step too far.
        own = set(step["entities"])
        about = [j for j in _about(kb, frozenset(own)) if own & set(kb.kb.statements[j].context)]
        score = max((float(at[j]) for j in about), default=-1.0)
        if score > best:
            best, where = score, i
    return where
