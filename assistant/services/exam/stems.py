"""Stems from templates: the wording data lives in prompts/exam_stems.toml; this module rewords cues,
frames them whole by their grammatical form (a cue that would still copy a corpus line is dropped, never
cut) and checks the result (length, a/an, capitals, no 7 words in a row of a corpus line)."""

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
MIN_NEED_WORDS = 4  # a shorter cue ("MLOps on AWS") names a topic, not a situation
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
    "belongs means knows keeps asks change shift degrade drift require requires come go exist exists stay may might plans"
)
_CLAUSE = frozenset(_CLAUSE_WORDS.split())
# Words after which a verb belongs to a clause inside the cue, not to its subject ("alert when errors rise").
_SUBORDINATE = frozenset(
    [
        "when",
        "whenever",
        "where",
        "wherever",
        "if",
        "to",
        "that",
        "which",
        "while",
        "so",
        "because",
        "until",
        "as",
        "after",
        "before",
        "once",
        "since",
        "unless",
        "whether",
    ]
)
# Words after which an adjective or quantifier belongs to a fixed degree phrase ("as many", "too costly"),
# and words before which a word belongs to a fixed construction ("when to", "many of", "different from").
_DEGREE = frozenset(("as", "how", "too", "so"))
_GOVERNED = frozenset(("to", "of", "from", "than"))
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_DETERMINERS = frozenset(
    ["a", "an", "the", "one", "every", "each", "several", "some", "any", "two", "three", "its", "their", "this", "that"]
)
_AFTER_MODAL = re.compile(
    r"\b(?:must|can|should|will|cannot|could|would|(?:wants?|needs?|able|how|helps?|used|easy) to)\s+([a-z]{3,})\b"
)
_META = re.compile(r"\b(?:question|questions|exam|answer is|the guide)\b|^which\b", re.IGNORECASE)
# Exam technique written for the learner, not a fact ("the question says ...", "an option asks for ..."):
# never quoted as the reason a key is right.
_EXAM_META = re.compile(
    r"\banswer:|\b(?:exams?|answer is|an option asks|scenario (?:asks|describes)|(?:is|are) the keywords?"
    r"|questions? (?:says?|describes?|asks?|mentions?|stresses|about|may|is testing|revolve))\b",
    re.IGNORECASE,
)


def is_meta(text: str) -> bool:
    """Exam-technique text: a glossary cue about how questions are worded, not about the work."""
    return bool(_EXAM_META.search(text))


# Endings of words that open a noun phrase ("central permission management", "visual orchestration").
_NOUN_ENDINGS = ("al", "ic", "ive", "ous", "ful", "less", "able", "ible", "tion", "sion", "ment", "ness", "ity", "ary")
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

    def count(self, text: str) -> int:
        """How many runs of n words of `text` stand in one corpus line."""
        words = tokens(text)
        return sum(tuple(words[i : i + self.n]) in self._runs for i in range(len(words) - self.n + 1))

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
    form: str  # clause | verb | gerund | noun (cue_form's "unknown" makes no Need)


class StemBook:
    def __init__(self, data: Mapping[str, Any], verbs: Iterable[str] = ()) -> None:
        self.data = data
        # Words the corpus uses as verbs ("to run") and common English verbs of the data: a cue may start with one.
        self.verbs = frozenset(verbs) | frozenset(data.get("verbs", []))
        self.table: dict[str, str] = dict(data.get("reword", {}))
        self.verb_table: dict[str, str] = dict(data.get("reword_verbs", {}))
        self.phrases = tuple(k for k in self.table if " " in k)  # phrase-level pairs: "looks like" -> "resembles"
        self.fixed: tuple[str, ...] = tuple(p.lower() for p in data.get("reword_fixed_phrases", {}).get("phrases", []))
        for key in ("organisations", "teams", "frame", "family"):
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

    def organisation(self, rng: random.Random) -> tuple[str, str, list[str]]:
        """(company, project, the kind's projects): an organisation and a model an organisation of its kind
        plausibly builds (the renderer may swap it for the project of the kind closest to the cue)."""
        kind = self.data["organisations"][rng.choice(sorted(self.data["organisations"]))]
        return rng.choice(kind["companies"]), rng.choice(kind["projects"]), list(kind["projects"])

    # -- cues -------------------------------------------------------------------------------------
    def need(self, cue: str, shingles: Shingles) -> Need | None:
        """The cue with as few word swaps as break every 7-word run of a corpus line, or None (a meta cue
        such as "the question says ...", or one no safe swap can break)."""
        text = re.sub(r"\s*\([^)]*\)", "", cue).strip().rstrip(".;")
        if not text or _META.search(text) or len(text.split()) < 3:
            return None
        if re.match(r"^[A-Z][a-z]+(?=[\s,])", text):  # a guide bullet starts with a capital; a cue does not
            text = text[0].lower() + text[1:]
        form = cue_form(text, self.verbs)
        text = self.reword_min(text, shingles)
        if form == "unknown" or text is None or len(text.split()) < MIN_NEED_WORDS:
            return None  # a cue is framed whole or not at all: a cut one reads as a truncated sentence
        return Need(text, form)

    def reword_min(self, text: str, shingles: Shingles) -> str | None:
        """Swap words only where a corpus run survives, one safe swap at a time (the one that breaks the
        most runs first), so a cue keeps its own words wherever it can: every swap risks an idiom."""
        while shingles.count(text):
            options = [self._swap_at(text, m) for m in self._spans(text) if self._swappable(text, m)]
            options = [o for o in options if o != text]
            if not options:
                return None
            best = min(options, key=lambda o: (shingles.count(o), options.index(o)))
            if shingles.count(best) >= shingles.count(text):
                return None
            text = best
        return text

    def reword(self, text: str) -> str:
        """Every safe swap of the table at once (what `reword_min` picks from)."""
        out = text
        spans = [m for m in _WORD_RE.finditer(text) if self._swappable(text, m)]  # phrases only one at a time
        for m in reversed(spans):
            out = self._swap_at(out, m)
        return out

    def _spans(self, text: str) -> list[re.Match[str]]:
        """The words of `text`, and the phrases of the table ("looks like") found in it: swap candidates."""
        phrases = [m for k in self.phrases for m in re.finditer(rf"\b{re.escape(k)}\b", text, re.IGNORECASE)]
        return phrases + list(_WORD_RE.finditer(text))

    def _replacement(self, text: str, m: re.Match[str]) -> str | None:
        word = m.group(0)
        before = text[: m.start()].split()[-1:]
        # After "the"/"a" a verb of the table is a noun ("the check"): keep it.
        noun = bool(before) and before[0].lower() in _DETERMINERS
        new = self.table.get(word.lower()) or (None if noun else self.verb_table.get(word.lower()))
        if new is None or (word.isupper() and len(word) > 1):
            return None
        return new[0].upper() + new[1:] if word[0].isupper() else new

    def _swappable(self, text: str, m: re.Match[str]) -> bool:
        """A word may be swapped when the table has it and it stands in no fixed phrase: not after a degree
        word ("as many", "how often", "too costly"), not before a word it governs ("when to", "many of",
        "different from"), not inside a listed multiword expression ("each other", "as a whole")."""
        if self._replacement(text, m) is None:
            return False
        before = text[: m.start()].lower().split()[-1:]
        after = text[m.end() :].lower().split()[:1]
        if (before and before[0].strip(",;") in _DEGREE) or (after and after[0].strip(",;") in _GOVERNED):
            return False
        low = text.lower()
        for phrase in self.fixed:
            for hit in re.finditer(rf"\b{re.escape(phrase)}\b", low):
                if hit.start() <= m.start() < hit.end():
                    return False
        return True

    def _swap_at(self, text: str, m: re.Match[str]) -> str:
        new = self._replacement(m.string, m)
        return text[: m.start()] + (new or m.group(0)) + text[m.end() :]

    def frame(self, need: Need, slot: str, rng: random.Random, **values: str) -> str:
        """A framed need: slot "need" opens a stem, "extra" adds a constraint."""
        template = rng.choice(self.data["frame"][slot][need.form])
        return fill(template, need=need.text, **values)


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
    if verbs and (first in verbs or (first.endswith("ly") and len(words) > 1 and words[1] in verbs)):
        return "verb"  # "detect data drift ...", "quickly try ...": a known verb opens an instruction
    if words[0] in ("a", "an") and len(words) > 2 and re.fullmatch(r"[a-z]+[^s]s", words[2]):
        return "clause"  # "a model underperforms ...": a singular subject and an -s verb
    for before, w in itertools.pairwise(words[:8]):
        if w in _SUBORDINATE:
            break
        plural_subject = bool(verbs) and w in verbs and re.fullmatch(r"[a-z]+[^s]s", before) is not None
        if (plural_subject or _finite(w, verbs)) and before not in ("or", "and", *_DETERMINERS):
            return "clause"  # "teams keep recomputing"; "train or send" only coordinates verbs
    first = text.split()[0]
    if first.lower() in _DETERMINERS or not first.islower() or "-" in first or first.lower().endswith("ly"):
        return "noun"
    if verbs is None or first.lower() in verbs:
        return "verb"
    # Neither a known verb nor a word that opens a noun phrase ("alert when ..."): no frame fits for sure.
    return "noun" if first.lower().endswith(_NOUN_ENDINGS) else "unknown"


def _finite(word: str, verbs: frozenset[str] | None) -> bool:
    """A word that makes a cue a clause: a listed verb form, or the -s form of a known verb ("insists")."""
    if word in _CLAUSE:
        return True
    stems = (word[:-1], word[:-2]) if word.endswith("s") and len(word) > 3 else ()
    return bool(verbs) and any(s in verbs for s in stems)


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
