"""Deciding whether a question is one the guide can answer, before any generation.

Signals, in order: text that reads as instructions to the assistant (prompt injection, see
`sanitize.injection_signals`); the question's key terms, when the corpus never uses them (AWS products
it never names, terms of neighbouring topics such as prompts or foundation models, asked-for specifics
such as prices or instance sizes, the thing a "what is X?" asks about) in the part that asks, not in the
scene a typed question sets first (see `scope_focus`); and the retrieval relevance of
the best passage. Key terms count because a question on a neighbouring topic shares its generic words
("model", "training", "data") with the guide, so similarity alone lets it through. For the same reason
a typed question is out of scope when its asking part uses a guide word in another sense ("continental
drift", see `scope_sense`) or asks for the steps to set up or write something with words the documents
never use ("How do I write a Glue job that reads from a JDBC source?").

"The corpus" here is the text `decide` is given: the guides, and of supplements such as the team
glossary only the names they define (an entity the glossary adds is covered by its name). Given
`entries` (see `entity_entries`), a question that names such an entity is also covered for what its
entry says: "Which tool imports data from Redshift?" names Data Wrangler, whose entry mentions Redshift.

A pasted exam question (`decide_mcq`) is judged on the whole question: its stem is a scenario (a
retailer, a hospital) whose words are far from any guide, while its options name the services, phases
and actions the question is about. So the relevance is the whole question's, and options that name
what the corpus never does (other AWS products, EC2 instance families, S3 storage classes) count
against it.
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
from assistant.services.scope_focus import Focus, focus
from assistant.services.scope_sense import other_senses, setup_words
from assistant.services.scope_vocab import PART as _PART
from assistant.services.scope_vocab import mentions as _mentions
from assistant.services.scope_vocab import says as _says
from assistant.services.scope_vocab import stems as _stems
from assistant.services.scope_vocab import vocabulary as _vocabulary
from assistant.services.scope_vocab import words_covered
from assistant.services.text import content_words, service_mentions, stem, tokens

__all__ = [
    "Scope",
    "clean_question",
    "decide",
    "decide_mcq",
    "entity_entries",
    "foreign_terms",
    "key_terms",
    "looks_like_injection",
    "option_scope",
    "unknown_names",
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
# A name in an option: a capitalised word that does not start it ("S3 Glacier Deep Archive"), or a
# word of letters and digits ("C6i", "m5"). Single letters are option labels or variables.
_NAME = re.compile(r"\b(?:[A-Z][A-Za-z0-9]+|[A-Za-z]+\d[A-Za-z0-9]*|\d+[A-Za-z]+[A-Za-z0-9]*)\b")
# Pasted questions: when at least this share of the options name things the corpus never uses and
# none is a corpus entity, the question is about those things, not the guide. Chosen on evals/dev.
FOREIGN_OPTIONS = 0.5
# A guide word in another sense ("continental drift"): its modifier is used on at most this many lines
# of the documents (see scope_sense). Swept on evals/dev: 1/2/3 refuse 4/5/6 out-of-scope questions
# and 0/0/1 in-scope ones.
RARE_LINES = 2


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


@dataclass(frozen=True)
class _Terms:
    terms: tuple[str, ...]
    situation_terms: tuple[str, ...]
    names: tuple[str, ...]
    sense_words: tuple[str, ...]
    plain_modifiers: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    setup_asks: re.Pattern[str] | None = None
    candidate_asks: re.Pattern[str] | None = None


_ASK_KEYS = ("setup_asks", "candidate_asks")


@functools.lru_cache(maxsize=4)
def _load_terms(path: Path = TERMS_FILE) -> _Terms:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        patterns = tuple((label, re.compile(rx, re.IGNORECASE)) for label, rx in data.get("patterns", {}).items())
        setup, candidate = (re.compile(data[k], re.IGNORECASE) if data.get(k) else None for k in _ASK_KEYS)
    except (OSError, tomllib.TOMLDecodeError, re.error) as e:
        msg = f"The scope terms {path} could not be read: {e}. Restore prompts/scope_terms.toml from the repository."
        raise ConfigError(msg) from e
    keys = ("terms", "situation_terms", "names", "sense_words", "plain_modifiers")
    return _Terms(*(tuple(data.get(key, ())) for key in keys), patterns, setup, candidate)


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
    return _PART.join([guide_text, *dict.fromkeys(named)])


def _named(question: str, name: str) -> bool:
    """A capitalised name, not as the first word of a sentence."""
    return any(not _FIRST_WORD.search(question[: m.start()]) for m in re.finditer(rf"\b{re.escape(name)}\b", question))


def key_terms(question: str, guide_text: str, *, specifics: bool = True) -> list[str]:
    """The question's key terms the corpus never uses: neighbouring topics' terms and names, and (with
    `specifics`, for questions typed to the assistant rather than exam scenarios) the situation terms
    and the kinds of asked-for detail it never gives (prices, quotas, instance sizes, ...)."""
    vocab, data = _vocabulary(guide_text), _load_terms()
    terms = data.terms + data.situation_terms if specifics else data.terms
    out = [t for t in terms if _says(question, t) and not vocab.uses(t)]
    out += [n for n in data.names if _named(question, n) and not vocab.has_phrase(n)]
    out += [label for label, rx in data.patterns if specifics and rx.search(question)]
    # One name per term ("prompts" and "prompt" are one), and a longer term already says a shorter one
    # it contains ("prompt engineering" over "prompt").
    unique = list({_stems(t): t for t in reversed(out)}.values())[::-1]
    return [t for t in unique if not any(len(_stems(o)) > len(_stems(t)) and _mentions(o, t) for o in unique)]


def foreign_terms(question: str, guide_text: str, *, relevance: float = 0.0) -> list[str]:
    """AWS product names (Amazon Bedrock, AWS Shield) whose product words the guide never uses, and,
    when the question is only loosely related to the guide, acronyms and other names it never uses
    (EC2, IAM, GitHub)."""
    vocab = _vocabulary(guide_text).words
    out = []
    for name in dict.fromkeys(service_mentions(question)):
        words = tokens(name)[1:]  # drop the Amazon/AWS prefix
        if words and any(w not in vocab for w in words):
            out.append(name)
    if relevance < ACRONYM_RELEVANCE:
        out += [a for a in _ACRONYM.findall(question) if a.lower() not in vocab and a not in _CHOOSE]
        listed = {w for term in out for w in tokens(term)}  # "Bedrock" is said by "Amazon Bedrock"
        out += [n for n in unknown_names(question, guide_text) if n[0].isupper() and n.lower() not in listed]
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
        return _instructions(signals, relevance)
    corpus = _corpus_for(question, guide_text, entries)
    foreign = _foreign(question, corpus, relevance if acronyms else 1.0, specifics=acronyms)
    if acronyms:  # a typed question: judged on the part that asks
        parts = focus(question)
        if foreign and (_only_context(parts, corpus, relevance, entries) or _candidate(parts.asked, foreign, entries)):
            foreign = []
        if not foreign:
            foreign = _senses(parts.asked, guide_text, entries)
    if foreign:
        return Scope(False, f"The guide does not cover {', '.join(dict.fromkeys(foreign))}.", relevance)
    if relevance < threshold and not _lexically_close(question, relevance, threshold, corpus):
        return Scope(False, "No passage of the guide is close enough to this question.", relevance)
    return Scope(True, "", relevance)


def _foreign(text: str, corpus: str, relevance: float, *, specifics: bool) -> list[str]:
    return foreign_terms(text, corpus, relevance=relevance) + key_terms(text, corpus, specifics=specifics)


def _senses(asked: str, guide_text: str, entries: Mapping[str, str] | None) -> list[str]:
    """Guide words the asking part uses in another sense (see scope_sense), judged against the guides
    and every supplement entry. A part that also names a corpus entity keeps the guide's sense ("is
    there seasonal drift in sales data we should retrain for?")."""
    data = _load_terms()
    documents = _PART.join([guide_text, *dict.fromkeys((entries or {}).values())])
    found = other_senses(asked, data.sense_words, documents, rare_lines=RARE_LINES, plain=data.plain_modifiers)
    if found and _names_entry(_without(asked, found), entries):
        found = []
    # A typo is no new word. The vocabulary is built only when the question asks for set-up steps (about
    # 0.1 s once per process: most questions never need it).
    steps = setup_words(asked, data.setup_asks, lambda w: _vocabulary(documents).near(w))
    return found + ([f"the steps to set up or write this ({', '.join(steps)})"] if steps else [])


def _without(text: str, phrases: Iterable[str]) -> str:
    """`text`'s words less those of `phrases`."""
    taken = {w for phrase in phrases for w in tokens(phrase)}
    return " ".join(w for w in tokens(text) if w not in taken)


def _names_entry(text: str, entries: Mapping[str, str] | None) -> bool:
    """`text` names an entity the supplements define (a glossary entry of the corpus)."""
    return bool(_corpus_for(text, "", entries).strip(_PART))


def _only_context(parts: Focus, corpus: str, relevance: float, entries: Mapping[str, str] | None) -> bool:
    """Every foreign term is in the scene the question sets (`scope_focus.focus`), and the part that
    asks names none of them but names a corpus entity ("We already run Redshift. Where does S3 sit in an
    ML pipeline?"). A generic ask after a foreign scene ("We moved to Aurora. What should we monitor
    now?") is about the scene, and stays out. Swept on evals/dev: also letting through a generic ask
    close to a passage (relevance >= 0.30-0.45) un-refuses one more in-scope question and no dev
    out-of-scope one, but probes of that shape written for the sweep (not in dev: "We moved to Aurora.
    What should we monitor now?") sit at 0.46-0.50 relevance, as high as in-scope ones: not used."""
    if not parts.context or _foreign(parts.asked, corpus, relevance, specifics=True):
        return False
    return _names_entry(parts.asked, entries)


def _candidate(asked: str, foreign: list[str], entries: Mapping[str, str] | None) -> bool:
    """The asking part offers the foreign things as the answer to a problem or likens them to something
    (`candidate_asks`: "Is a bigger instance type the fix for concept drift?"), and what it asks about
    once they are taken out names a corpus entity or a guide word (`sense_words`). Such a question tests
    a candidate, usually a misconception the guide corrects; its topic is the guide's."""
    data = _load_terms()
    if data.candidate_asks is None or not data.candidate_asks.search(asked):
        return False
    rest = _without(asked, foreign)
    senses = {stem(w) for w in data.sense_words}
    return _names_entry(rest, entries) or any(stem(w) in senses for w in tokens(rest))


def _instructions(signals: list[str], relevance: float) -> Scope:
    why = " and ".join(signals)
    return Scope(
        False, f"This reads as instructions to the assistant ({why}), not a question about the guide.", relevance
    )


def _lexically_close(question: str, relevance: float, threshold: float, corpus: str) -> bool:
    if relevance < NEAR * threshold:
        return False
    share, n = words_covered(question, corpus)
    return n >= MIN_WORDS and share >= WORDS_COVERED


# -- pasted exam questions ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionScope:
    foreign: tuple[str, ...]  # terms and names in it the corpus never uses
    known: bool  # it names a corpus entity and says of it nothing the documents do not


def unknown_names(text: str, guide_text: str) -> list[str]:
    """Names in `text` (see _NAME; a capitalised word that starts a sentence is not one) that the
    corpus never uses."""
    vocab = _vocabulary(guide_text)
    out = []
    for m in _NAME.finditer(text):
        word = m.group(0)
        plain = word.isalpha() and word[1:].islower()  # "Switch", not "C6i" or "NAT"
        if word.upper() in _CHOOSE or (plain and _FIRST_WORD.search(text[: m.start()])):
            continue
        low = word.lower()
        if low not in vocab.words and stem(low) not in vocab.stems:
            out.append(word)
    return list(dict.fromkeys(out))


def option_scope(option: str, guide_text: str, knowledge: Any = None) -> OptionScope:
    """What the corpus knows of one option. `knowledge` is the knowledge layer (its linker and the
    words the documents use about each entity); without it no option counts as known."""
    foreign = foreign_terms(option, guide_text, relevance=1.0) + key_terms(option, guide_text, specifics=False)
    foreign += unknown_names(option, guide_text)
    return OptionScope(tuple(dict.fromkeys(foreign)), not foreign and _names_entity(option, knowledge))


def _names_entity(option: str, knowledge: Any) -> bool:
    """The option names a corpus entity and says of it what the documents say: mostly the name
    ("SageMaker Model Monitor with alerts"), or the name in a phrase whose other words (two or more)
    the documents use about it ("Use SageMaker Clarify to generate a bias report"). One word beside a
    name is a variant the corpus need not know ("S3 Standard" is a storage class, not S3)."""
    if knowledge is None:
        return False
    ids, share = knowledge.linker.coverage(option)
    if not ids:
        return False
    alias_words = {w for e in ids for alias in knowledge.linker.aliases_of(e) for w in alias}
    rest = content_words(option) - alias_words
    if not rest:
        return True
    if share <= 0.5 and len(rest) < 2:
        return False
    return len(rest & knowledge.profile(set(ids))) / len(rest) >= 0.5


def decide_mcq(
    stem_text: str,
    options: Mapping[str, str],
    relevance: float,
    *,
    threshold: float,
    guide_text: str,
    entries: Mapping[str, str] | None = None,
    knowledge: Any = None,
    foreign_options: float = FOREIGN_OPTIONS,
) -> Scope:
    """A pasted multiple-choice question. `relevance`: the whole question's (stem and options) best
    passage. Instructions anywhere in it, a stem about a neighbouring topic, or options that mostly
    name what the corpus never uses (while none names a corpus entity) take it out of scope."""
    whole = "\n".join([stem_text, *options.values()])
    signals = injection_signals(whole)  # instructions hidden in an option count as much as in the stem
    if signals:
        return _instructions(signals, relevance)
    corpus = _corpus_for(whole, guide_text, entries)
    foreign = foreign_terms(stem_text, corpus, relevance=1.0) + key_terms(stem_text, corpus, specifics=False)
    views = [option_scope(o, corpus, knowledge) for o in options.values()]
    named = [v for v in views if v.foreign]
    if not foreign and views and len(named) >= foreign_options * len(views) and not any(v.known for v in views):
        foreign = [t for v in named for t in v.foreign]
    if foreign:
        return Scope(False, f"The guide does not cover {', '.join(dict.fromkeys(foreign))}.", relevance)
    if relevance < threshold:
        return Scope(False, "No passage of the guide is close enough to this question.", relevance)
    return Scope(True, "", relevance)
