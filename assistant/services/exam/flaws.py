"""Item-writing-flaw checks: the rule-detectable part of the standard item-writing rubric.

Each check takes an `ItemView` (an ExamItem or a raw item dict, any type) and returns None (pass) or
a reason code (reasons.FLAW_CHECKS labels them). The rules, as decided:
- verbatim_corpus: >= 7 consecutive words of one corpus line in the stem, case scenario or a premise
  (case and punctuation ignored; a heading name such as a phase or service counts as one word).
- key_word_in_stem (clang): a word of the key that no distractor has appears in the stem, counting
  only words rare in the corpus (in < 2 % of its lines): "model" or "monitor" cue nothing.
- premise_cues_option: a matching premise shares a word with its own option and no other option.
- absolute_terms: some distractor says "always", "never", "completely", "guarantees", ... and no key
  does; the absolutes then mark the wrong options. ("all", "only", "none" are too common in plain
  statements to count.)
- negative_not_emphasised: "not", "except", "cannot", "least", "n't" in lower case in the sentence
  that asks (ends with "?"); a scenario sentence may say "not" freely.
- options_mixed_kind: bare-name options (or premises) mixing AWS services and guide concepts.
- options_mixed_grammar: some options end with a period and some not, or a bare name among clauses.
- article_error, possessive_error, doubled_word, unbalanced_marks: mechanics in any text of the item.
- truncated_text, ungrammatical_slot: cut or mis-slotted text anywhere in the item (grammar.py).
The length giveaway, "all/none of the above", stem copy and implausible (other-kind) distractors
are in checks.py, next to the guide terms they need.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.services.exam.grammar import grammar_reason
from assistant.services.text import answer_letters, clean, content_stems, sentences, service_mentions, tokens

VERBATIM_RUN = 7  # words in a row from one corpus line make a stem "pasted from the guide"
# A word in at least this share of corpus lines (and at least 2) is common ("model", "data", "AWS"):
# a key and a stem may share it without cueing the key. Rarer words are distinctive.
COMMON_WORD_SHARE = 0.02


@dataclass(frozen=True)
class ItemView:
    """What the flaw checks read from an item, whatever its type: stem, options, keys, premises."""

    type: str
    question: str
    options: dict[str, str]
    keys: list[str]
    scenario: str = ""
    premises: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, item: Any) -> ItemView:
        """From an ExamItem (attributes) or a raw item dict; missing fields read as empty."""

        def get(name: str, default: Any) -> Any:
            if isinstance(item, Mapping):
                return item.get(name, default)
            return getattr(item, name, default)

        options = get("options", {}) or {}
        if isinstance(options, Sequence) and not isinstance(options, str):
            options = dict(zip("ABCDEFGH", options, strict=False))
        case = get("case", None) or {}
        scenario = case.get("scenario", "") if isinstance(case, Mapping) else getattr(case, "scenario", "")
        return cls(
            type=str(get("type", "") or "single"),
            question=str(get("question", "") or ""),
            options={str(k).strip().upper(): str(v) for k, v in options.items()},
            keys=answer_letters(get("answer", "") or ""),
            scenario=str(scenario or ""),
            premises=[str(p) for p in get("premises", []) or []],
        )

    @property
    def stem(self) -> str:
        """The case scenario (if any) and the question: everything the learner reads before the options."""
        return f"{self.scenario} {self.question}".strip()

    @property
    def distractors(self) -> list[str]:
        """Letters of wrong options; none for ordering and matching items (every option is used)."""
        if self.type in {"ordering", "matching"}:
            return []
        return [k for k in self.options if k not in self.keys]


# ---------------------------------------------------------------------------------------- verbatim copy


_HEADING = re.compile(r"^\s*#+\s*(?:\d+[.)]\s*)?")


class CorpusShingles:
    """Hashes of every run of `n` consecutive words inside one corpus line (case and punctuation
    ignored). Build once per corpus and reuse: `copied_run` then costs one set lookup per stem word.

    A name the corpus uses as a heading ("Data Preprocessing and Feature Engineering", "Amazon
    SageMaker Clarify") counts as one word: naming a phase or a service is not pasting a line.
    Also knows which words are common in the corpus (`common`), for judging which words are distinctive."""

    def __init__(self, lines: Iterable[str], n: int = VERBATIM_RUN) -> None:
        lines = [line for line in lines if line.strip()]
        self.n = n
        self._names: dict[str, list[tuple[str, ...]]] = {}
        for line in lines:
            name = tuple(tokens(_HEADING.sub("", line))) if _HEADING.match(line) else ()
            if 2 <= len(name) <= 6:
                self._names.setdefault(name[0], []).append(name)
        for names in self._names.values():
            names.sort(key=len, reverse=True)  # the longest name wins ("AWS Glue DataBrew" over "AWS Glue")
        self._hashes: set[int] = set()
        df: Counter[str] = Counter()
        for line in lines:
            words = self._words(line)
            self._hashes.update(hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1))
            df.update(set(content_stems(line)))
        floor = max(2, math.ceil(COMMON_WORD_SHARE * len(lines)))
        self.common = frozenset(w for w, k in df.items() if k >= floor)

    def _words(self, text: str) -> list[str]:
        """Lower-case words of `text`, each heading name joined into one word."""
        words, out, i = tokens(text), [], 0
        while i < len(words):
            name = next((m for m in self._names.get(words[i], []) if tuple(words[i : i + len(m)]) == m), None)
            out.append("_".join(name) if name else words[i])
            i += len(name) if name else 1
        return out

    def __len__(self) -> int:
        return len(self._hashes)

    def copied_run(self, text: str) -> str | None:
        """The first run of `n` words of `text` that stands in one corpus line, or None."""
        words = self._words(text)
        for i in range(len(words) - self.n + 1):
            if hash(tuple(words[i : i + self.n])) in self._hashes:
                return " ".join(words[i : i + self.n])
        return None

    @classmethod
    def of(cls, corpus: CorpusShingles | Iterable[str]) -> CorpusShingles:
        """The object itself, or the (cached) shingles of a list of lines."""
        if isinstance(corpus, CorpusShingles):
            return corpus
        return _shingles(tuple(corpus))


@functools.lru_cache(maxsize=4)
def _shingles(lines: tuple[str, ...]) -> CorpusShingles:
    # str hashes are cached by CPython, so hashing the tuple key is cheap even for a whole corpus.
    return CorpusShingles(lines)


def no_verbatim_corpus(item: ItemView, corpus: CorpusShingles) -> str | None:
    """The stem (and a case scenario, and matching premises) never copies >= 7 words of one corpus line."""
    texts = [item.stem, *item.premises]
    return "verbatim_corpus" if any(corpus.copied_run(t) for t in texts) else None


# ---------------------------------------------------------------------------------------- cues to the key


def _distinctive(text: str, common: Collection[str] = frozenset()) -> set[str]:
    """Content-word stems that can cue a key: no stop words, no numbers, none common in the corpus."""
    return {w for w in content_stems(text) if not w.isdigit() and w not in common}


def no_key_word_in_stem(item: ItemView, common: Collection[str]) -> str | None:
    """Clang cue: a distinctive word of the key that no distractor has, but the stem has, points at
    the key ("... detect drift in its routes" -> "Retrain with data on the new routes")."""
    if not item.distractors:
        return None
    stem = _distinctive(item.stem, common)
    elsewhere = set().union(*(_distinctive(item.options[d], common) for d in item.distractors))
    for key in item.keys:
        if (_distinctive(item.options.get(key, ""), common) - elsewhere) & stem:
            return "key_word_in_stem"
    return None


def no_premise_word_in_its_option(item: ItemView, common: Collection[str]) -> str | None:
    """Matching: no premise repeats a distinctive word of its own option that the other options lack."""
    if item.type != "matching" or len(item.keys) != len(item.premises):
        return None
    words = {letter: _distinctive(text, common) for letter, text in item.options.items()}
    for premise, letter in zip(item.premises, item.keys, strict=True):
        others = set().union(*(w for k, w in words.items() if k != letter))
        if (words.get(letter, set()) - others) & _distinctive(premise, common):
            return "premise_cues_option"
    return None


# Specific determiners: options that claim too much are wrong, and test-wise candidates know it.
_ABSOLUTE = re.compile(
    r"\b(?:always|never|completely|entirely|absolutely|totally|guarantee[sd]?|impossible|"
    r"eliminates?|under no circumstances|in every case|all of the time)\b",
    re.IGNORECASE,
)


def no_absolute_giveaway(item: ItemView) -> str | None:
    """A distractor uses an absolute term ("always", "never", "completely", ...) and no key does: the
    absolute marks the wrong options. A key that is absolute too, or no absolute at all, passes."""
    if not item.distractors:
        return None
    key_absolute = any(_ABSOLUTE.search(item.options.get(k, "")) for k in item.keys)
    wrong_absolute = any(_ABSOLUTE.search(item.options[d]) for d in item.distractors)
    return "absolute_terms" if wrong_absolute and not key_absolute else None


# ---------------------------------------------------------------------------------------- negative stems

_NEGATIVE = re.compile(r"\b(?:not|except|cannot)\b|\b(?<!at )least\b|n't\b", re.IGNORECASE)


def _question_sentences(question: str) -> list[str]:
    """The sentences that ask: those ending in "?" (else the last one). A scenario may say "not" freely."""
    parts = sentences(clean(question))
    asking = [s for s in parts if s.rstrip().endswith("?")]
    return asking or parts[-1:]


def negative_emphasised(item: ItemView) -> str | None:
    """A negative question ("Which is NOT ...", "... EXCEPT") writes the negative in capitals."""
    for sentence in _question_sentences(item.question):
        for m in _NEGATIVE.finditer(sentence):
            if not m.group(0).isupper():
                return "negative_not_emphasised"
    return None


# ---------------------------------------------------------------------------------------- mechanics

# Letters whose English name starts with a vowel sound: "an ML model", "an S3 bucket", "a GPU".
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")
_SILENT_H = ("hour", "honest", "honor", "honour", "heir")
_CONSONANT_VOWEL = ("one", "once", "eu", "uni", "use", "usu", "user", "util", "uti")
# Lower-case "a"/"an" anywhere; capital "A"/"An" only opening a sentence ("options A and C" are letters).
_ARTICLE = re.compile(r"(?:(?<!\S)(a|an)|(?:^|(?<=[.!?:]\s))(A|An))\s+(\w[\w'-]*)")


def _vowel_sound(word: str) -> bool | None:
    """Whether `word` starts with a vowel sound; None when spelling alone cannot tell ("u...")."""
    core = word.strip("'\"()")
    if not core or core[0].isdigit():
        return None  # "a 10%", "an 80%": the number's spoken form decides
    if len(core) > 1 and (core.isupper() or core[:2].isupper() or any(c.isdigit() for c in core[:3])):
        return core[0].upper() in _VOWEL_LETTERS  # read as letters: "AWS", "ML", "S3", "EC2"
    low = core.casefold()
    if low.startswith(_SILENT_H):
        return True
    if low.startswith(_CONSONANT_VOWEL):
        return False
    if low[0] == "u":
        return None  # "an update" but "a unit"
    return low[0] in "aeio"


# "in manufacturer's pipeline": a common noun's possessive after a preposition wants an article.
_BARE_POSSESSIVE = re.compile(r"\b(?i:in|at|on|for|to|from|with|by|of|into|about)\s+([a-z]+)'s\b")
_DETERMINER_LIKE = frozenset("today yesterday tomorrow one everyone someone anyone nobody everybody somebody".split())  # noqa: SIM905


def article_agrees(text: str) -> str | None:
    """ "a" before a vowel sound or "an" before a consonant sound ("a AWS", "an SageMaker"), or no
    article before a common noun's possessive ("In manufacturer's ML pipeline")."""
    bare = next((m for m in _BARE_POSSESSIVE.finditer(text) if m.group(1) not in _DETERMINER_LIKE), None)
    if bare:
        return bare.group(0)
    for m in _ARTICLE.finditer(text):
        article, word = (m.group(1) or m.group(2)), m.group(3)
        vowel = _vowel_sound(word)
        if vowel is not None and vowel != (article.casefold() == "an"):
            return f"{article} {word}"
    return None


_POSSESSIVE = re.compile(r"'s's\b|\bits'|\b(?:your|their|our|her|hi)'s\b", re.IGNORECASE)
_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
_DOUBLE_OK = frozenset({"that", "had"})  # "that that", "had had" can be right


def mechanics_problem(text: str) -> str | None:
    """The first mechanical error in `text` as a reason code, or None."""
    text = clean(text)
    if article_agrees(text):
        return "article_error"
    if _POSSESSIVE.search(text):
        return "possessive_error"
    if any(m.group(1).casefold() not in _DOUBLE_OK and not m.group(1).isdigit() for m in _DOUBLED.finditer(text)):
        return "doubled_word"
    if text.count("(") != text.count(")") or text.count("[") != text.count("]") or text.count('"') % 2:
        return "unbalanced_marks"
    return None


def no_mechanical_errors(item: ItemView) -> str | None:
    """a/an, possessives, doubled words and unbalanced brackets/quotes, in the stem, options and premises."""
    for text in [item.stem, *item.options.values(), *item.premises]:
        problem = mechanics_problem(text)
        if problem:
            return problem
    return None


# ---------------------------------------------------------------------------------------- kinds and grammar


class Terms(Protocol):
    """What the kind checks need from `checks.GuideTerms` (kept as a protocol: no import cycle)."""

    concepts: frozenset[str]

    def services_in(self, text: str) -> set[str]: ...


_FUNCTION_WORDS = frozenset("the a an to for with on in of by from and or that which is are so".split())  # noqa: SIM905


def term_kind(text: str, terms: Terms) -> str | None:
    """ "service" for an option that is only an AWS service's name, "concept" for one that is only a
    guide concept's name ("Model Training", "data drift"), None for anything longer (a phrase, an action)."""
    text = clean(text).rstrip(".")
    rest = text
    for name in service_mentions(text):
        rest = rest.replace(name, " ")
    if rest != text and not content_stems(rest):
        return "service"
    if text.casefold() in terms.concepts and not terms.services_in(text):
        return "concept"
    return None


def _is_clause(text: str) -> bool:
    """A phrase with function words ("Retrain the model on recent data"), not a name of a few words."""
    words = clean(text).split()
    return len(words) >= 5 and bool(_FUNCTION_WORDS & set(words))


def options_one_kind(item: ItemView, terms: Terms) -> str | None:
    """Options that are bare names are all services or all concepts (not a phase among services);
    for matching items the same holds for the premises."""
    for texts in (item.options.values(), item.premises):
        kinds = {term_kind(t, terms) for t in texts} - {None}
        if len(kinds) > 1:
            return "options_mixed_kind"
    return None


def options_one_grammar(item: ItemView, terms: Terms) -> str | None:
    """Options share one grammatical form: all end with a period or none do, and no bare name stands
    among clauses ("Amazon S3" beside "Retrain the model on recent data").

    Gerund vs imperative vs noun openings are not judged: without a part-of-speech tagger "Monitoring
    with Model Monitor" (a noun) and "Deploying models to edge devices" (an action) look alike."""
    texts = [clean(t) for t in item.options.values()]
    periods = sum(t.endswith(".") for t in texts)
    named = [term_kind(t, terms) is not None for t in texts]
    clauses = sum(_is_clause(t) and not n for t, n in zip(texts, named, strict=True))
    if 0 < periods < len(texts) or (any(named) and clauses):
        return "options_mixed_grammar"
    return None


# ---------------------------------------------------------------------------------------- all of them


def flaw_reasons(item: ItemView, terms: Terms, corpus: CorpusShingles | None = None) -> list[str]:
    """Every item-writing flaw of `item`. The checks that need word frequencies (the clang cue) and the
    verbatim check run only with a corpus: without one, no word can be called distinctive."""
    results = [
        no_absolute_giveaway(item),
        negative_emphasised(item),
        no_mechanical_errors(item),
        grammar_reason(item.stem, [*item.options.values(), *item.premises]),  # cut or mis-slotted text
        options_one_kind(item, terms),
        options_one_grammar(item, terms) if item.type not in {"ordering", "matching"} else None,
        # a premise is a short need: any word it shares with its own option alone is a cue
        no_premise_word_in_its_option(item, frozenset()),
    ]
    if corpus is not None:
        results += [no_verbatim_corpus(item, corpus), no_key_word_in_stem(item, corpus.common)]
    return [r for r in results if r]
