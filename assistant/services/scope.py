"""Deciding whether a question is one the guide can answer, before any generation.

Signals, in order: text that reads as instructions to the assistant (prompt injection, see
`sanitize.injection_signals`); the question's key terms, when the corpus never uses them (AWS products
it never names, terms of neighbouring topics such as prompts or foundation models, asked-for specifics
such as prices or instance sizes, the thing a "what is X?" asks about); and the retrieval relevance of
the best passage. Key terms count because a question on a neighbouring topic shares its generic words
("model", "training", "data") with the guide, so similarity alone lets it through.

"The corpus" here is the text `decide` is given: the guides, and of supplements such as the team
glossary only the names they define (an entity the glossary adds is covered by its name). Given
`entries` (see `entity_entries`), a question that names such an entity is also covered for what its
entry says: "Which tool imports data from Redshift?" names Data Wrangler, whose entry mentions Redshift.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError, InputError
from assistant.services.sanitize import injection_signals, looks_like_injection
from assistant.services.text import STOP_WORDS, service_mentions, stem, tokens

__all__ = [
    "Scope",
    "clean_question",
    "decide",
    "entity_entries",
    "foreign_terms",
    "key_terms",
    "looks_like_injection",
    "words_covered",
]

TERMS_FILE = Path(__file__).resolve().parents[2] / "prompts" / "scope_terms.toml"
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
_CHOOSE = {"TWO", "THREE", "FOUR"}  # "(Select TWO.)"
# Typos ("detct bias in trainig data") pull the embedding's relevance down although every word is the
# guide's: a question a little under the threshold (NEAR share of it) whose content words the corpus
# uses, allowing one typo per word (WORDS_COVERED share of them, at least MIN_WORDS words), is covered.
NEAR = 0.75
WORDS_COVERED = 0.8
MIN_WORDS = 3
# Acronyms alone are weak evidence (a stem can mention REST APIs or a JSON file in passing): they only
# count when the question is also far from every passage. Chosen on evals/dev.
ACRONYM_RELEVANCE = 0.45
_FIRST_WORD = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*[\"'(]*$")


@dataclass(frozen=True)
class Scope:
    covered: bool
    reason: str  # "" when covered; else a sentence for the reader
    relevance: float


def clean_question(text: str, *, max_chars: int) -> str:
    """Strip control characters and check size. Raises InputError for empty or oversized input."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        raise InputError("The question is empty. Type a question about the guide.")
    if len(text) > max_chars:
        msg = f"The question is {len(text):,} characters; the limit is {max_chars:,} (ASSISTANT_UI__MAX_INPUT_CHARS). Shorten it."
        raise InputError(msg)
    return text


# -- the corpus's vocabulary and the neighbouring topics' terms -------------------------------------
class _Vocabulary:
    """Word stems and stem phrases (up to 4 words, within a line) of the corpus text."""

    def __init__(self, text: str) -> None:
        self.words = set(tokens(text))
        self.stems = {stem(w) for w in self.words}
        self.phrases: set[tuple[str, ...]] = set()
        for line in text.splitlines():
            s = [stem(w) for w in tokens(line)]
            self.phrases.update(tuple(s[i : i + n]) for n in range(1, 5) for i in range(len(s) - n + 1))

    def has_phrase(self, phrase: str) -> bool:
        return tuple(stem(w) for w in tokens(phrase)) in self.phrases

    def near(self, word: str) -> bool:
        """The word, a word with its stem, or one a typo away (one letter added, dropped, changed or
        two swapped; words of 5+ letters)."""
        root = stem(word)
        if word in self.words or root in self.stems:
            return True
        if len(word) < 5:
            return False
        return any(
            _one_edit(w, v)
            for w, known in ((word, self.words), (root, self.stems))
            for v in known
            if abs(len(v) - len(w)) <= 1
        )


def _one_edit(a: str, b: str) -> bool:
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
        return len(diff) == 1 or swapped
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def words_covered(question: str, guide_text: str) -> tuple[float, int]:
    """(share of the question's content words the corpus uses, allowing a typo; how many there are)."""
    vocab = _vocabulary(guide_text)
    words = [w for w in tokens(question) if w not in STOP_WORDS and len(w) > 2]
    return (sum(vocab.near(w) for w in words) / len(words) if words else 0.0), len(words)


@dataclass(frozen=True)
class _Terms:
    terms: tuple[str, ...]
    situation_terms: tuple[str, ...]
    names: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]


@functools.lru_cache(maxsize=4)
def _load_terms(path: Path = TERMS_FILE) -> _Terms:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        patterns = tuple((label, re.compile(rx, re.IGNORECASE)) for label, rx in data.get("patterns", {}).items())
    except (OSError, tomllib.TOMLDecodeError, re.error) as e:
        msg = f"The scope terms {path} could not be read: {e}. Restore prompts/scope_terms.toml from the repository."
        raise ConfigError(msg) from e
    lists = (tuple(data.get(key, ())) for key in ("terms", "situation_terms", "names"))
    return _Terms(*lists, patterns)


@functools.lru_cache(maxsize=256)
def _vocabulary(text: str) -> _Vocabulary:
    return _Vocabulary(text)


def entity_entries(entities: Iterable[Any]) -> dict[str, str]:
    """name or alias -> the text of its supplement entry, for `decide(entries=...)`. `entities` are
    knowledge-layer entities (`name`, `aliases`, `fields`: field name -> values); guide-only ones
    (no fields) have no entry."""
    out: dict[str, str] = {}
    for e in entities:
        text = "\n".join(v for values in (getattr(e, "fields", None) or {}).values() for v in values)
        if text:
            out.update({alias: text for alias in (e.name, *e.aliases) if alias})
    return out


def _corpus_for(question: str, guide_text: str, entries: Mapping[str, str] | None) -> str:
    """The guide text, plus the entries of the supplement entities the question names."""
    named = [text for alias, text in (entries or {}).items() if _mentions(question, alias)]
    return "\n".join([guide_text, *dict.fromkeys(named)])


@functools.lru_cache(maxsize=4096)
def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in tokens(text))


def _mentions(question: str, term: str) -> bool:
    q, t = _stems(question), _stems(term)
    return bool(t) and any(q[i : i + len(t)] == t for i in range(len(q) - len(t) + 1))


def _named(question: str, name: str) -> bool:
    """A capitalised name, not as the first word of a sentence."""
    return any(not _FIRST_WORD.search(question[: m.start()]) for m in re.finditer(rf"\b{re.escape(name)}\b", question))


def key_terms(question: str, guide_text: str, *, specifics: bool = True) -> list[str]:
    """The question's key terms the corpus never uses: neighbouring topics' terms and names, and (with
    `specifics`, for questions typed to the assistant rather than exam scenarios) the situation terms
    and the kinds of asked-for detail it never gives (prices, quotas, instance sizes, ...)."""
    vocab, data = _vocabulary(guide_text), _load_terms()
    terms = data.terms + data.situation_terms if specifics else data.terms
    out = [t for t in terms if _mentions(question, t) and not vocab.has_phrase(t)]
    out += [n for n in data.names if _named(question, n) and not vocab.has_phrase(n)]
    out += [label for label, rx in data.patterns if specifics and rx.search(question)]
    # One name per term ("prompts" and "prompt" are one), and a longer term already says a shorter one
    # it contains ("prompt engineering" over "prompt").
    unique = list({_stems(t): t for t in reversed(out)}.values())[::-1]
    return [t for t in unique if not any(len(_stems(o)) > len(_stems(t)) and _mentions(o, t) for o in unique)]


def foreign_terms(question: str, guide_text: str, *, relevance: float = 0.0) -> list[str]:
    """AWS product names (Amazon Bedrock, AWS Shield) whose product words the guide never uses, and,
    when the question is only loosely related to the guide, acronyms it never uses (EC2, IAM)."""
    vocab = _vocabulary(guide_text).words
    out = []
    for name in dict.fromkeys(service_mentions(question)):
        words = tokens(name)[1:]  # drop the Amazon/AWS prefix
        if words and any(w not in vocab for w in words):
            out.append(name)
    if relevance < ACRONYM_RELEVANCE:
        out += [a for a in _ACRONYM.findall(question) if a.lower() not in vocab and a not in _CHOOSE]
    return out


def decide(
    question: str,
    relevance: float,
    *,
    threshold: float,
    guide_text: str,
    acronyms: bool = True,
    entries: Mapping[str, str] | None = None,
) -> Scope:
    """`acronyms=False` for exam scenarios, whose stems name file formats and devices (JSON, GPS) and
    talk about costs and sizes freely: there only AWS product names and neighbouring topics' terms the
    corpus never uses count as foreign."""
    signals = injection_signals(question)
    if signals:
        why = " and ".join(signals)
        return Scope(
            False, f"This reads as instructions to the assistant ({why}), not a question about the guide.", relevance
        )
    corpus = _corpus_for(question, guide_text, entries)
    foreign = foreign_terms(question, corpus, relevance=relevance if acronyms else 1.0)
    foreign += key_terms(question, corpus, specifics=acronyms)
    if foreign:
        return Scope(False, f"The guide does not cover {', '.join(dict.fromkeys(foreign))}.", relevance)
    if relevance < threshold and not _lexically_close(question, relevance, threshold, corpus):
        return Scope(False, "No passage of the guide is close enough to this question.", relevance)
    return Scope(True, "", relevance)


def _lexically_close(question: str, relevance: float, threshold: float, corpus: str) -> bool:
    if relevance < NEAR * threshold:
        return False
    share, n = words_covered(question, corpus)
    return n >= MIN_WORDS and share >= WORDS_COVERED
