"""Deterministic quality checks a generated item must pass before a learner sees it.

Each check is a small function returning None (pass) or a short reason code; `run_checks` runs them
all and returns every failure. Nothing here calls a model except the optional `solver` callable.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from assistant.services.exam.flaws import CorpusShingles, ItemView, flaw_reasons, term_kind
from assistant.services.exam.grammar import explanation_reason
from assistant.services.exam.items import ExamItem, count_problem, normalize_text, validation_codes
from assistant.services.exam.keys import option_reasons
from assistant.services.exam.reasons import FLAW_CHECKS, describe_reasons
from assistant.services.text import (
    STOP_WORDS,
    clean,
    content_stems,
    is_correct,
    service_mentions,
    stems,
    tokens,
    without_prefix,
)

if TYPE_CHECKING:
    from assistant.knowledge.service import KnowledgeBase

Solver = Callable[[str, Mapping[str, str]], Sequence[str]]

# The flaw checks live in flaws.py; callers import the reason labels and the shingles from here too.
__all__ = ["FLAW_CHECKS", "CorpusShingles", "GuideTerms", "balance_keys", "describe_reasons", "guide_terms"]
__all__ += ["is_near_duplicate", "run_checks"]

_ALL_NONE = re.compile(
    r"\b(?:all|none|both|neither) of (?:the )?(?:above|these|those|them)\b|\bboth [a-e] and [a-e]\b", re.IGNORECASE
)
MIN_QUOTE_WORDS = 3


def _has_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


@dataclass(frozen=True)
class GuideTerms:
    """AWS services and phases/concepts named in the guide, for judging distractors."""

    services: frozenset[str]
    concepts: frozenset[str]
    aliases: frozenset[str] = frozenset()  # unprefixed names seen in the guide ("SageMaker Clarify")

    @classmethod
    def from_terms(cls, terms: Iterable[str]) -> GuideTerms:
        """Build from a plain list: names starting "Amazon "/"AWS " are services, the rest concepts."""
        terms = [clean(t) for t in terms if t.strip()]
        services = frozenset(t for t in terms if t.startswith(("Amazon ", "AWS ")))
        return cls(services, frozenset(t.casefold() for t in terms if t not in services))

    @cached_property  # a frozen dataclass still has a __dict__, which cached_property writes to
    def _service_names(self) -> dict[tuple[str, ...], str]:
        """Stems of every way the guide names a service -> its canonical (prefixed, if known) name."""
        names: dict[tuple[str, ...], str] = {}
        for service in sorted(self.services):
            names[tuple(stems(service))] = service
            names.setdefault(tuple(stems(without_prefix(service))), service)
        for alias in sorted(self.aliases):
            names.setdefault(tuple(stems(alias)), alias)
        return names

    def services_in(self, text: str) -> set[str]:
        """Canonical names of the services the text mentions, most specific only:
        "SageMaker Clarify" gives {"Amazon SageMaker Clarify"}, not also "Amazon SageMaker"."""
        words = stems(text)
        found = {name for seq, name in self._service_names.items() if _has_run(words, seq)}

        def inside_another(name: str) -> bool:
            core = stems(without_prefix(name))
            return any(len(stems(o)) > len(core) and _has_run(stems(o), core) for o in found if o != name)

        return {name for name in found if not inside_another(name)}

    def unknown_services_in(self, text: str) -> list[str]:
        """Mentions like "Amazon X", "AWS X" or "SageMaker X" that the guide never names (invented services)."""
        known = self._service_names
        return [name for name in service_mentions(clean(text)) if tuple(stems(name)) not in known]

    def concepts_in(self, text: str) -> set[str]:
        words = stems(text)
        return {c for c in self.concepts if _has_run(words, stems(c))}

    def kind(self, text: str) -> Literal["service", "concept"] | None:
        if self.services_in(text) or service_mentions(text):
            return "service"
        return "concept" if self.concepts_in(text) else None


def guide_terms(text: str) -> GuideTerms:
    """Extract the services and concepts a guide (or several, joined) names. A function of the text alone."""
    services: set[str] = set()
    aliases: set[str] = set()
    for line in text.splitlines():
        for name in service_mentions(clean(line)):
            (services if name.startswith(("Amazon ", "AWS ")) else aliases).add(name)
    concepts = _headings(text) | _labels(text) | _enumerations(text) | _recurring_bigrams(text)
    brands = {"amazon", "aws", "sagemaker"}  # service-name words make a term a service, not a concept
    concepts = {c for c in concepts if c and not brands & set(tokens(c))}
    return GuideTerms(frozenset(services), frozenset(c.casefold() for c in concepts), frozenset(aliases))


def _headings(text: str) -> set[str]:
    """Section titles ("4. Model Training" -> "Model Training"); tips and questions are not terms."""
    found = set()
    for m in re.finditer(r"^#{2,6}\s+(?:\d+\.\s*)?(.+?)\s*$", text, re.MULTILINE):
        title = m.group(1)
        if not title.endswith("?") and ":" not in title and len(title.split()) <= 6:
            found.add(clean(title))
    return found


def _labels(text: str) -> set[str]:
    """List-item labels ("- Automation: ...", "3. Feature Store: ..."), "X (Y)" giving X and Y."""
    found = set()
    for m in re.finditer(r"^\s*(?:[-*]|\d+\.)\s+([A-Z][^:\n]{1,40}):\s", text, re.MULTILINE):
        label = m.group(1)
        if not label.startswith(("AWS", "Amazon")):
            found.update(clean(part) for part in re.split(r"[()]", label) if part.strip())
    return found


def _enumerations(text: str) -> set[str]:
    """Short items of comma lists: "(accuracy, precision, recall, ...)", "real-time, batch, or edge"."""
    found = set()
    for segment in re.split(r"[():.\n]|\s->\s|\u2192", text):
        parts = [p.strip() for p in segment.split(",")]
        if len(parts) < 3:
            continue
        for part in parts:
            part = re.sub(r"^(?:and|or)\s+", "", part)
            if part and part != "etc" and len(part.split()) <= 3:
                found.add(clean(part))
    return found


def _recurring_bigrams(text: str, min_count: int = 2) -> set[str]:
    """Two content words used together at least twice ("data drift", "batch inference")."""
    counts: Counter[str] = Counter()
    for clause in re.split(r"[^\w\s-]|\n", text):
        words = [w for w in re.findall(r"[a-z0-9-]+", clause.casefold()) if w not in STOP_WORDS and len(w) > 1]
        counts.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    return {bigram for bigram, n in counts.items() if n >= min_count}


def check_schema(raw: ExamItem | Mapping[str, Any]) -> tuple[ExamItem | None, list[str]]:
    """Validate through the model: the item, or None and the reason codes ("key_count", "schema", ...)."""
    if isinstance(raw, ExamItem):
        return raw, []
    try:
        return ExamItem.from_json(raw), []
    except ValidationError as e:
        return None, validation_codes(e)


def key_count(item: ExamItem) -> str | None:
    premises = item.premises if item.type == "matching" else None
    return "key_count" if count_problem(item.type, item.question, item.options, item.keys, premises=premises) else None


def options_distinct(item: ExamItem, min_ratio: float = 0.9) -> str | None:
    texts = [" ".join(tokens(t)) for t in item.options.values()]
    for a, b in itertools.combinations(texts, 2):
        if a == b or sorted(a.split()) == sorted(b.split()) or SequenceMatcher(None, a, b).ratio() >= min_ratio:
            return "options_not_distinct"
    return None


def no_all_none_of_the_above(item: ExamItem) -> str | None:
    texts = [*item.options.values(), *ItemView.of(item).premises]
    return "all_none_of_the_above" if any(_ALL_NONE.search(t) for t in texts) else None


def quote_in_passage(item: ExamItem, passages: Mapping[str, str]) -> str | None:
    """Every citation quotes (whitespace-normalized) verbatim from a passage that was retrieved."""
    if not item.citations:
        return "no_citation"
    for cite in item.citations:
        if cite.id not in passages:
            return "citation_not_retrieved"
        quote = clean(cite.quote).strip("\"' ").removesuffix("...").removeprefix("...").strip()
        if len(quote.split()) < MIN_QUOTE_WORDS:
            return "quote_too_short"
        if quote not in clean(passages[cite.id]):
            return "quote_not_in_passage"
    return None


def key_supported(item: ExamItem, terms: GuideTerms | None = None, min_share: float = 0.6) -> str | None:
    """The key's service name, or most of its salient words, appear in the quoted span(s) or in the
    heading they sit under (a phase is named by its heading, not by its bullets)."""
    quoted = stems(" ".join(f"{c.section.split(' > ')[-1]} {c.quote}" for c in item.citations))
    for letter in item.keys:
        text = item.options[letter]
        names = terms.services_in(text) if terms else set(service_mentions(clean(text)))
        if names:
            if not any(_has_run(quoted, stems(without_prefix(name))) for name in names):
                return "key_unsupported"
            continue
        salient = set(content_stems(text))
        if not salient or len(salient & set(quoted)) < math.ceil(min_share * len(salient)):
            return "key_unsupported"
    return None


def distractors_from_guide(item: ExamItem, terms: GuideTerms) -> str | None:
    """No option names a service the guide does not know; when the key is a bare name (a service or a
    concept), each distractor is a guide term of the same kind.

    Kinds are not judged for a key that is an action or a statement ("Retrain the model on recent
    data"): the remedy and next-step items of real exams have distractors that name a service or none.
    """
    for text in item.options.values():
        if terms.unknown_services_in(text):
            return "unknown_service"
    key_kinds = {term_kind(item.options[k], terms) for k in item.keys} - {None}
    for letter in item.distractors if key_kinds else []:
        kind = terms.kind(item.options[letter])
        if kind is None:
            return "distractor_not_in_guide"
        if kind not in key_kinds:
            return "distractor_kind_mismatch"
    return None


def no_length_giveaway(
    item: ExamItem, terms: GuideTerms | None = None, ratio: float = 1.6, margin: float = 1.3, slack: int = 10
) -> str | None:
    """The key is not much longer than the distractors (the test-wise "pick the longest" trick).

    `slack` characters keep short service names ("Amazon S3" vs "AWS Glue") from tripping the ratios.
    With `terms`, a key that is a bare name (a service, a phase) passes: names come as they are, and
    "Data Preprocessing and Feature Engineering" beside "Model Training" gives nothing away.
    """
    lengths = {k: len(clean(v)) for k, v in item.options.items()}
    wrong = [lengths[k] for k in item.distractors]
    if not wrong:
        return None
    mean, longest = sum(wrong) / len(wrong), max(wrong)
    for key in item.keys:
        if terms is not None and term_kind(item.options[key], terms):
            continue
        n = lengths[key]
        if (n > ratio * mean and n - mean >= slack) or (n > margin * longest and n - longest >= slack):
            return "length_giveaway"
    return None


def no_stem_copy(item: ExamItem, run: int = 3) -> str | None:
    """The key does not repeat a run of >= `run` content words from the stem that no distractor repeats."""

    def runs(text: str) -> set[tuple[str, ...]]:
        words = content_stems(text)
        return {tuple(words[i : i + run]) for i in range(len(words) - run + 1)}

    stem_runs = runs(ItemView.of(item).stem)  # a case study's scenario is part of the stem
    shared_by_distractors = set().union(*(runs(item.options[d]) for d in item.distractors))
    for key in item.keys if item.distractors else []:  # ordering and matching items use every option
        if (runs(item.options[key]) & stem_runs) - shared_by_distractors:
            return "stem_copy"
    return None


def _stem_tokens(question: str) -> list[str]:
    return tokens(re.sub(r"\(choose \w+\.?\)", " ", normalize_text(question)))


def is_near_duplicate(a: str, b: str, jaccard: float = 0.6, ratio: float = 0.85) -> bool:
    """Token Jaccard >= 0.6 or SequenceMatcher ratio >= 0.85 on normalized stems."""
    ta, tb = _stem_tokens(a), _stem_tokens(b)
    sa, sb = set(ta), set(tb)
    if sa and sb and len(sa & sb) / len(sa | sb) >= jaccard:
        return True
    matcher = SequenceMatcher(None, " ".join(ta), " ".join(tb), autojunk=False)
    return matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio


def not_near_duplicate(item: ExamItem, questions: Iterable[str], reason: str = "near_duplicate_bank") -> str | None:
    return reason if any(is_near_duplicate(item.question, q) for q in questions) else None


def blind_solve(item: ExamItem, solver: Solver) -> str | None:
    """A solver (e.g. the LLM answering from the guide) must reach the key; backend errors propagate."""
    chosen = solver(item.question, dict(item.options))
    return None if is_correct(chosen, item.keys, ordered=item.ordered) else "blind_solve_mismatch"


def run_checks(
    item: ExamItem | Mapping[str, Any],
    *,
    passages: Mapping[str, str],
    guide_terms: GuideTerms | Iterable[str],
    bank_questions: Iterable[str] = (),
    eval_questions: Iterable[str] = (),
    solver: Solver | None = None,
    corpus_lines: CorpusShingles | Sequence[str] = (),
    knowledge: KnowledgeBase | None = None,
) -> list[str]:
    """Every failure reason for `item` (an ExamItem or raw JSON dict); [] means the item may be shown.

    Besides schema, citations, distractors, duplicates and the optional blind solve, every item-writing
    flaw of flaws.py is checked (`FLAW_CHECKS` labels each code). corpus_lines: the corpus's lines, or a
    `CorpusShingles` built from them once (faster when many drafts are checked); with it, a stem with
    >= 7 words in a row of one line fails ("verbatim_corpus") and so does a stem repeating a word of
    the key that is rare in the corpus and in no distractor ("key_word_in_stem"). knowledge: the
    knowledge layer; with it, second keys and options off the stem's ask are found too (keys.py).
    """
    valid, reasons = check_schema(item)
    if valid is None:
        return reasons
    terms = guide_terms if isinstance(guide_terms, GuideTerms) else GuideTerms.from_terms(guide_terms)
    results = [
        key_count(valid),
        options_distinct(valid),
        no_all_none_of_the_above(valid),
        quote_in_passage(valid, passages),
        key_supported(valid, terms),
        distractors_from_guide(valid, terms) if valid.type != "ordering" else None,
        no_length_giveaway(valid, terms),
        no_stem_copy(valid),
        not_near_duplicate(valid, bank_questions, "near_duplicate_bank"),
        not_near_duplicate(valid, eval_questions, "leaks_eval"),
        explanation_reason(valid.explanations.values()),
    ]
    given = isinstance(corpus_lines, CorpusShingles) or bool(corpus_lines)  # an empty list means no corpus
    view = ItemView.of(valid)
    results += flaw_reasons(view, terms, CorpusShingles.of(corpus_lines) if given else None)
    results += option_reasons(view, terms, terms.services | terms.aliases, knowledge)
    if solver is not None:
        results.append(blind_solve(valid, solver))
    return list(dict.fromkeys(r for r in results if r))


def balance_keys(items: Sequence[ExamItem], seed: int) -> list[ExamItem]:
    """Shuffle options so key positions are balanced across the set (deterministic by seed).

    Single items cycle their key through A-D; multi items cycle through every pair of letters (each
    letter is in equally many pairs). Ordering and matching items listed already in order are shuffled, since
    "A,B,C,D" gives the answer away. Answers and explanations follow their options; ids do not change.
    """
    rng = random.Random(seed)
    targets: dict[str, list[tuple[str, ...]]] = {}
    for kind, n, k in (("single", 4, 1), ("multi", 5, 2)):
        count = sum(1 for i in items if i.type == kind)
        combos = list(itertools.combinations("ABCDE"[:n], k))
        rng.shuffle(combos)
        targets[kind] = [combos[i % len(combos)] for i in range(count)]
        rng.shuffle(targets[kind])
    out = []
    for item in items:
        if item.ordered:  # ordering and matching: the answer is a sequence of letters
            out.append(_unsort_ordering(item, rng))
        else:
            out.append(_place_keys(item, targets[item.type].pop(), rng))
    return out


def _place_keys(item: ExamItem, key_slots: tuple[str, ...], rng: random.Random) -> ExamItem:
    letters = list(item.options)
    keys, wrong = list(item.keys), list(item.distractors)
    rng.shuffle(wrong)
    free = [slot for slot in letters if slot not in key_slots]
    mapping = dict(zip(keys, key_slots, strict=True)) | dict(zip(wrong, free, strict=True))
    return _remap(item, mapping)


def _unsort_ordering(item: ExamItem, rng: random.Random) -> ExamItem:
    letters = list(item.options)
    if item.keys != letters:
        return item
    new = letters[:]
    while new == letters:
        rng.shuffle(new)
    return _remap(item, dict(zip(letters, new, strict=True)))


def _remap(item: ExamItem, mapping: dict[str, str]) -> ExamItem:
    """Move option old->mapping[old], carrying answer letters and explanations along."""
    data = item.to_json()
    data["options"] = {mapping[k]: v for k, v in item.options.items()}
    data["explanations"] = {mapping[k]: v for k, v in item.explanations.items()}
    data["answer"] = ",".join(mapping[k] for k in item.keys)
    return ExamItem.from_json(data)
