"""A study document as typed blocks: headings, list items (bulleted or numbered) and prose sentences,
each with its heading path and exact character span, so every fact can be cited where it stands.

Nothing here knows any guide: the structure is read from Markdown itself ("### 4. Model Training" is a
numbered heading, "- AWS services: A, B" a labelled list item, "A → Answer: B" a mapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.services.corpus import Document

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_BULLET = re.compile(r"^([ \t]*)([-*+])[ \t]+(.*)$")
_NUMBERED = re.compile(r"^([ \t]*)(\d{1,3})[.)][ \t]+(.*)$")
_NUM_HEADING = re.compile(r"^(\d{1,3})[.)]\s+(.+)$")
# "Label: value" at the start of an item; a label is short and not a sentence.
_LABEL = re.compile(r"^([A-Z][^:.!?]{0,60}?):\s+(\S.*)$")
_ARROW = re.compile(r"\s*(?:→|->|=>)\s*")
# Sentence ends inside prose; "e.g." and "etc.)" are not ends because the next char is not a capital.
_SENT = re.compile(r"(?<=[a-z0-9)\]][.!?])\s+(?=[A-Z\"'(])")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # without the number: "Model Training"
    number: int | None  # 4 for "4. Model Training"
    raw: str  # as written: "4. Model Training"
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    kind: str  # "item" (list item), "step" (numbered list item), "sentence" (prose)
    text: str  # the whole line as written (without the bullet)
    start: int  # offsets of `text` in the document
    end: int
    path: tuple[str, ...]  # heading path, raw heading texts, outermost first (title excluded)
    number: int | None = None  # for numbered steps
    label: str = ""  # "AWS services" of "AWS services: A, B"
    value: str = ""  # "A, B"
    lead: str = ""  # the prose line just above a list ("The key phases are:")

    @property
    def section(self) -> str:
        return " > ".join(self.path)

    @property
    def leaf(self) -> str:
        return self.path[-1] if self.path else ""


@dataclass
class ParsedDocument:
    source: str
    kind: str  # "guide" | "glossary" (front matter)
    title: str
    headings: list[Heading] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    # heading raw text -> the headings directly below it (for numbered sequences of headings)
    children: dict[str, list[Heading]] = field(default_factory=dict)


def number_of(heading: str) -> tuple[int | None, str]:
    m = _NUM_HEADING.match(heading.strip())
    return (int(m.group(1)), m.group(2).strip()) if m else (None, heading.strip())


def parse(doc: Document) -> ParsedDocument:
    out = ParsedDocument(doc.source, doc.kind, doc.title)
    stack: list[Heading] = []
    lead = ""
    pos = doc.body_start
    for line in doc.text[doc.body_start :].split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        if m := _HEADING.match(line):
            level = len(m.group(1))
            number, text = number_of(m.group(2))
            h = Heading(level, text, number, m.group(2).strip(), start, start + len(line))
            stack = [x for x in stack if x.level < level]
            parent = stack[-1].raw if stack else ""
            if level > 1:
                out.children.setdefault(parent, []).append(h)
            stack.append(h)
            out.headings.append(h)
            lead = ""
            continue
        path = tuple(h.raw for h in stack if h.level > 1)
        item = _BULLET.match(line) or _NUMBERED.match(line)
        if item:
            body = item.group(3).strip()
            b_start = start + line.index(body) if body else start
            number = int(item.group(2)) if item.group(2).isdigit() else None
            label, value = _split_label(body)
            out.blocks.append(
                Block(
                    "step" if number is not None else "item",
                    body,
                    b_start,
                    b_start + len(body),
                    path,
                    number,
                    label,
                    value,
                    lead,
                )
            )
            continue
        lead = line.strip()
        for s_start, s_end in _sentences(line):
            text = line[s_start:s_end]
            label, value = _split_label(text) if s_start == 0 else ("", "")
            out.blocks.append(Block("sentence", text, start + s_start, start + s_end, path, None, label, value))
    return out


def _split_label(text: str) -> tuple[str, str]:
    m = _LABEL.match(text)
    if not m or _ARROW.search(m.group(1)):
        return "", ""
    return m.group(1).strip(), m.group(2).strip()


def _sentences(line: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for m in _SENT.finditer(line):
        spans.append((at, m.start()))
        at = m.end()
    spans.append((at, len(line.rstrip())))
    out = []
    for a, b in spans:
        while a < b and line[a].isspace():
            a += 1
        if b > a:
            out.append((a, b))
    return out


def split_arrow(text: str) -> tuple[str, str] | None:
    """ "A question about X → Answer: Y" -> ("A question about X", "Y")."""
    parts = _ARROW.split(text, maxsplit=1)
    if len(parts) != 2:
        return None
    left, right = parts[0].strip(), parts[1].strip()
    label, value = _split_label(right)
    return left, (value if label and len(label.split()) <= 2 else right)


def split_list(value: str, seps: str = ",;") -> list[str]:
    """ "A, B, and C" / "A; B" -> ["A", "B", "C"]; separators inside parentheses do not split."""
    parts, depth, cur = [], 0, []
    for ch in value:
        depth += ch == "("
        depth -= ch == ")"
        if ch in seps and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    out = []
    for p in parts:
        p = re.sub(r"^\s*(?:and|or)\s+", "", p.strip()).strip(" .")
        if p:
            out.append(p)
    return out
