"""The explanations a learner reads after answering: why the key is right and why each distractor is not,
each quoting the documents about the very thing the option names.

- A definition is framed by its shape ("A catalog of ..." -> "X is a catalog of ...", "Tracks and
  compares ..." -> "X tracks and compares ...") and checked with the exam grammar rules; a shape we cannot
  frame, or a framing the check flags, is quoted under a label instead ('the glossary entry "X" says: ...').
- An option's entry is the one the option names (an exact name or alias), never a related entity the
  linker also finds ("Experiment tracking" is not "SageMaker Experiments").
- Exam-technique cue lines ("the question says ...") are never quoted.
- A distractor's explanation says what it is and which need of the stem it does not meet: a step of a
  sequence by its position, an entry by its definition and the key's cue, anything else by what the
  documents say of it.
"""

from __future__ import annotations

import re

from assistant.knowledge.model import Sequence, Statement
from assistant.knowledge.service import KnowledgeBase
from assistant.services.exam import grammar
from assistant.services.exam.facts import Fact, _label
from assistant.services.exam.stems import is_meta
from assistant.services.text import sentences

_QUOTED = re.compile(r"“[^”]*”")
# A plural noun, not a verb, can end in these ("analytics", "settings", "bus", "class").
_NOT_VERB_ENDINGS = ("ss", "us", "is", "cs", "ings", "'s", "’s")
_SINGULAR_S = frozenset({"series", "species", "means", "news"})
_BOUNDARY = grammar.PREPOSITIONS | {"in", "on", "at", "as", "that", "which", "who", "whose", "where", "when", "such"}
_BOUNDARY |= {"before", "after", "under", "over", "about", "through", "so", "while", "and"}


def first_sentence(text: str) -> str:
    found = sentences(text.strip())
    out = (found[0] if found else text).strip()
    return out if out.endswith((".", "!", "?")) else out + "."


def _lower_word(word: str) -> str:
    """ "A" -> "a", "Tracks" -> "tracks"; a name keeps its case ("SageMaker's", "AWS", "S3")."""
    core = re.sub(r"['’]s$", "", word)
    return word[0].lower() + word[1:] if core[1:].islower() or len(core) == 1 else word


def _plural_head(ws: list[str]) -> bool:
    """The head noun of a leading noun phrase is plural: the last word before a preposition, a relative
    word, an "-ing" word, an article or a colon, past any "-ed" word ("the measurable targets agreed in")."""
    phrase: list[str] = []
    for n, raw in enumerate(ws):
        w = raw.strip(",.:;()").casefold()
        after_adjective = n > 0 and ws[n - 1].casefold().endswith("ed")  # "managed training runs"
        stop = w in _BOUNDARY or (n > 0 and (w in grammar.ARTICLES or (w.endswith("ing") and not after_adjective)))
        if stop:
            break
        phrase.append(w.strip(":;("))
        if raw.endswith((":", ";")) or raw.startswith("("):
            break
    words_ = [w for w in phrase if not w.endswith("ed")]
    head = words_[-1] if words_ else ""
    return head.endswith("s") and not head.endswith(_NOT_VERB_ENDINGS) and head not in _SINGULAR_S


def definition_shape(text: str) -> str:
    """ "noun" (a noun phrase, a gerund or a wh-clause: framed after "is"), "verb" (a verb phrase with no
    subject: framed after the name), "plural" (a plural noun phrase) or "sentence" (a subject of its own,
    or a leading prepositional phrase); the last two are quoted."""
    ws = text.split()
    if not ws:
        return "sentence"
    first = ws[0].strip(",:;")
    low = first.casefold()
    if low in grammar.PREPOSITIONS | {"in", "on", "at", "as"}:
        return "sentence"  # "Of the items the model labeled positive, the share ..." reads only as a quote
    if low in grammar.ARTICLES | grammar.NOUN_STARTERS or re.search(r"['’]s$", first):
        return "plural" if _plural_head(ws) else "noun"
    if first[1:] != first[1:].lower() or (len(ws) > 1 and ws[1][:1].isupper() and not ws[1][:1].isdigit()):
        return "sentence"  # "Step Functions orchestrates ...", "SageMaker Pipelines runs ..."
    if low.endswith("s") and not low.endswith(_NOT_VERB_ENDINGS) and len(low) > 3:
        return "verb"
    if low.endswith("ing"):
        return "noun"  # a gerund phrase is singular: "Tracking changes to data ..."
    return "plural" if _plural_head(ws) else "noun"  # "managed jobs that run ...": "X is managed jobs" does not agree


def frame(name: str, definition: str, doc_kind: str = "glossary") -> str:
    """One grammatical sentence that says what `name` is, from the first sentence of its definition."""
    text = first_sentence(definition)
    shape = definition_shape(text)
    head, _, rest = text.partition(" ")
    lowered = f"{_lower_word(head)} {rest}".strip()
    framed = {"noun": f"{name} is {lowered}", "verb": f"{name} {lowered}"}.get(shape)
    if framed and grammar.explanation_problem(framed) is None:
        return framed
    return f"The {doc_kind} entry “{name}” says: “{text.rstrip('.')}”."


class Explainer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    # -- look-ups -------------------------------------------------------------------------------
    def entry_of(self, name: str) -> str | None:
        """The entity the option names: the one whose name, then whose alias, is the option's text; a lone
        link covering the whole text otherwise; None when the text names no entry of its own."""
        ids, share = self.kb.linker.coverage(name)
        ents = [self.kb.kb.entities[i] for i in ids if i in self.kb.kb.entities]
        key = name.casefold().strip()
        for match in (lambda e: e.name.casefold() == key, lambda e: key in {a.casefold() for a in e.aliases}):
            hit = next((e.id for e in ents if match(e)), None)
            if hit:
                return hit
        return ents[0].id if len(ents) == 1 and share >= 1.0 else None

    def key_statement(self, i: int, key: str) -> Statement | None:
        """What to quote for the key: the cited line, unless it is exam technique ("the question says ...");
        then the key's definition; None when neither is there."""
        s = self.kb.quotable(i) or self.kb.kb.statements[i]
        if not _technique(s):
            return s
        eid = self.entry_of(key)
        return self.kb.what_is(eid) if eid else None

    # -- explanations -----------------------------------------------------------------------------
    def why_key(self, i: int, key: str) -> str:
        s = self.key_statement(i, key)
        if s is None:
            return f"Correct: the documents tie this need to {key}."
        text = first_sentence(s.text).rstrip(".") if s.role == "what" else s.text.rstrip(".")
        return f"Correct: under “{s.leaf}” the {s.doc_kind} says: “{text}”."

    def why_not(self, name: str, f: Fact, key_support: dict[str, int]) -> str:
        """Why `name` is not the key of `f`: what it is (its own entry, its step, or what the documents say
        of it) and which need of the stem it does not meet."""
        seq = self._sequence_reason(name, f)
        if seq:
            return f"Not the best fit: {seq}"
        eid = self.entry_of(name)
        contrast = self._contrast(eid, f.keys)
        if contrast and not contrast.startswith(f"under “{self.kb.kb.entities[eid].name}”"):
            return f"Not the best fit: {contrast}"  # the key's own entry says how the option differs
        what = self.kb.what_is(eid) if eid else None
        said = frame(name, what.text, what.doc_kind) if what else self._said_of(name)
        if contrast:  # the option's entry contrasts it with the key: say first what the option is
            return f"Not the best fit: {said} U{contrast[1:]}" if said else f"Not the best fit: {contrast}"
        need = self._need_sentence(name, f, key_support)
        return " ".join(p for p in (f"Not the best fit: {said}" if said else "Not the best fit.", need) if p)

    def _contrast(self, eid: str | None, keys: tuple[str, ...]) -> str | None:
        """A "confused with" line that sets this option apart from a key: the key's entry about the option,
        else the option's entry about the key, quoted under the entry it stands in."""
        if eid is None:
            return None
        pairs = [(self.entry_of(k), eid) for k in keys] + [(eid, self.entry_of(k)) for k in keys]
        for owner, other in pairs:
            entity = self.kb.kb.entities.get(owner) if owner else None
            for c in entity.fields.get("contrast", []) if entity and other else []:
                if self.entry_of(c.split(" — ")[0]) == other:
                    return f"under “{entity.name}” the {_kind_of(entity.origin)} tells the two apart: “{c}”."
        return None

    def _need_sentence(self, name: str, f: Fact, key_support: dict[str, int]) -> str:
        """Which need of the stem the option misses: the cue the stem was worded from (a symptom for a
        remedy item, a requirement otherwise), quoted where it stands; for two keys, both keys named."""
        if len(f.keys) > 1:
            return f"The documents tie the needs in the question to {' and '.join(f.keys)}, not to {name}."
        i = f.support[0] if f.needs else key_support.get(f.keys[0])
        s = self.kb.quotable(i) or self.kb.kb.statements[i] if i is not None else None
        if s is None or s.role == "what" or _technique(s):
            return f"The documents tie the need in the question to {f.keys[0]}, not to {name}."
        return f"It does not fit what the question describes; the {s.doc_kind} has that under “{s.leaf}”: “{s.text.rstrip('.')}”."

    def _said_of(self, name: str) -> str | None:
        """A line of the documents that names the option (a pipeline step's own line first), quoted."""
        pat = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
        hits = [
            s for s in self.kb.kb.statements if s.role in {"step", "fact", "list", "definition"} and pat.search(s.text)
        ]
        hits = [s for s in hits if not _technique(s) and not s.text.rstrip().endswith(":")]
        if not hits:
            return None
        s = min(hits, key=lambda s: (not s.text.casefold().startswith(name.casefold()), s.doc_kind != "guide", s.id))
        return f"under “{s.leaf}” the {s.doc_kind} says: “{s.text.rstrip('.')}”."

    # -- sequences ----------------------------------------------------------------------------------
    def _sequence_reason(self, name: str, f: Fact) -> str | None:
        """A step of the sequence the key stands in: its position, and the step the question asks for."""
        if f.type != "single" or "sequence" not in f.slots:
            return None
        for q in self.kb.kb.sequences:
            labels = [_label(s["text"]) for s in q.steps]
            if name not in labels or f.keys[0] not in labels:
                continue
            x, k, n, seq = labels.index(name), labels.index(f.keys[0]), len(labels), f.slots["sequence"]
            where = f"in the {seq}, “{name}” is step {x + 1} of {n}"
            if f.family == "next_step" and k > 0:
                why = f"{where}, not the step right after “{labels[k - 1]}” (step {k}), which is “{f.keys[0]}”."
            elif f.family == "first_step":
                why = f"{where}; the first step is “{f.keys[0]}”."
            else:
                why = f"{where}; the documents list this activity under “{f.keys[0]}” (step {k + 1})."
            return f"{why}{self._step_line(q, x, name)}"
        return None

    def _step_line(self, q: Sequence, x: int, name: str) -> str:
        """What the sequence's own line says of the step, when it says more than its name."""
        text = q.steps[x]["text"].strip()
        rest = text.split(":", 1)[1].strip() if ":" in text[:60] else ""
        said = f" The {self.kb.doc_kind(q.source)} says of it: “{text.rstrip('.')}”."
        return said if rest and name in text else ""


def _kind_of(origin: str) -> str:
    return "glossary" if origin == "glossary" else "guide"


def _technique(s: Statement) -> bool:
    """A line written for exam technique ("the question says ...", "a question asks about ... → Answer:");
    a line about a user's question ("a user sends a question") is content."""
    return is_meta(s.text)
