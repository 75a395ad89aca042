"""Who does what: a sentence that names two entities must give each the part the documents give it.
"Feature Store creates the features and Data Wrangler serves them" holds every word of "Data Wrangler
engineers features, Feature Store keeps and serves them", with the roles the other way round.

Each entity named in a text owns the words that follow its name up to the next name (its clause:
"Data Wrangler | engineers features,"). When the sentence's and the statement's clauses match better
crosswise (the sentence's words after A are among the statement's words after B, and the other way
round) than straight, by at least CROSS_MIN words, the sentence swapped the roles.

A link between two names turned round ("Model quality drives data quality" against "data quality
directly drives model quality") is caught by the words between them: the statement joins the two
with more of those words the other way round than this way. A passive ("is driven by") reads both ways and is left."""

from __future__ import annotations

import itertools

from assistant.knowledge.link import Linker
from assistant.knowledge.words import claim_words, covered, tokens
from assistant.services.text import tokens as words_of

_PASSIVE = frozenset({"by"})
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


def crossed(linker: Linker, sentence: str, statement: str, ids: set[str], drop: set[str], *, both: bool = True) -> bool:
    """Whether the statement gives two of the sentence's entities each other's parts (`both`: each
    of the two parts must have moved; a contrast line, built to set the two apart, needs one)."""
    mine, theirs = clauses(linker, sentence, drop), clauses(linker, statement, drop)
    shared = sorted(e for e in ids if mine.get(e) and e in theirs)
    for a, b in itertools.combinations(shared, 2):
        if mine[a] == mine[b]:  # one name that links both ("Model Registry": service and concept)
            continue
        straight = len(covered(mine[a], theirs[a])) + len(covered(mine[b], theirs[b]))
        ab, ba = len(covered(mine[a], theirs[b])), len(covered(mine[b], theirs[a]))
        # Both parts must have changed hands: one clause alone matching elsewhere is a reworded sentence.
        if ((ab and ba) or not both) and ab + ba >= straight + CROSS_MIN:
            return True
    return False


def _spans(linker: Linker, text: str, owner: str = "") -> list[tuple[set[str], int, int]]:
    """The names of a text in order: (entities, first token, end token); a glossary line's own
    entity (`owner`) stands before its first word when the line does not start with its name."""
    found = linker.find(text)
    spans = sorted({(a, b) for _, a, b in found})
    out = [({e for e, x, y in found if (x, y) == (a, b)}, a, b) for a, b in spans]
    if owner and not (out and out[0][1] == 0 and owner in out[0][0]):
        out.insert(0, ({owner}, 0, 0))
    return out


def _links(linker: Linker, text: str, drop: set[str], owner: str = "") -> list[tuple[set[str], set[str], set[str]]]:
    """(entities named first, entities named next, the words between them) for neighbouring names;
    none where the words between make it a passive."""
    raw = words_of(text)
    spans = _spans(linker, text, owner)
    out = []
    for (x, _, b), (y, a, _) in itertools.pairwise(spans):
        between = raw[b:a]
        if not _PASSIVE & set(between):
            out.append((x, y, claim_words(" ".join(between)) - drop))
    return out


def turned(linker: Linker, sentence: str, statement: str, ids: set[str], drop: set[str], owner: str = "") -> bool:
    """Whether the sentence links two of its entities with words the statement uses rather to link them
    the other way round."""
    if len(words_of(sentence)) != len(tokens(sentence)) or len(words_of(statement)) != len(tokens(statement)):
        return False
    theirs = _links(linker, statement, drop, owner)
    for x, y, said in _links(linker, sentence, drop):
        for a, b in itertools.product(x & ids, y & ids):
            if a == b or not said:
                continue
            back = max((len(covered(said, w)) for p, q, w in theirs if b in p and a in q), default=0)
            forth = max((len(covered(said, w)) for p, q, w in theirs if a in p and b in q), default=0)
            if back > forth:
                return True
    return False
