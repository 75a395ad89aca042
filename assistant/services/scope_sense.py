"""A guide word used in another sense: "continental drift", "a sales pipeline", "the phases of the moon".

The guide's own words ("drift", "pipeline", "lifecycle", "phases", "training") are also everyday words,
and a question that uses one in its everyday sense shares it with the guide, so neither the passage
similarity nor the key terms refuse it. What tells the senses apart is the word the question puts in
front of it (or after "of"): the guide writes "data drift", "ML pipeline", "model training"; a
question about plate tectonics writes "continental drift". A modifier counts as another sense when the
documents (the guides and the supplement entries, such as the team glossary) use it at most
`rare_lines` times: the glossary, written broadly, mentions "water" or "sales" once in passing, but not
as the thing its entries are about. Which words have everyday senses is data (`sense_words` in
prompts/scope_terms.toml), not code.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable

from assistant.services.text import STOP_WORDS, clean, stem, tokens

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# How many words in front of the guide word make up its modifier ("waterfall software development
# lifecycle"), and the articles allowed between "of" and the noun ("the phases of the moon").
MAX_MODIFIERS = 3
_ARTICLES = {"the", "a", "an", "my", "our", "your", "their"}
# A word after these is a verb taking the guide word as its object ("to spot drift", "we catch drift"),
# not a modifier that changes its sense.
_VERB_CUES = {"to", "can", "could", "should", "will", "would", "must", "i", "we", "you", "they", "not"}


@functools.lru_cache(maxsize=8)
def line_counts(text: str) -> Counter[str]:
    """How many lines of `text` use each word stem."""
    return Counter(s for line in text.splitlines() for s in {stem(w) for w in tokens(line)})


def _modifier(word: str, plain: frozenset[str]) -> bool:
    """A word that can say which sense a noun has: not a contraction ("doesn't"), an adverb
    ("actually"), a past participle, which says what state the thing is in, not what kind of thing it
    is ("a structured lifecycle", "an automated pipeline", "unexpected drift"), or an everyday describing
    word or prefix that fits any sense ("proper", "post")."""
    participle = len(word) > 4 and word.endswith("ed")
    return (
        word.isalpha()
        and len(word) > 2
        and word not in STOP_WORDS
        and word not in plain
        and not word.endswith("ly")
        and not participle
    )


def _run_before(
    words: list[str], i: int, senses: set[str], plain: frozenset[str], rare: Callable[[str], bool]
) -> list[str]:
    """The rare modifier words right in front of words[i] ("water treatment"); none when a verb takes
    the guide word as its object ("to spot drift")."""
    run: list[str] = []
    for w in reversed(words[max(0, i - MAX_MODIFIERS) : i]):
        if not _modifier(w, plain) or stem(w) in senses or not rare(w):
            break
        run.insert(0, w)
    start = i - len(run)
    return [] if start > 0 and words[start - 1] in _VERB_CUES else run


def _noun_after_of(words: list[str], i: int, plain: frozenset[str], rare: Callable[[str], bool]) -> list[str]:
    after = words[i + 1 : i + 4]
    if after[:1] != ["of"]:
        return []
    noun = next((w for w in after[1:] if w not in _ARTICLES), "")
    return [noun] if _modifier(noun, plain) and rare(noun) else []


def other_senses(
    question: str, sense_words: Iterable[str], documents: str, *, rare_lines: int, plain: Iterable[str] = ()
) -> list[str]:
    """The phrases in which a sense word has a modifier the documents (nearly) never use, e.g.
    ["continental drift"]. `documents`: the guides and supplement entries' text; `plain`: describing
    words that fit any sense. A modifier word is rare when the documents use it on at most `rare_lines`
    lines; the rare words right in front make one modifier ("water treatment pipeline")."""
    counts = line_counts(documents)
    senses, plain_set = {stem(w) for w in sense_words}, frozenset(plain)
    words = _WORD.findall(clean(question).casefold())

    def rare(w: str) -> bool:
        return counts[stem(w)] <= rare_lines

    out = []
    for i, word in enumerate(words):
        if stem(word) not in senses:
            continue
        run = _run_before(words, i, senses, plain_set, rare)
        if run:
            out.append(" ".join([*run, word]))
        noun = _noun_after_of(words, i, plain_set, rare)
        if noun:
            out.append(" ".join([word, "of", *noun]))
    return list(dict.fromkeys(out))


def setup_words(asked: str, setup_asks: re.Pattern[str] | None, known: Callable[[str], bool]) -> list[str]:
    """When the asking part asks for the steps to set something up or write it ("How do I reshard a
    Kinesis stream?"), its other content words that `known` (the documents' vocabulary) rejects, e.g.
    ["parent"]; else []. A study guide says what a service is for, not how to configure it, so steps
    about things its documents never name are not its topic; steps in their words ("How do I set up
    monitoring for drift?") are."""
    m = setup_asks.search(asked) if setup_asks is not None else None
    if m is None:
        return []
    rest = f"{asked[: m.start()]} {asked[m.end() :]}"
    words = [w for w in _WORD.findall(clean(rest).casefold()) if w.isalpha() and len(w) > 2]
    return list(dict.fromkeys(w for w in words if w not in STOP_WORDS and not known(w)))
