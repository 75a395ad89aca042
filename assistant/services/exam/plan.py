"""Which facts an exam asks, in which order: every family of the corpus in turn (weighted toward the
kinds of question the real exam asks most), each fact at most once across the whole question bank,
and caps on the kinds a real exam asks rarely (a phase question at most 1 in 5)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from assistant.services.exam.families import Fact
from assistant.services.topics import topic_key

# Relative weight of each family in an exam; families not listed get 1.
WEIGHTS: dict[str, float] = {
    "service": 5,
    "concept": 1,
    "remedy": 3,
    "deployment": 2,
    "multi": 2,
    "next_step": 1.5,
    "first_step": 0.5,
    "ordering": 1,
    "matching": 1,
    "case": 1,
    "phase": 1,
}
# Share of an exam a family may take at most (items; a case study counts each of its questions).
CAPS: dict[str, float] = {"phase": 0.2, "ordering": 0.1, "matching": 0.1, "first_step": 0.05, "case": 0.2}


def cap(family: str, n: int) -> int:
    """How many items of `family` an exam of n items may have (at least one of a capped family, except
    that a phase question needs an exam of five)."""
    share = CAPS.get(family)
    if share is None:
        return n
    return int(n * share) if family == "phase" else max(1, math.floor(n * share))


def signature(keys: Iterable[str], quote: str) -> str:
    """What makes two items ask the same fact: the same key(s) from the same cited line."""
    return f"{' | '.join(sorted(keys))} @ {' '.join(quote.split())}"


def order(
    facts: Sequence[Fact],
    rng: random.Random,
    used: set[str],
    quote_of,
    phases: Sequence[str] | None = None,
) -> list[Fact]:
    """Facts not yet in the bank, one variant per fact, interleaved by family weight."""
    wanted = {topic_key(p) for p in phases or []}
    by_family: dict[str, dict[str, list[Fact]]] = {}
    for f in facts:
        if wanted and topic_key(f.phase) not in wanted:
            continue
        if any(s in used for s in fact_signatures(f, quote_of)):
            continue
        by_family.setdefault(f.family, {}).setdefault(f.ident, []).append(f)
    queues = {fam: [rng.choice(vs) for vs in idents.values()] for fam, idents in by_family.items()}
    for q in queues.values():
        rng.shuffle(q)
    out: list[Fact] = []
    first = list(queues)  # one of every family first, so even a short exam mixes them
    rng.shuffle(first)
    out += [queues[fam].pop() for fam in first]
    while any(queues.values()):
        live = [fam for fam, q in queues.items() if q]
        fam = rng.choices(live, weights=[WEIGHTS.get(f, 1.0) for f in live])[0]
        out.append(queues[fam].pop())
    return out


def fact_signatures(f: Fact, quote_of) -> list[str]:
    """The key(s) with each line the item cites; two items sharing one ask the same fact (a swapped
    situation and constraint is a rewording, not a new question). A case study asks each of its parts."""
    parts = f.parts if f.family == "case" else (f,)
    return [signature(p.keys, quote_of(i)) for p in parts for i in p.support]


def cases(singles: Sequence[Fact], rng: random.Random, size: int = 3) -> list[Fact]:
    """Case studies: `size` service facts with different keys, asked about one shared scenario."""
    pool = list({f.keys[0]: f for f in singles}.values())
    rng.shuffle(pool)
    out = []
    for start in range(0, len(pool) - size + 1, size):
        group = tuple(pool[start : start + size])
        if len({f.keys[0] for f in group}) == size:
            ident = "case:" + "+".join(f.ident for f in group)
            out.append(replace(group[0], family="case", ident=ident, parts=group))
    return out


class Caps:
    """Counts accepted items per family against the caps of an n-item exam."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count: Counter[str] = Counter()
        self.orders: set[str] = set()  # the sequences an ordering item of this exam asks

    def allows(self, f: Fact) -> bool:
        size = len(f.parts) if f.family == "case" else 1
        if f.type == "ordering" and _sequence_of(f) in self.orders:
            return False  # one ordering item per corpus sequence per exam: two would ask the same list
        return self.count[f.family] + size <= cap(f.family, self.n)

    def add(self, f: Fact, size: int = 1) -> None:
        self.count[f.family] += size
        if f.type == "ordering":
            self.orders.add(_sequence_of(f))


def _sequence_of(f: Fact) -> str:
    """The sequence an ordering fact picks steps from (its ident without the picked positions)."""
    return f.ident.rsplit(":", 1)[0]
