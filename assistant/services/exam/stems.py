"""Stems from templates: the wording data lives in prompts/exam_stems.toml; this module reworded cues,
frames them by their grammatical form and checks the result (length, a/an, capitals, no 7 words in a
row of a corpus line)."""

from __future__ import annotations

import itertools
import random
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.services.text import tokens

VERBATIM_RUN = 7  # words in a row of one corpus line that make a stem "pasted"
STEM_WORDS = range(25, 61)
SCENARIO_WORDS = range(
    40, 121
)  # a case study's shared scenario  # a situation with a constraint, not a one-liner and not an essay
# Words after the first that show a cue has its own subject and verb ("sensors send telemetry").
_CLAUSE_WORDS = (
    "is are was were must should can could will would wants want needs need has have had send sends arrive "
    "arrives looks look changed shifted matters matter says say differ differs drops drop rises rise fails fail "
    "falls fall cannot isn't aren't doesn't don't changes shifts degrades grows appears drifts stays becomes "
    "sits lands calls answers treats holds lives comes takes makes uses gets works contains includes shows seems "
    "happens occurs exists varies increases decreases lags spikes stops lacks misses requires depends relies "
    "belongs means knows keeps asks change shift degrade drift"
)
_CLAUSE = frozenset(_CLAUSE_WORDS.split())
# Words after which a verb belongs to a clause inside the cue, not to its subject ("alert when errors rise").
_SUBORDINATE = frozenset(("when", "if", "to", "that", "which", "while", "so", "because", "until", "as"))
_DETERMINERS = frozenset(
    ["a", "an", "the", "one", "every", "each", "several", "some", "any", "two", "three", "its", "their", "this", "that"]
)
# Where a cue may be cut: before an adjunct phrase ("... from an app", "... without servers"); never inside
# a list ("A, B and C") or between a verb and its object ("relies on ...").
_BOUNDARY = re.compile(
    r" (?=(?:without|so|before|after|when|because|while|instead|rather|from|for|in|into|by|with|"
    r"behind|across|at|than|since|until|unless) )"
)
_AFTER_MODAL = re.compile(
    r"\b(?:must|can|should|will|cannot|could|would|(?:wants?|needs?|able|how|helps?|used|easy) to)\s+([a-z]{3,})\b"
)
_META = re.compile(r"\b(?:question|questions|exam|answer is|the guide)\b|^which\b", re.IGNORECASE)
_VOWEL_LETTER_ACRONYM = set("AEFHILMNORSX")  # an "ML", an "S3", a "GPU"
_A_AN = re.compile(r"\b([Aa])(n?) ([\w\-]+)")


class Shingles:
    """Every run of VERBATIM_RUN words inside one corpus line (case and punctuation ignored)."""

    def __init__(self, lines: Iterable[str], n: int = VERBATIM_RUN) -> None:
        self.n = n
        self._runs: set[tuple[str, ...]] = set()
        for line in lines:
            words = tokens(line)
            self._runs.update(tuple(words[i : i + n]) for i in range(len(words) - n + 1))

    def copied(self, text: str) -> str | None:
        """The first run of n words of `text` that stands in one corpus line, or None."""
        words = tokens(text)
        for i in range(len(words) - self.n + 1):
            if tuple(words[i : i + self.n]) in self._runs:
                return " ".join(words[i : i + self.n])
        return None


@dataclass(frozen=True)
class Need:
    """A cue reworded for a stem, with its grammatical form."""

    text: str
    form: str  # clause | verb | gerund | noun


class StemBook:
    def __init__(self, data: Mapping[str, Any], verbs: Iterable[str] = ()) -> None:
        self.data = data
        self.verbs = frozenset(verbs)  # words the corpus uses as verbs ("to run"): a cue may start with one
        self.table: dict[str, str] = dict(data.get("reword", {}))
        self.verb_table: dict[str, str] = dict(data.get("reword_verbs", {}))
        for key in ("companies", "teams", "projects", "details", "frame", "family"):
            if key not in data:
                msg = f"The stem templates lack [{key}]. Restore prompts/exam_stems.toml from the repository."
                raise ConfigError(msg)

    @classmethod
    def load(cls, path: Path, corpus_lines: Iterable[str] = ()) -> StemBook:
        try:
            return cls(tomllib.loads(path.read_text(encoding="utf-8")), verbs_of(corpus_lines))
        except (OSError, tomllib.TOMLDecodeError) as e:
            msg = f"Stem templates {path} could not be read: {e}. Restore it from the repository."
            raise ConfigError(msg) from e

    def family(self, name: str) -> Mapping[str, Any]:
        return self.data["family"].get(name, {})

    def pick(self, rng: random.Random, key: str) -> str:
        return rng.choice(self.data[key])

    # -- cues -------------------------------------------------------------------------------------
    def need(self, cue: str, shingles: Shingles) -> Need | None:
        """The cue reworded so no 7 words of a corpus line survive, or None (a meta cue such as "the
        question says ...", or one the table cannot reword enough)."""
        text = re.sub(r"\s*\([^)]*\)", "", cue).strip().rstrip(".;")
        if not text or _META.search(text) or len(text.split()) < 3:
            return None
        if re.match(r"^[A-Z][a-z]+(?=[\s,])", text):  # a guide bullet starts with a capital; a cue does not
            text = text[0].lower() + text[1:]
        form = cue_form(text, self.verbs)
        text = self.reword(text)
        if shingles.copied(text):
            text = _shortest_safe_cut(text, shingles)
            form = cue_form(text, self.verbs) if text else form  # a cut may drop the verb that made a clause
        return Need(text, form) if text else None

    def reword(self, text: str) -> str:
        def swap(m: re.Match[str]) -> str:
            word = m.group(0)
            before = text[: m.start()].split()[-1:]
            # After "the"/"a" a verb of the table is a noun ("the check"): keep it.
            noun = bool(before) and before[0].lower() in _DETERMINERS
            new = self.table.get(word.lower()) or (None if noun else self.verb_table.get(word.lower()))
            if new is None or (word.isupper() and len(word) > 1):
                return word
            return new[0].upper() + new[1:] if word[0].isupper() else new

        return re.sub(r"[A-Za-z][A-Za-z'\-]*", swap, text)

    def frame(self, need: Need, slot: str, rng: random.Random, **values: str) -> str:
        """A framed need: slot "need" opens a stem, "extra" adds a constraint."""
        template = rng.choice(self.data["frame"][slot][need.form])
        return fill(template, need=need.text, **values)


def _shortest_safe_cut(text: str, shingles: Shingles) -> str | None:
    """The longest head of `text`, cut before a clause or phrase boundary, that copies no corpus run
    ("call a hosted model from an app ..." -> "call a hosted model"); None if none keeps 4 words."""
    cuts = [m.start() for m in _BOUNDARY.finditer(text)]
    for at in sorted(cuts, reverse=True):
        head = text[:at].rstrip(" ,;")
        if len(head.split()) >= 4 and not shingles.copied(head):
            return head
    return None


def verbs_of(lines: Iterable[str]) -> set[str]:
    """Words the documents put after "must", "can", "wants to", ... (so they are verbs there)."""
    out: set[str] = set()
    for line in lines:
        out.update(m.lower() for m in _AFTER_MODAL.findall(line))
    return out


def cue_form(text: str, verbs: frozenset[str] | None = None) -> str:
    words = [w.lower().strip(",;") for w in text.split()]
    first = words[0]
    if first.endswith("ing") and len(first) > 4:
        return "gerund"
    for before, w in itertools.pairwise(words[:8]):
        if w in _SUBORDINATE:
            break
        if w in _CLAUSE and before not in ("or", "and"):  # "train or send ..." coordinates two verbs
            return "clause"
    first = text.split()[0]
    if first.lower() in _DETERMINERS or not first.islower() or "-" in first or first.lower().endswith("ly"):
        return "noun"
    if verbs is not None and first.lower() not in verbs:
        return "noun"  # the colon frame ("A note reads: ...") reads right for a verb too
    return "verb"


def fill(template: str, **values: str) -> str:
    """The template filled and tidied: spacing, a/an, capitals after a sentence end."""
    text = template.format(**values)
    return tidy(text)


def tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+([.,;?])", r"\1", text)
    text = re.sub(r"\.\.+", ".", text)
    text = _A_AN.sub(_article, text)
    text = re.sub(r"(^|[.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text


def _article(m: re.Match[str]) -> str:
    a, word = m.group(1), m.group(3)
    return f"{a}{'n' if _an(word) else ''} {word}"


def _an(word: str) -> bool:
    w = word.strip("\"'(")
    if (len(w) > 1 and w.isupper()) or re.match(r"^[A-Z0-9]{2,}\b", w):
        return w[0] in _VOWEL_LETTER_ACRONYM
    low = w.lower()
    if low.startswith(("uni", "use", "usu", "eu", "one", "once", "ubi")):
        return False
    if low.startswith(("hour", "honest", "honor")):
        return True
    return low[:1] in "aeiou"


def words(text: str) -> int:
    return len(text.split())


def stem_problem(text: str, shingles: Shingles) -> str | None:
    """Why a finished stem cannot be shown, or None."""
    if words(text) not in STEM_WORDS:
        return "stem_length"
    if shingles.copied(text):
        return "verbatim_corpus"
    return None


def case_problem(scenario: str, question: str, shingles: Shingles) -> str | None:
    """A case scenario is 40-120 words; neither it nor its question copies a corpus line."""
    if words(scenario) not in SCENARIO_WORDS:
        return "scenario_length"
    if shingles.copied(scenario) or shingles.copied(question):
        return "verbatim_corpus"
    return None


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"
