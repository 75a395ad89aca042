"""The one text toolkit: sentences with offsets, words and their stems, the stop-word list, AWS service
names, and the rule that decides whether an answer is correct.

Passages, guide lines, a streamed answer and exam items are all cut and compared with these, so a
sentence the support check quotes is the same sentence the MCQ solver scores and the exam cites.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------- sentences


@dataclass(frozen=True)
class Span:
    """A sentence (or a line) of a text, with its offsets: text == source[start:end]."""

    text: str
    start: int
    end: int


# A piece ends at a line break, or at . ! ? (with any [n] citation markers after it, which stay with
# their sentence) followed by a space and a capital. "etc.)" and "(AUC-ROC, RMSE, etc.)" do not end a
# sentence (no space after the period); "1. Data Ingestion" and "e.g. Amazon S3" are vetted below.
_BOUNDARY = re.compile(
    r"(?P<newline>\n+)"
    r"|(?P<end>[.!?][\"'\u201d\u2019]?(?:[^\S\n]*\[\d{1,2}\])*|(?:\[\d{1,2}\])+)"
    r"[^\S\n]+(?=[A-Z\"'\u201c(])"
)
_LAST_WORD = re.compile(r"(\S+)\Z")
_INITIALISM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")
_ABBREVIATIONS = frozenset({"vs", "approx", "cf", "fig", "dr", "mr", "mrs", "ms"})
_BULLET = re.compile(r"^(?:[-*\u2022]+\s+|-+(?=\w))")
_MARKER = re.compile(r"\s*\[(\d{1,2})\]")


def _ends_sentence(text: str, m: re.Match[str]) -> bool:
    """A period after a list number ("1."), an initialism ("e.g.", "i.e.", "U.S.") or a known
    abbreviation ("vs.") does not end a sentence."""
    if m.group("newline") or m.group("end")[0] != ".":
        return True
    word = _LAST_WORD.search(text, 0, m.start())
    w = word.group(1).lstrip("(\"'\u201c") if word else ""
    return bool(w) and not (w.isdigit() or _INITIALISM.fullmatch(w) or w.lower() in _ABBREVIATIONS)


def _cuts(text: str) -> Iterator[tuple[int, int]]:
    """(end of a piece, start of the next) for every sentence boundary in `text`."""
    for m in _BOUNDARY.finditer(text):
        if _ends_sentence(text, m):
            end = m.start() if m.group("newline") else m.end("end")
            yield end, m.end()


def sentence_spans(text: str, base: int = 0, *, min_chars: int = 4) -> list[Span]:
    """Lines, and sentences within them, of `text`, with offsets into the document `text` starts at
    offset `base` of. List bullets are left out of a span; pieces shorter than `min_chars` are dropped."""
    out: list[Span] = []
    pos = 0
    for end, nxt in [*_cuts(text), (len(text), len(text))]:
        piece = text[pos:end]
        lead = len(piece) - len(piece.lstrip())
        body = piece.strip()
        bullet = _BULLET.match(body)
        if bullet:
            lead += bullet.end()
            body = body[bullet.end() :].strip()
        if len(body) >= min_chars:
            out.append(Span(body, base + pos + lead, base + pos + lead + len(body)))
        pos = nxt
    return out


def sentences(text: str, *, min_chars: int = 1) -> list[str]:
    return [s.text for s in sentence_spans(text, min_chars=min_chars)]


def complete_sentences(buffer: str) -> tuple[list[str], str]:
    """For streamed text: the sentences that are certainly complete, and the rest (still arriving)."""
    cuts = list(_cuts(buffer))
    if not cuts:
        return [], buffer
    end, rest = cuts[-1]
    return sentences(buffer[:end]), buffer[rest:]


def split_markers(sentence: str) -> tuple[str, list[int]]:
    """'Clarify detects bias [1][2].' -> ('Clarify detects bias.', [1, 2])."""
    return _MARKER.sub("", sentence).strip(), [int(n) for n in _MARKER.findall(sentence)]


# ---------------------------------------------------------------------------------------- words

# A word list reads better as text than as 100 one-word lines.
STOP_WORDS = frozenset(
    "a an the and or of to in on for with by from as at is are was were be been being it its this that "  # noqa: SIM905
    "these those which what who whom when where why how should would could can will may might do does did "
    "not no than then so such into out up about over after before there their they them our we you your "
    "he she his her has have had most more very also often only just each any all both other use uses "
    "using used if like example etc".split()
)
# Characters a model tends to swap when it "quotes": compare them as their ASCII forms.
_TRANSLATE = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014\u00a0", "''\"\"-- ")
_TOKEN = re.compile(r"[a-z0-9]+")
_local = threading.local()  # a PyStemmer object must not be used by two threads at once


def clean(text: str) -> str:
    """NFKC, typographic quotes and dashes as ASCII, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).replace("\u2192", "->")
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric words: 'Real-time AUC-ROC' -> ['real', 'time', 'auc', 'roc']."""
    return _TOKEN.findall(clean(text).casefold())


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@functools.lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a lower-case word: 'monitoring' -> 'monitor'."""
    return _stemmer().stemWord(word)


def stems(text: str) -> list[str]:
    """The stem of every word, in order (stop words kept): for matching multi-word names."""
    return [stem(t) for t in tokens(text)]


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning, in order: no stop words, no one-letter words."""
    return [stem(t) for t in tokens(text) if t not in STOP_WORDS and len(t) > 1]


def content_words(text: str) -> set[str]:
    return set(content_stems(text))


# ---------------------------------------------------------------------------------------- names

# "Amazon SageMaker Clarify", "AWS Glue", "Amazon S3", "SageMaker" (the guide often drops the prefix).
_SERVICE = re.compile(r"\b(?:Amazon|AWS)(?:[^\S\n]+[A-Z0-9][\w-]*)+|\bSageMaker(?:[^\S\n]+[A-Z0-9][\w-]*)*")
# "AWS Certified AI Practitioner" is the exam and "AWS Services" a heading phrase, not services.
_NOT_A_SERVICE = re.compile(r"\b(?:Certified|Services?)\b")


def service_mentions(text: str) -> list[str]:
    """AWS service names as written in `text` (whitespace collapsed), in order of appearance."""
    names = (" ".join(m.group(0).split()) for m in _SERVICE.finditer(text))
    return [n for n in names if not _NOT_A_SERVICE.search(n)]


def without_prefix(service: str) -> str:
    """'Amazon SageMaker Clarify' -> 'SageMaker Clarify': how the guide often writes it."""
    return service.split(" ", 1)[1] if service.startswith(("Amazon ", "AWS ")) and " " in service else service


# ---------------------------------------------------------------------------------------- grading


def answer_letters(answer: str | Sequence[str]) -> list[str]:
    """ "B, D" / "B,D" / "b d" / "(B) and (D)" / ["B","D"] / "BD" -> ["B", "D"], in the given order."""
    if not isinstance(answer, str):
        answer = ",".join(str(a) for a in answer if a is not None)
    parts = [p.strip("().") for p in re.split(r"[\s,;/&+]+", answer.strip().upper())]
    parts = [p for p in parts if p and p != "AND"]
    if len(parts) == 1 and len(parts[0]) > 1 and parts[0].isalpha():
        parts = list(parts[0])
    return parts


def is_correct(chosen: str | Sequence[str], keys: str | Sequence[str], *, ordered: bool = False) -> bool:
    """The one rule for every grader (eval, exam checks, the UI): the same letters, all or nothing for
    multiple response; for an ordering item also in the same order. Nothing chosen is never correct."""
    picked, wanted = answer_letters(chosen), answer_letters(keys)
    if not picked:
        return False
    if ordered:
        return picked == wanted
    return sorted(set(picked)) == sorted(set(wanted))
