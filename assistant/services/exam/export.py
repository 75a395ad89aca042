"""Write practice items for other tools: JSON (reloadable), Markdown, Anki (.apkg), Moodle GIFT, CSV.

`parse_gift` reads back the GIFT subset `export` writes, so tests (and users) can check an export.
Matching items: Markdown numbers the premises and letters the options; GIFT uses its native matching
type (`=premise -> option`); CSV has a premises column; Anki makes one card per item listing the pairs.
Case studies: Markdown shows the scenario once before its questions; formats that cannot group (CSV,
GIFT, Anki) put the scenario before each question of the case.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.services.exam.items import ExamItem
from assistant.services.exam.session import case_groups

# Fixed ids: re-importing an export updates the same Anki note type and deck instead of adding copies.
ANKI_MODEL_ID = 1_739_052_611
ANKI_DECK_ID = 1_739_052_677
ANKI_DECK_NAME = "AIF-C01::Practice exams"
# New columns go last, so a sheet or script reading the older columns by position keeps working.
CSV_COLUMNS = (
    *("id", "type", "phase", "difficulty", "question", "A", "B", "C", "D", "E", "answer", "explanation"),
    *("premises", "case", "family"),
)
MATCH_HINT = "Match each numbered item to one lettered option; use each option once."
ORDER_HINT = "Put the steps in the correct order."
_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def export(items: Sequence[ExamItem], fmt: str, path: str | Path) -> Path:
    """Write `items` to `path` as json | md | anki | gift | csv; returns the path written."""
    writer = _WRITERS.get(fmt.strip().lower())
    if writer is None:
        msg = f"Unknown export format {fmt!r}. Known formats: {', '.join(FORMATS)}"
        raise ValueError(msg)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer(list(items), path)
    return path


# ---------------------------------------------------------------- json / csv


def _write_json(items: list[ExamItem], path: Path) -> None:
    meta = {"exported_at": datetime.now(UTC).isoformat(timespec="seconds"), "count": len(items)}
    data = {"items": [i.to_json() for i in items], "meta": meta}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _explanation_text(item: ExamItem) -> str:
    return "\n".join(f"{k}: {v}" for k, v in item.explanations.items())


def with_scenario(item: ExamItem, sep: str = "\n\n") -> str:
    """The question, after its case study's scenario when it has one (for formats that cannot group)."""
    return f"{item.scenario}{sep}{item.question}" if item.scenario else item.question


def answer_text(item: ExamItem) -> str:
    """The key as a person reads it: "B", "A,C", "B,D,A,C", or for matching "1-C, 2-A, 3-B"."""
    if item.type == "matching":
        return ", ".join(f"{n}-{letter}" for n, letter in enumerate(item.keys, start=1))
    return item.answer


def _numbered(lines: Sequence[str]) -> str:
    return "\n".join(f"{n}. {text}" for n, text in enumerate(lines, start=1))


def _write_csv(items: list[ExamItem], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for i in items:
            options = [i.options.get(letter, "") for letter in "ABCDE"]
            head = [i.id, i.type, i.phase, i.difficulty, with_scenario(i), *options, i.answer, _explanation_text(i)]
            writer.writerow([*head, _numbered(i.premises), i.case.id if i.case else "", i.family])


# ---------------------------------------------------------------- markdown


def _md_question(n: int, item: ExamItem) -> list[str]:
    lines = [f"## Question {n}", "", item.question, ""]
    if item.type == "ordering":
        lines += [f"_{ORDER_HINT}_", ""]
    if item.type == "matching":
        lines += [f"_{MATCH_HINT}_", "", _numbered(item.premises), ""]
    return lines + [f"- **{k}.** {v}" for k, v in item.options.items()] + [""]


def _md_key(n: int, item: ExamItem) -> list[str]:
    lines = [f"### {n}. Answer: {answer_text(item)}", ""]
    lines += [f"- {p}. {premise} → **{k}.** {item.options[k]}" for p, (premise, k) in enumerate(item.pairs, 1)]
    lines += [""] if item.pairs else []
    lines += [f"- **{k}** - {v}" for k, v in item.explanations.items()]
    for cite in item.citations:
        lines += ["", f"> {' '.join(cite.quote.split())}", ">", f"> — _{cite.section or cite.id}_ ({cite.id})"]
    return [*lines, "", f"_{item.phase} · {item.difficulty} · {item.id}_", ""]


def _write_md(items: list[ExamItem], path: Path) -> None:
    """Questions first (a case study's scenario once, before its questions), then the answer key."""
    groups = case_groups(items)
    ordered = [item for group in groups for item in group]
    lines = ["# AIF-C01 practice exam", "", f"{len(items)} questions. The answer key follows the last one.", ""]
    n = 0
    for group in groups:
        if group[0].case is not None:
            span = f"{n + 1}" if len(group) == 1 else f"{n + 1}-{n + len(group)}"
            lines += [f"## Case study (questions {span})", "", group[0].scenario, ""]
        for item in group:
            n += 1
            lines += _md_question(n, item)
    lines += ["## Answer key", ""]
    for n, item in enumerate(ordered, start=1):
        lines += _md_key(n, item)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- anki


def _anki_front(item: ExamItem) -> str:
    """Basic card front. Matching: one card per item listing every premise, not one per pair: the pairs
    of an item are meant to be told apart together (each option once), and one pair alone is a plain
    service flash card that would repeat across items."""
    scenario = f"<p><i>Case study:</i> {html.escape(item.scenario)}</p>" if item.scenario else ""
    options = "".join(f"<li><b>{k}.</b> {html.escape(v)}</li>" for k, v in item.options.items())
    hint = {"ordering": ORDER_HINT, "matching": MATCH_HINT}.get(item.type)
    parts = [scenario, f"<p>{html.escape(item.question)}</p>", f"<p><i>{hint}</i></p>" if hint else ""]
    if item.premises:
        parts.append("<ol>" + "".join(f"<li>{html.escape(p)}</li>" for p in item.premises) + "</ol>")
    return "".join([*parts, f"<ul>{options}</ul>"])


def _anki_back(item: ExamItem) -> str:
    parts = [f"<p><b>Answer: {html.escape(answer_text(item))}</b></p>"]
    if item.pairs:
        pairs = (f"<li>{html.escape(p)} → <b>{k}.</b> {html.escape(item.options[k])}</li>" for p, k in item.pairs)
        parts.append("<ol>" + "".join(pairs) + "</ol>")
    parts += [f"<p><b>{k}.</b> {html.escape(v)}</p>" for k, v in item.explanations.items()]
    for cite in item.citations:
        source = html.escape(cite.section or cite.id)
        parts.append(f"<blockquote>{html.escape(' '.join(cite.quote.split()))}<br><i>{source}</i></blockquote>")
    return "".join(parts)


def _write_anki(items: list[ExamItem], path: Path) -> None:
    import genanki  # only the Anki export needs it

    model = genanki.Model(
        ANKI_MODEL_ID,
        "AIF-C01 practice question",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "ItemId"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'}],
    )
    deck = genanki.Deck(ANKI_DECK_ID, ANKI_DECK_NAME)
    for item in items:
        tags = [re.sub(r"\W+", "_", item.phase), item.difficulty, item.type]
        fields = [_anki_front(item), _anki_back(item), item.id]
        deck.add_note(genanki.Note(model=model, fields=fields, guid=genanki.guid_for(item.id), tags=tags))
    genanki.Package(deck).write_to_file(str(path))


# ---------------------------------------------------------------- gift


def gift_escape(text: str) -> str:
    """Backslash-escape GIFT's special characters ~ = # { } : (and backslash); newlines become \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _GIFT_SPECIAL.sub(r"\\\1", text).replace("\n", r"\n")


def _gift_side(text: str) -> str:
    """One side of a GIFT matching pair: escaped, and a literal "->" (which GIFT cannot escape) as "→"."""
    return gift_escape(text.replace("->", "→"))


def _gift_question(item: ExamItem) -> str:
    title = f"::{gift_escape(item.id)}::"
    head = f"// {item.phase} | {item.difficulty} | {item.type}\n{title} {gift_escape(with_scenario(item))} {{"
    if item.type == "ordering":  # GIFT has no ordering type: match each step to its position
        position = {letter: n for n, letter in enumerate(item.keys, start=1)}
        body = [f"\t={_gift_side(text)} -> {position[k]}" for k, text in item.options.items()]
    elif item.type == "matching":  # GIFT's own matching type; it has no per-pair feedback
        body = [f"\t={_gift_side(premise)} -> {_gift_side(item.options[k])}" for premise, k in item.pairs]
    else:
        body = [_gift_answer(item, k) for k in item.options]
    general = []
    if item.type == "matching" and item.explanations:
        general.append(" ".join(f"{k}: {v}" for k, v in item.explanations.items()))
    quotes = " ".join(f"{' '.join(c.quote.split())} ({c.section or c.id})" for c in item.citations)
    general += [f"Source: {quotes}"] if quotes else []
    tail = [f"\t####{gift_escape(' '.join(general))}"] if general else []
    return "\n".join([head, *body, *tail, "}"])


def _gift_answer(item: ExamItem, letter: str) -> str:
    text = gift_escape(item.options[letter])
    feedback = f"#{gift_escape(item.explanations[letter])}" if letter in item.explanations else ""
    if item.type == "single":
        return f"\t{'=' if letter in item.keys else '~'}{text}{feedback}"
    # multi: each key earns an equal share; wrong choices cost marks so "tick everything" scores 0
    weight = f"%{_percent(100 / len(item.keys))}%" if letter in item.keys else "%-100%"
    return f"\t~{weight}{text}{feedback}"


def _percent(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _write_gift(items: list[ExamItem], path: Path) -> None:
    path.write_text("\n\n".join(_gift_question(i) for i in items) + "\n", encoding="utf-8")


@dataclass
class GiftAnswer:
    text: str
    weight: float  # percent: 100 for "=", the %n% weight for "~%n%", 0 for a plain "~"
    feedback: str = ""
    match: str | None = None  # matching questions: the right-hand side of "->"


@dataclass
class GiftQuestion:
    title: str
    stem: str
    answers: list[GiftAnswer] = field(default_factory=list)
    general_feedback: str = ""

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Matching questions: (left-hand side, right-hand side) in the order written; [] otherwise."""
        return [(a.text, a.match) for a in self.answers if a.match is not None]

    @property
    def correct(self) -> list[str]:
        """Texts of the answers that earn marks (for matching questions: every left-hand side, in order)."""
        if any(a.match is not None for a in self.answers):
            return [a.text for a in sorted(self.answers, key=lambda a: a.match or "")]
        return [a.text for a in self.answers if a.weight > 0]


def _split(text: str, marks: str) -> list[tuple[str, str]]:
    """Split at unescaped mark characters: [(mark or "", segment), ...], escapes kept."""
    out, buf, mark, i = [], [], "", 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch in marks:
            out.append((mark, "".join(buf)))
            buf, mark = [], ch
        else:
            buf.append(ch)
        i += 1
    out.append((mark, "".join(buf)))
    return out


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text).strip()


def _parse_answer(mark: str, raw: str) -> GiftAnswer:
    weight = 100.0 if mark == "=" else 0.0
    m = re.match(r"\s*%(-?[\d.]+)%", raw)
    if m:
        weight, raw = float(m.group(1)), raw[m.end() :]
    parts = _split(raw, "#")
    text, feedback = parts[0][1], "".join(seg for _, seg in parts[1:])
    return GiftAnswer(_unescape(text), weight, _unescape(feedback))


def _parse_block(block: str) -> GiftQuestion:
    title = ""
    m = re.match(r"\s*::((?:\\.|[^:\\])*)::", block)
    if m:
        title, block = _unescape(m.group(1)), block[m.end() :]
    parts = _split(block, "{}")
    if len(parts) < 3 or parts[1][0] != "{" or parts[2][0] != "}":
        msg = f"GIFT question {title or block[:40]!r} has no {{...}} answer block"
        raise ValueError(msg)
    stem, body = parts[0][1], parts[1][1]
    general = ""
    if "####" in body:  # general feedback: an unescaped "####" after the answers
        body, general = body.split("####", 1)
    answers = [_parse_answer(mark, seg) for mark, seg in _split(body, "=~") if mark]
    marks = [mark for mark, _ in _split(body, "=~") if mark]
    if marks and set(marks) == {"="} and all("->" in a.text for a in answers):  # matching: "=left -> right"
        pairs = [a.text.split("->", 1) for a in answers]
        answers = [GiftAnswer(left.strip(), 100.0, "", right.strip()) for left, right in pairs]
    return GiftQuestion(title, _unescape(stem), answers, _unescape(general))


def parse_gift(text: str) -> list[GiftQuestion]:
    """Parse the GIFT subset `export` writes (multiple choice, multiple answer, matching)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    blocks = re.split(r"\n\s*\n", "\n".join(lines))
    return [_parse_block(b) for b in blocks if b.strip()]


_WRITERS: dict[str, Callable[[list[ExamItem], Path], None]] = {
    "json": _write_json,
    "md": _write_md,
    "anki": _write_anki,
    "gift": _write_gift,
    "csv": _write_csv,
}
FORMATS: tuple[str, ...] = tuple(_WRITERS)
