"""Who does what: a sentence that names two entities must give each the part the documents give it.
"Feature Store creates the features and Data Wrangler serves them" holds every word of "Data Wrangler
engineers features, Feature Store keeps and serves them", with the roles the other way round.

Each entity named in a text owns the words that follow its name up to the next name (its clause:
"Data Wrangler | engineers features,"). When the sentence's and the statement's clauses match better
crosswise (the sentence's words after A are among the statement's words after B, and the other way
round) than straight, by at least CROSS_MIN words, the sentence swapped the roles."""

from __future__ import annotations

import itertools

from assistant.knowledge.link import Linker
from assistant.knowledge.words import claim_words, covered, tokens
from assistant.services.text import tokens as words_of

CROSS_MIN = 2  # words the crosswise match must hold beyond the straight one (one shared word is chance)


def clauses(linker: Linker, text: str, drop: set[str]) -> dict[str, set[str]]:
    """Each named entity's words: the content words after each of its names, up to the next name
    (without `drop`: words that are themselves parts of the names)."""
    found = linker.find(text)
    raw = words_of(text)
    if len(raw) != len(tokens(text)):  # the linker's positions are on these words; both split alike
        return {}
    spans = sorted({(a, b) for _, a, b in found})
    out: dict[str, set[str]] = {}
    for k, (a, b) in enumerate(spans):
        end = spans[k + 1][0] if k + 1 < len(spans) else len(raw)
        said = claim_words(" ".join(raw[b:end])) - drop
        for e in {e for e, x, y in found if (x, y) == (a, b)}:
            out.setdefault(e, set()).update(said)
    return out


def crossed(linker: Linker, sentence: str, statement: str, ids: set[str], drop: set[str]) -> bool:
    """Whether the statement gives two of the sentence's entities each other's parts."""
    mine, theirs = clauses(linker, sentence, drop), clauses(linker, statement, drop)
    shared = sorted(e for e in ids if mine.get(e) and e in theirs)
    for a, b in itertools.combinations(shared, 2):
        if mine[a] == mine[b]:  # one name that links both ("Model Registry": service and concept)
            continue
        straight = len(covered(mine[a], theirs[a])) + len(covered(mine[b], theirs[b]))
        ab, ba = len(covered(mine[a], theirs[b])), len(covered(mine[b], theirs[a]))
        # Both parts must have changed hands: one clause alone matching elsewhere is a reworded sentence.
        if ab and ba and ab + ba >= straight + CROSS_MIN:
            return True
    return False
