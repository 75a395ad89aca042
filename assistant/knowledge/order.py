"""Orders the documents state, checked in a sentence: a claimed order between two steps of one
sequence ("X comes after Y", "X feeds Y", "After Y, X", "X, then Y"), neighbours ("right after",
"next"), and a claimed first or last step. Steps are found by their entities, by a step entity's name
that spells the step's label ("Training step"), or by the words of the label ("registered")."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.knowledge.model import Sequence
from assistant.knowledge.words import claim_words, content, covered, tokens
from assistant.services.text import clean, content_stems

# Order words. With _BEFORE the step named first is the earlier one: "X before Y", "X feeds Y", "X, then Y",
# "X happens, and Y afterwards"; with _AFTER the later one. _NEXT claims the two are neighbours.
_BEFORE = re.compile(
    r"\b(before|precedes?|preceding|prior to|earlier than|ahead of|feeds|fed into|hands|passes|sends|leads to"
    r"|followed by|then|afterwards?)\b",
    re.IGNORECASE,
)
_NEXT = re.compile(r"\b(right|immediately|directly|just) (before|after)\b|\b(next)\b", re.IGNORECASE)
ORDER_REST = 1  # words a sentence may add to an order it claims and still be checked by the order alone
_ENDS = re.compile(r"\b(first|initial|begins|starts|final|last|ends)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(after|follows?|following|later than|once)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")


class OrderCheck:
    def __init__(self, kb, name_words: Callable[[set[str]], set[str]]) -> None:  # kb: KnowledgeBase
        self.kb = kb
        self.name_words = name_words  # the content words of entities' names and aliases

    def check(self, sentence: str, ids: set[str]) -> tuple[bool, str] | None:
        """A claimed order between two steps of one sequence, or a claimed first / last step,
        checked against the sequence."""
        before, after = _BEFORE.search(sentence), _AFTER.search(sentence)
        end = _ENDS.search(sentence)
        if end and not (before or after):
            for seq in self.kb.kb.sequences:
                spots = {p for _, p in self._placed(sentence, seq, labels=False, texts=False)}
                if len(spots) == 1:
                    want = 0 if end.group(1).lower() in ("first", "initial", "begins", "starts") else len(seq.steps) - 1
                    if spots.pop() != want:
                        return (False, f"it is not the {end.group(1).lower()} step of “{seq.title}”")
                    if self._only_position(sentence, ids, seq):
                        return (True, "")
            return None
        if not (before or after):
            return None
        for seq in self.kb.kb.sequences:
            placed = self._placed(sentence, seq, labels=len(ids) < 2)
            if len({p for _, p in placed}) < 2:
                continue
            claims_first_earlier = bool(before) and not (after and after.start() < before.start())
            # The order word relates the steps named on either side of it ("X comes after Y"), or, when it
            # leads ("After Y, X"), the first two after it.
            marker = min((m for m in (before, after) if m), key=lambda m: m.start())
            pair = _around(placed, len(tokens(sentence[: marker.start()])))
            if pair is None:
                continue
            first, second, leading = pair
            claims_first_earlier = claims_first_earlier != leading
            if claims_first_earlier != (first < second):
                return (False, f"the order in “{seq.title}” is the other way round")
            if _NEXT.search(sentence) and abs(first - second) != 1:
                return (False, f"in “{seq.title}” the two are not next to each other")
            if not self._only_order(sentence, ids, seq):
                return None  # it says more than the order: that must be supported like any sentence
            return (True, "")
        return None

    def _only_order(self, sentence: str, ids: set[str], seq: Sequence) -> bool:
        """The sentence says little more than an order of steps: besides the steps' and the sequence's
        words and the order words, at most ORDER_REST words."""
        said = set().union(*(content(step["text"]) for step in seq.steps))
        marks = content(" ".join(m.group(0) for r in (_BEFORE, _AFTER, _NEXT, _ENDS) for m in r.finditer(sentence)))
        rest = claim_words(sentence) - self.name_words(ids) - content(seq.title) - said - marks
        return len(rest) <= ORDER_REST

    def _only_position(self, sentence: str, ids: set[str], seq: Sequence) -> bool:
        """The sentence says no more than where a step stands in the sequence: it names the step and
        the sequence, and at most one other word ("phase", "step") beside theirs."""
        steps = {e for step in seq.steps for e in step["entities"]}
        title = set(self.kb.linker.ids(seq.title))
        if not ids <= steps | title:
            return False
        said = set().union(*(content(step["text"]) for step in seq.steps if set(step["entities"]) & ids))
        rest = claim_words(sentence) - self.name_words(ids) - content(seq.title) - said
        rest -= content(_ENDS.search(sentence).group(0)) if _ENDS.search(sentence) else set()
        return len(rest) <= 1

    def _position(self, eid: str, seq: Sequence, *, texts: bool = True) -> int | None:
        """Where an entity stands in a sequence: a step it is linked to, the one step whose text names
        it, or the step whose label its name spells out with at most one word more ("Training step" for
        a step labelled "Training:")."""
        at = seq.position(eid)
        if at is not None:
            return at
        # Named in the text of exactly one step ("... is deployed to a SageMaker Endpoint"); not for a
        # claimed first or last step, where a thing a step merely uses ("test data") is not the step.
        named = [pos for pos, step in enumerate(seq.steps) if texts and eid in self.kb.linker.ids(step["text"])]
        if len(named) == 1:
            return named[0]
        names = [content_stems(a) for a in [*self.kb.entity(eid).aliases[:1], self.kb.entity(eid).name]]
        for pos, step in enumerate(seq.steps):
            label = set(content_stems(step["text"].split(":")[0])) if ":" in step["text"] else set()
            if label and any(label <= set(n) and len(set(n) - label) <= 1 for n in names):
                return pos
        return None

    def _placed(self, sentence: str, seq: Sequence, *, labels: bool, texts: bool = True) -> list[tuple[int, int]]:
        """(token where it is named, step position) of the steps the sentence names, in sentence order:
        by linked entity, or (`labels`) by every content word of a step's label ("Model Registry:")."""
        found = [(a, self._position(eid, seq, texts=texts)) for eid, a, _ in self.kb.linker.find(sentence)]
        out = [(a, p) for a, p in found if p is not None]
        if labels and len({p for _, p in out}) < 2:
            toks = [content(t) for t in _WORD.findall(clean(sentence).casefold())]
            for pos, step in enumerate(seq.steps):
                label = content_stems(step["text"].split(":")[0])
                # Placed where its head noun (the label's last word) stands: "Model Registry" at "registered".
                at = [k for k, t in enumerate(toks) if label and covered(t, {label[-1]})]
                if at and len(covered(set(label), set().union(*toks))) == len(set(label)):
                    out.append((at[0], pos))
        return sorted(dict.fromkeys(out))


def _around(placed: list[tuple[int, int]], at: int) -> tuple[int, int, bool] | None:
    """The two steps an order word at token `at` relates: the last one named before it and the first
    after it ("X comes after Y"); when it leads ("After Y, X"), the first two after it, and True."""
    left = [p for t, p in placed if t < at]
    right = [p for t, p in placed if t >= at]
    if left and right:
        other = [p for p in right if p != left[-1]]
        return (left[-1], other[0], False) if other else None
    rest = [p for p in right if p != right[0]] if right else []
    return (right[0], rest[0], True) if rest and not left else None
