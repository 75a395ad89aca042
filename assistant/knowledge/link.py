"""Finding entity names in free text: "Model Monitor", "SageMaker Model Monitor" and "Amazon SageMaker
Model Monitor with drift detection and alerts" all link to one entity. Longest match wins; matching is
on stemmed tokens, so plurals and case do not matter."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from assistant.knowledge.words import tokens
from assistant.services.text import service_mentions

_PREFIX = re.compile(r"^(?:Amazon|AWS)\s+")


def name_variants(name: str) -> list[str]:
    """The name, without its Amazon/AWS prefix, and the SageMaker form ("SageMaker Model Monitor")."""
    out = [name.strip()]
    bare = _PREFIX.sub("", name.strip())
    if bare != out[0] and len(bare.split()) >= 1:
        out.append(bare)
    return out


def service_names(text: str) -> list[str]:
    """AWS service names in `text` (AWS's naming convention, from the text toolkit); a bare
    "SageMaker" is left to the linker."""
    return [n for n in service_mentions(text) if len(n.split()) >= 2]


class Linker:
    def __init__(self) -> None:
        self._index: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)

    def add(self, alias: str, entity_id: str) -> None:
        toks = tuple(tokens(alias))
        if toks and (toks, entity_id) not in self._index[toks[0]]:
            self._index[toks[0]].append((toks, entity_id))

    def add_all(self, aliases: Iterable[str], entity_id: str) -> None:
        for a in aliases:
            self.add(a, entity_id)

    def aliases_of(self, entity_id: str) -> list[tuple[str, ...]]:
        return [t for items in self._index.values() for t, e in items if e == entity_id]

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(entity id, first token, end token) of each longest match; several ids may share a span."""
        toks = tokens(text)
        out: list[tuple[str, int, int]] = []
        i = 0
        while i < len(toks):
            best, ids = 0, []
            for alias, eid in self._index.get(toks[i], ()):
                n = len(alias)
                if tuple(toks[i : i + n]) == alias:
                    if n > best:
                        best, ids = n, [eid]
                    elif n == best and eid not in ids:
                        ids.append(eid)
            if best:
                out += [(eid, i, i + best) for eid in ids]
                i += best
            else:
                i += 1
        return out

    def ids(self, text: str) -> list[str]:
        return list(dict.fromkeys(eid for eid, _, _ in self.find(text)))

    def coverage(self, text: str) -> tuple[list[str], float]:
        """Linked ids and the share of the text's tokens the names cover (1.0 = the text is a name)."""
        toks = tokens(text)
        found = self.find(text)
        covered = {i for _, a, b in found for i in range(a, b)}
        return list(dict.fromkeys(e for e, _, _ in found)), len(covered) / max(1, len(toks))
