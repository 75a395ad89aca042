"""Pure functions that turn answers into the HTML/Markdown the chat shows. No gradio import here.

Everything that came from a model or a document is untrusted: a prompt-injected passage must not make
the browser fetch anything. Gradio's own sanitizer keeps `<img src=https://...>` and CSS `url(...)`,
so untrusted text is escaped here (no raw HTML survives), Markdown images are dropped, links to
non-loopback hosts become plain text, and bare URLs are defused so they are not auto-linked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.services.answer import Answer, Citation
from assistant.services.sanitize import LINK_RE, strip_remote
from assistant.types import Passage

_SCHEME = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{1,15}):(?=//)")
_WWW = re.compile(r"\bwww\.", re.IGNORECASE)
_CITE = re.compile(r"\[(\d{1,3})\]")


def _defuse(escaped: str) -> str:
    """Stop Markdown from making links out of what is left: `https://x` -> `https&#58;//x` and
    `www.` -> `www&#46;` (no auto-link; the page still shows the same characters), and `](` ->
    `]&#40;` (an inline link needs a literal parenthesis; entities in a destination would decode)."""
    escaped = _WWW.sub("www&#46;", _SCHEME.sub(r"\1&#58;", escaped))
    return escaped.replace("](", "]&#40;")


def safe_markdown(text: str) -> str:
    """Untrusted text, made safe to render as Markdown: no HTML, no remote images or links."""
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:  # loopback links survive the escaping below untouched
        kept.append(f"[{html.escape(m.group(1), quote=False)}]({m.group(2)})")
        return f"\x00{len(kept) - 1}\x00"

    text = LINK_RE.sub(keep, strip_remote(text.replace("\x00", "")))
    text = _defuse(html.escape(text, quote=False))
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def safe_html(text: str) -> str:
    """Untrusted text for inside our own HTML blocks: escaped, remote references removed, and no
    blank lines (a blank line would end the HTML block and let Markdown parse the rest)."""
    escaped = _defuse(html.escape(strip_remote(text), quote=True))
    return re.sub(r"\n\s*\n+", "\n", escaped).replace("\n", "<br>")


# ---------------------------------------------------------------- citations and passages


def link_citations(markdown: str, anchor: str, known: Iterable[int] | None = None) -> str:
    """`[2]` -> a link to the cited passage of this answer (the page script opens and flashes it)."""
    allowed = set(known) if known is not None else None

    def sub(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if allowed is not None and n not in allowed:
            return m.group(0)
        return f'<a class="cite" href="#{anchor}-{n}" title="Show source {n}">[{n}]</a>'

    return _CITE.sub(sub, markdown)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def quote_span(passage_text: str, chunk_start: int, quote: str, start: int, end: int) -> tuple[int, int] | None:
    """Where `quote` sits in the passage: from the citation's document offsets when they agree with
    the text, else found by (whitespace- and case-insensitive) search; None when it is not there."""
    lo, hi = start - chunk_start, end - chunk_start
    if 0 <= lo < hi <= len(passage_text) and _norm(passage_text[lo:hi]) == _norm(quote):
        return lo, hi
    if not quote.strip():
        return None
    words = [re.escape(w) for w in quote.split()]
    m = re.search(r"\s+".join(words), passage_text, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` as safe HTML with each (merged) span wrapped in <mark>."""
    merged: list[list[int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    out, pos = [], 0
    for lo, hi in merged:
        out += [safe_html(text[pos:lo]), f"<mark>{safe_html(text[lo:hi])}</mark>"]
        pos = hi
    out.append(safe_html(text[pos:]))
    return "".join(out)


@dataclass(frozen=True)
class SourceView:
    """One cited passage as shown under an answer."""

    n: int
    section: str
    source: str
    start: int
    end: int
    html: str  # passage text with the quoted spans marked
    quotes: tuple[str, ...]
    found: bool  # every quote was located in the passage
    origin: str = "guide"  # "guide", or "glossary": the team's glossary, not the study guide


_ORIGIN = {"guide": "Study guide", "glossary": "Team glossary (not the study guide)"}


def source_views(passages: Sequence[Passage], citations: Sequence[Citation]) -> list[SourceView]:
    """The cited passages, in citation order, each with every quote of it highlighted."""
    by_n: dict[int, list[Citation]] = {}
    for c in citations:
        by_n.setdefault(c.n, []).append(c)
    views = []
    for n, cites in by_n.items():
        if not 1 <= n <= len(passages):
            continue
        chunk = passages[n - 1].chunk
        spans = [quote_span(chunk.text, chunk.start, c.quote, c.start, c.end) for c in cites]
        found = [s for s in spans if s is not None]
        views.append(
            SourceView(
                n, chunk.section, chunk.source, chunk.start, chunk.end, highlight(chunk.text, found),
                tuple(c.quote for c in cites), len(found) == len(spans), cites[0].origin,
            )
        )  # fmt: skip
    return views


def section_path(section: str) -> str:
    parts = [safe_html(p.strip()) for p in section.split(" > ") if p.strip()]
    return " › ".join(parts) or "(document start)"


def sources_html(views: Sequence[SourceView], anchor: str, *, open_: bool = False) -> str:
    """A collapsible "Sources" panel: section path, file and offsets, and the passage with the quote
    marked. One HTML block without blank lines, so Markdown leaves it alone."""
    if not views:
        return ""
    items = []
    for v in views:
        missing = "".join(f'<div class="src-quote">Quoted: “{safe_html(q)}”</div>' for q in v.quotes if not v.found)
        items.append(
            f'<div class="src" id="{anchor}-{v.n}"><div class="src-head"><b>[{v.n}]</b> '
            f'<span class="src-origin src-{safe_html(v.origin)}">{_ORIGIN.get(v.origin, "Study guide")}</span> '
            f'<span class="src-path">{section_path(v.section)}</span></div>'
            f'<div class="src-file">{safe_html(v.source)} · characters {v.start}–{v.end}</div>'
            f'<blockquote class="src-text">{v.html}</blockquote>{missing}</div>'
        )
    label = "source" if len(views) == 1 else "sources"
    state = " open" if open_ else ""
    glossary = sum(1 for v in views if v.origin == "glossary")
    where = "from the guide" if not glossary else f"({glossary} from the team glossary)"
    return f'<details class="sources"{state}><summary>{len(views)} {label} {where}</summary>{"".join(items)}</details>'


# ---------------------------------------------------------------- whole chat messages


def meta_line(answer: Answer) -> str:
    parts = [f"Answered by {safe_html(answer.backend)} · {safe_html(answer.model)}"]
    if answer.replaced:
        n = answer.replaced
        parts.append(f"{n} sentence{'s' if n != 1 else ''} not supported by the guide replaced or dropped")
    if getattr(answer, "prompt_cut", None):
        parts.append(f"note: {safe_html(answer.prompt_cut)}")
    return f'<div class="answer-meta">{" — ".join(parts)}</div>'


def streaming_message(status: str, text: str, anchor: str) -> str:
    """The assistant bubble while an answer streams in: checked sentences so far, then the status."""
    body = link_citations(safe_markdown(text.strip()), anchor) if text.strip() else ""
    status_html = f'<div class="answer-status"><span class="spinner"></span>{safe_html(status)}</div>' if status else ""
    return "\n\n".join(p for p in (body, status_html) if p)


def refusal_message(answer: Answer) -> str:
    lines = ['<div class="refusal"><span class="refusal-icon">⊘</span> <b>The guide does not cover this.</b></div>']
    if answer.reason:
        lines.append(f'<div class="refusal-reason">{safe_html(answer.reason)}</div>')
    if answer.general:
        lines.append(
            f'<div class="general"><b>Not from the guide (general knowledge):</b> {safe_html(answer.general)}</div>'
        )
    if answer.passages:
        items = "".join(
            f"<li><b>{section_path(p.chunk.section)}</b> <span class='rel'>(relevance {p.relevance:.2f})</span>"
            f"<div class='src-text'>{safe_html(_clip(p.chunk.text, 280))}</div></li>"
            for p in answer.passages[:3]
        )
        lines.append(f'<details class="sources"><summary>Closest passages</summary><ol>{items}</ol></details>')
    lines.append(meta_line(answer))
    return "\n".join(lines)


def mcq_message(answer: Answer, anchor: str) -> str:
    """The pick, then a note per option (✅ on the picked ones), then the cited passages."""
    mcq = answer.mcq
    assert mcq is not None
    lines = answer.text.splitlines()
    head = safe_html(lines[0] if lines else "")
    out = [f'<div class="mcq-pick">{head}</div>', ""]
    known = {c.n for c in answer.citations}
    for line in lines[1:]:
        m = re.match(r"^([A-Z])\.\s+(.*)$", line)
        if not m:
            continue
        letter, note = m.groups()
        mark = "✓" if letter in mcq.choice else "○"
        out.append(f"- {mark} **{letter}.** {link_citations(safe_markdown(note), anchor, known)}")
    out += ["", sources_html(source_views(answer.passages, answer.citations), anchor), "", meta_line(answer)]
    return "\n".join(out)


def answer_message(answer: Answer, anchor: str) -> str:
    """The final assistant bubble for any answer: grounded text, MCQ pick, or refusal."""
    if answer.refused:
        return refusal_message(answer)
    if answer.mcq is not None:
        return mcq_message(answer, anchor)
    known = {c.n for c in answer.citations}
    body = link_citations(safe_markdown(answer.text), anchor, known)
    sources = sources_html(source_views(answer.passages, answer.citations), anchor)
    return "\n\n".join(p for p in (body, sources, meta_line(answer)) if p)


def error_message(text: str) -> str:
    return f'<div class="error-note">⚠ {safe_html(text)}</div>'


def backend_banner(note: str) -> str:
    """The one line saying which backend answers (and how to start Ollama when it is not used)."""
    icon = '<span class="dot ok"></span>' if "Ollama model" in note else '<span class="dot warn"></span>'
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", safe_html(note))
    return f'<div class="backend-note">{icon} {text}</div>'


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
