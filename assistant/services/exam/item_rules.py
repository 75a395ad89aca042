"""What makes an exam item well formed, independent of the model: content hashes, answer letters and
how many options / keys / premises each item type has.

Shared by `items.ExamItem` (lenient, for files people write) and `checks.key_count` (strict, for drafts).
"""

from __future__ import annotations

import hashlib
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence

from assistant.services.text import answer_letters

LETTERS = string.ascii_uppercase
CHOOSE_TWO = "(Choose TWO.)"
# How a stem announces its number of keys: "(Select TWO.)", "(Choose TWO.)", "Select two", "choose 2".
_ANNOUNCED = re.compile(r"\b(?:choose|select|pick)\s+(two|three|four|2|3|4)\b", re.IGNORECASE)
_COUNT_WORDS = {"two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
# How many options / keys each type has; ordering and matching items are 3-5 so CSV columns A-E suffice.
OPTION_COUNTS: dict[str, range] = {
    "single": range(4, 5),
    "multi": range(5, 6),
    "ordering": range(3, 6),
    "matching": range(3, 6),
}
KEY_COUNTS: dict[str, int] = {"single": 1, "multi": 2}
# Types whose answer is a sequence (a position per step, an option per premise), not a set of letters.
ORDERED_TYPES = frozenset({"ordering", "matching"})


def normalize_text(text: str) -> str:
    """Case-folded, NFKC, whitespace-collapsed text: what "the same words" means for hashing and comparing."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def item_id(
    question: str,
    options: Mapping[str, str] | Sequence[str],
    *,
    scenario: str = "",
    premises: Sequence[str] = (),
) -> str:
    """Stable content hash: "x-" + the first 12 hex chars of sha256 over the normalized stem and options
    (and, when there are any, the case scenario and the matching premises).

    Options and premises are hashed as sorted sets, so shuffling them (see `checks.balance_keys`) keeps
    the id: the same question with the same choices is the same item wherever its key sits. An item
    with no scenario and no premises hashes exactly as it did before those fields existed.
    """
    texts = options.values() if isinstance(options, Mapping) else options
    parts = [normalize_text(question), *sorted(normalize_text(t) for t in texts)]
    if premises:
        parts += ["\x1epremises", *sorted(normalize_text(p) for p in premises)]
    if scenario.strip():
        parts = ["\x1ecase", normalize_text(scenario), *parts]
    return "x-" + _digest("\n".join(parts))


def case_id(scenario: str) -> str:
    """The id of a case study: "case-" + 12 hex chars of its normalized scenario."""
    return "case-" + _digest(normalize_text(scenario))


def split_answer(answer: str | Sequence[str]) -> list[str]:
    """ "B, D" / "B,D" / ["B","D"] / "BD" / "B and D" -> ["B", "D"], in the given order."""
    return answer_letters(answer)


def announced_keys(question: str) -> int | None:
    """How many answers the stem asks for ("(Select TWO.)" -> 2), or None when it does not say."""
    m = _ANNOUNCED.search(question)
    return _COUNT_WORDS[m.group(1).casefold()] if m else None


def _range_text(allowed: range) -> str:
    return f"{allowed.start}-{allowed.stop - 1}" if len(allowed) > 1 else str(allowed.start)


def _sequence_problem(item_type: str, options: Mapping[str, str], keys: Sequence[str], premises: Sequence[str] | None):
    """Ordering: every step once. Matching: one option per premise, every option once."""
    if item_type == "matching" and premises is not None and len(premises) != len(options):
        return f"a matching item has as many premises as options, not {len(premises)} and {len(options)}"
    if sorted(keys) != sorted(options):
        if item_type == "matching":
            return "a matching answer gives one option letter per premise, every option exactly once"
        return "an ordering answer lists every option letter exactly once"
    return None


def count_problem(
    item_type: str,
    question: str,
    options: Mapping[str, str],
    keys: Sequence[str],
    *,
    strict: bool = True,
    premises: Sequence[str] | None = None,
) -> str | None:
    """Why the option/key counts do not fit the item type, or None. Shared by the model and `checks.key_count`.

    strict (the generator's house format, `checks.key_count`): a multi item says "(Choose TWO.)" or
    "(Select TWO.)". Not strict (any item read from a file): the stem need not say it, but when a
    multi item's stem announces a number of answers ("(Select THREE.)"), the key has that many letters.
    premises: a matching item's premises (None: not checked, e.g. a caller that only has the letters).
    """
    # Only multi items are held to the count their stem announces: single items with a stray
    # "choose two" in a scenario sentence are common enough in the generator's tests and drafts.
    announced = announced_keys(question) if item_type == "multi" else None
    if announced is not None and announced != len(keys):
        return f"the question asks for {announced} answers but the answer has {len(keys)} ({','.join(keys)})"
    if len(options) not in OPTION_COUNTS[item_type]:
        return f"a {item_type} item has {_range_text(OPTION_COUNTS[item_type])} options, not {len(options)}"
    if item_type in ORDERED_TYPES:
        return _sequence_problem(item_type, options, keys, premises)
    if len(keys) != KEY_COUNTS[item_type] or len(set(keys)) != len(keys):
        return f"a {item_type} item has {KEY_COUNTS[item_type]} distinct key(s), not {','.join(keys) or 'none'}"
    if strict and item_type == "multi" and announced is None:
        return f"a multi item says {CHOOSE_TWO} in its question"
    return None
