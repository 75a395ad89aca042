"""The topics of a corpus, read from the structure of its study guides, and matching names onto them.

Topics are what the exam generator, the question bank, the review view and the eval charts group by.
Nothing here knows any guide: a guide's topics are its top sections, found by one rule.

- Below a lone title heading (`# Guide`), the top sections are the headings one level down.
- A top section whose children are a numbered sequence of headings ("### 1. Business Problem",
  "### 2. Data Collection" or "Phase 1: ...", "Part 2 - ...") gives those children as topics, numbering
  stripped. Children labelled otherwise ("Tip 1: ...", "Step 2: ...") are points of their section, which
  stays one topic.
- Any other top section is a topic when it is substantive: at least two lines of content (a table of
  contents' links do not count), and not a restatement of the title heading above it ("# X: Complete
  Guide" / "## X").
- A document without headings (plain text, PDF) or without substantive sections is one topic: its title.

Names written elsewhere ("model_training", "6. Model Deployment", "deployment") are mapped onto a topic
list by `match_topic` / `known_phase` when they clearly name one; callers keep other names as given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.services.corpus import Document

_NUMBERING = re.compile(
    r"^\s*(?:(?:phase|step|part|chapter|section|module|unit|lesson|domain|stage)\s*)?(\d+(?:\.\d+)*)\s*[.:)\-–—]?\s*",
    re.IGNORECASE,
)
# A numbered heading of a sequence: "1. X", "2) X", "1.2 X", "3 - X", or a structural label with a number
# ("Phase 1: X", "Part 2 - X"). Labels of points within a section (Tip, Step, Question, Example) do not count.
_SEQUENCE_HEADING = re.compile(
    r"^\s*(?:(?:phase|part|chapter|section|module|unit|lesson|domain|stage)\s+\d+(?:\.\d+)*\s*[.:)\-–—]?"
    r"|\d+(?:\.\d+)+\.?(?=\s)|\d+[.:)]|\d+\s+[-–—])\s*(?=\S)",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")  # "---", "***": a horizontal rule is not content
_LINK_ONLY = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*\[[^\]]*\]\([^)]*\)\s*$")  # a table of contents entry
MIN_CONTENT_LINES = 2


@dataclass
class _Section:
    level: int
    name: str  # the heading as written
    lines: int = 0  # content lines directly below the heading (not in subsections)
    children: list[_Section] = field(default_factory=list)

    def content(self) -> int:
        return self.lines + sum(c.content() for c in self.children)


# ------------------------------------------------------------------ names


def topic_key(name: str) -> str:
    """What a topic name says, for comparing: case, numbering, `_`/`-` and punctuation ignored.
    '6. Model Deployment', 'model_deployment' and 'Phase 6: model deployment' -> 'model deployment'."""
    text = _NUMBERING.sub("", name.replace("_", " ").replace("-", " "), count=1)
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def strip_numbering(name: str) -> str:
    """A heading without its sequence number: '4. Model Training' -> 'Model Training'; others as given."""
    m = _SEQUENCE_HEADING.match(name)
    return name[m.end() :].strip() if m else name.strip()


def _number(name: str) -> str | None:
    m = _NUMBERING.match(name)
    return m.group(1) if m else None


def match_topic(name: str | None, topics: Sequence[str]) -> str | None:
    """The one topic of `topics` that `name` names, else None. In order: the same words
    ('business problem definition'), a bare number ('6' -> the topic numbered 6), or the only topic
    whose words include all of name's words ('deployment' -> '6. Model Deployment'). Ambiguous: None."""
    if not name or not name.strip():
        return None
    key = topic_key(name)
    if not key:
        numbered = [t for t in topics if _number(t) == _number(name)]
        return numbered[0] if len(numbered) == 1 else None
    same = [t for t in topics if topic_key(t) == key]
    if same:
        return same[0]
    words = set(key.split())
    wider = [t for t in topics if words <= set(topic_key(t).split())]
    return wider[0] if len(wider) == 1 else None


def known_phase(name: str | None, topics: Sequence[str]) -> str | None:
    """The topic of `topics` that `name` names ('training', 'model_training', '4. Model Training'), or None.
    Besides `match_topic`: word beginnings of at least three letters ('eval', 'preproc') when only one
    topic has them all."""
    hit = match_topic(name, topics)
    if hit or not name:
        return hit
    words = topic_key(name).split()
    if not words or any(len(w) < 3 for w in words):
        return None
    partial = [t for t in topics if all(any(v.startswith(w) for v in topic_key(t).split()) for w in words)]
    return partial[0] if len(partial) == 1 else None


def normalize_phase(name: str, topics: Sequence[str]) -> str:
    """Map a user-typed topic ("training", "Model Training") to its name in `topics`, or raise ValueError
    naming the known ones."""
    phase = known_phase(name, topics)
    if phase is None:
        known = "; ".join(topics) or "none (the corpus has no study guide)"
        msg = f"Unknown phase {name!r}. Known phases: {known}"
        raise ValueError(msg)
    return phase


def markdown_headings(text: str) -> list[str]:
    """The heading texts of a Markdown document, in order ('### 6. Model Deployment' -> '6. Model Deployment')."""
    return [m.group(2) for line in text.splitlines() if (m := _HEADING.match(line))]


# ------------------------------------------------------------------ topics of a corpus


def corpus_topics(docs: Sequence[Document]) -> list[str]:
    """The topics of the study guides among `docs` (front-matter kind other than "glossary"), in document
    order, each once (names that compare equal under `topic_key` are one topic)."""
    out: dict[str, str] = {}
    for doc in docs:
        if doc.kind == "glossary":
            continue
        for topic in document_topics(doc):
            out.setdefault(topic_key(topic) or topic, topic)
    return list(out.values())


def document_topics(doc: Document) -> list[str]:
    """The topics of one document (see the module docstring for the rule)."""
    root = _outline(doc.text[doc.body_start :])
    top, above = root.children, []
    while len(top) == 1 and top[0].children:  # a lone title (or wrapper) heading: look one level down
        above.append(top[0].name)
        top = top[0].children
    topics: list[str] = []
    for sec in top:
        sequence = [c for c in sec.children if _SEQUENCE_HEADING.match(c.name)]
        if _SEQUENCE_HEADING.match(sec.name):
            topics.append(strip_numbering(sec.name))
        elif len(sequence) >= 2:
            topics.extend(strip_numbering(c.name) for c in sequence)
        elif sec.content() >= MIN_CONTENT_LINES and not _restates(sec.name, above):
            topics.append(sec.name)
    return [t for t in topics if t] or [doc.title]


def topic_of(section_path: str, topics: Sequence[str], *, title: str = "") -> str | None:
    """The topic a heading path ("Lifecycle > 4. Model Training > Tuning") belongs to: the outermost part
    that is a topic. A passage outside every topic section belongs to its document's `title` when that is
    a topic (a plain-text guide), else to none."""
    keys = {topic_key(t): t for t in topics}
    for part in section_path.split(" > "):
        hit = keys.get(topic_key(part))
        if hit is not None and part.strip():
            return hit
    return keys.get(topic_key(title)) if title.strip() else None


def _restates(name: str, titles: Sequence[str]) -> bool:
    """Every word of `name` is in one of `titles`: an overview heading that repeats the document title."""
    words = set(topic_key(name).split())
    return bool(words) and any(words <= set(topic_key(t).split()) for t in titles)


def _outline(text: str) -> _Section:
    """The heading tree of a Markdown text, with content lines counted per section (code fences skipped
    for headings: a '# comment' in a shell block is not a heading)."""
    root = _Section(0, "")
    stack = [root]
    fenced = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            fenced = not fenced
            stack[-1].lines += 1
            continue
        m = None if fenced else _HEADING.match(line)
        if m:
            level = len(m.group(1))
            while stack[-1].level >= level:
                stack.pop()
            sec = _Section(level, m.group(2).strip())
            stack[-1].children.append(sec)
            stack.append(sec)
        elif line.strip() and not _RULE.match(line) and not _LINK_ONLY.match(line):
            stack[-1].lines += 1
    return root
