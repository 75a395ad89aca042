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
from collections.abc import Iterable

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
    ("actually") or an everyday describing word or prefix that fits any sense ("proper", "post")."""
    return word.isalpha() and len(word) > 2 and word not in STOP_WORDS and word not in plain and not word.endswith("ly")


def other_senses(
    question: str, sense_words: Iterable[str], documents: str, *, rare_lines: int, plain: Iterable[str] = ()
) -> list[str]:
    """The phrases in which a sense word has a modifier the documents (nearly) never use, e.g.
    ["continental drift"]. `documents`: the guides and supplement entries' text; `plain`: describing
    words that fit any sense."""
    counts = line_counts(documents)
    senses, plain = {stem(w) for w in sense_words}, frozenset(plain)
    words = _WORD.findall(clean(question).casefold())
    out = []
    for i, word in enumerate(words):
        if stem(word) not in senses:
            continue
        # The word right in front decides ("continental drift"); words before it that are also rare
        # belong to the same modifier ("water treatment pipeline").
        before: list[str] = []
        for w in reversed(words[max(0, i - MAX_MODIFIERS) : i]):
            if not _modifier(w, plain) or stem(w) in senses or counts[stem(w)] > rare_lines:
                break
            before.insert(0, w)
        start = i - len(before)
        if before and start > 0 and words[start - 1] in _VERB_CUES:
            before = []
        after = words[i + 1 : i + 4]
        if after[:1] == ["of"]:
            noun = next((w for w in after[1:] if w not in _ARTICLES), "")
            after = [noun] if _modifier(noun, plain) else []
        else:
            after = []
        for mods, phrase in ((before, [*before, word]), (after, [word, "of", *after])):
            if mods and all(counts[stem(m)] <= rare_lines for m in mods):
                out.append(" ".join(phrase))
    return list(dict.fromkeys(out))
