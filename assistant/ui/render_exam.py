"""Pure functions for the practice-exam, review and about views: grading, Markdown/HTML, the chart.

Question, option and explanation texts are model output, so they go through `render.safe_html` /
`render.safe_markdown` like every answer does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from assistant.services.exam.bank import Attempt, Mistake
from assistant.services.exam.items import ExamItem
from assistant.services.exam.session import UNANSWERED, Graded, chosen_letters, pairs_right, phase_breakdown
from assistant.types import Chunk
from assistant.ui.render import highlight, quote_span, safe_html, safe_markdown, section_path

TYPE_HINTS = {
    "single": "Choose one answer.",
    "multi": "Choose TWO answers.",
    "ordering": "Pick the steps in order, first to last.",
    "matching": "Pick one option for each numbered item; each option is used once.",
}


def _cell(text: str) -> str:
    """Untrusted text for a Markdown table cell."""
    return safe_markdown(" ".join(str(text).split())).replace("|", "\\|")


def _pct(correct: int, total: int) -> str:
    return f"{round(100 * correct / total)}%" if total else "–"


# ---------------------------------------------------------------- taking the quiz


def option_choices(item: ExamItem) -> list[tuple[str, str]]:
    """(label, letter) pairs for a Radio/CheckboxGroup/Dropdown; labels are shown as plain text."""
    return [(f"{k}. {' '.join(v.split())}", k) for k, v in item.options.items()]


def question_markdown(item: ExamItem, index: int, total: int) -> str:
    meta = f"{safe_html(item.phase)} · {item.difficulty} · {TYPE_HINTS[item.type]}"
    text = f"#### Question {index + 1} of {total}\n\n<div class='q-meta'>{meta}</div>\n\n{safe_markdown(item.question)}"
    if item.type == "matching":  # the premises get a dropdown each; the options are listed once here
        options = "\n".join(f"- **{k}.** {safe_markdown(v)}" for k, v in item.options.items())
        text += f"\n\n{options}"
    return text


def premise_label(n: int, premise: str) -> str:
    """The label of a matching item's dropdown for its premise n (0-based)."""
    return f"{n + 1}. {' '.join(premise.split())}"


def case_markdown(item: ExamItem, first: bool, span: str = "") -> str:
    """A case study's scenario above its first question (`span`: "questions 3-4"); above the others a
    folded copy, for one-question-at-a-time mode where the first is not on screen."""
    if item.case is None:
        return ""
    scenario = safe_html(item.scenario)
    if first:
        head = f"Case study ({span})" if span else "Case study"
        return f"<div class='case'><b>{head}</b><p>{scenario}</p></div>\n\n"
    return f"<details class='case'><summary>Case study (continued): show the scenario</summary><p>{scenario}</p></details>\n\n"


def _reasons_text(rejected: Mapping[str, int]) -> list[str]:
    try:  # labels in words when the checks provide them
        from assistant.services.exam.checks import describe_reasons
    except ImportError:  # pragma: no cover - older checks: the raw reason codes
        return [
            f"{n} rejected: {code.replace('_', ' ')}" for code, n in sorted(rejected.items(), key=lambda kv: -kv[1])
        ]
    return describe_reasons(rejected)


def run_summary(summary: Mapping[str, Any], missed: int = 0) -> str:
    """What a generation delivered, against what was asked, and when short, why (`ExamRun.summary()`)."""
    requested = int(summary.get("requested") or 0)
    delivered = int(summary.get("delivered", summary.get("accepted")) or 0)
    seconds = float(summary.get("seconds") or 0.0)
    plural = "s" if delivered != 1 else ""
    if delivered >= requested:
        text = f"✓ **{delivered} question{plural} ready** (asked for {requested}, {seconds:.1f} s)."
    else:
        text = f"⚠️ **{delivered} of {requested} questions delivered** ({seconds:.1f} s)."
        why = summary.get("shortfall") or "the quality checks kept only questions the guide supports"
        text += f" Why fewer: {safe_markdown(str(why))}."
    if summary.get("pool_used_up"):
        text += " The pool of new questions for these topics is used up."
        if missed:
            text += f" You can practise your **{missed} missed question{'s' if missed != 1 else ''}** instead."
    reasons = _reasons_text(summary.get("rejected") or {})
    if reasons:
        text += "\n\nDrafts rejected by the quality checks:\n" + "\n".join(f"- {safe_markdown(r)}" for r in reasons)
    return text


# ---------------------------------------------------------------- results


def score_markdown(graded: Sequence[Graded], by_phase: Mapping[str, tuple[int, int]] | None = None) -> str:
    """The score, partial credit on matching pairs, and a table per phase (`by_phase`: grouped under the
    corpus's topics, as `Scored.by_phase` does; default: the phases as the items give them)."""
    right = sum(g.correct for g in graded)
    total = len(graded)
    verdict = "Well done!" if total and right / total >= 0.7 else "Keep practising — review the explanations below."
    breakdown = phase_breakdown(graded) if by_phase is None else by_phase
    rows = [f"| {_cell(p)} | {c} / {n} | {_pct(c, n)} |" for p, (c, n) in breakdown.items()]
    table = "\n".join(["| Phase | Correct | Score |", "|---|---|---|", *rows])
    pairs = [g.pairs_right for g in graded if g.pairs_right is not None]
    partial = ""
    if pairs:
        ok, n = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        partial = f"\n\nMatching: **{ok} of {n} pairs right** (a matching question counts only when every pair is)."
    return f"## Score: {right} / {total} ({_pct(right, total)})\n\n{verdict}{partial}\n\n{table}"


def _letters(letters: Sequence[str], ordering: bool, matching: bool = False) -> str:
    if not letters or (matching and all(x == UNANSWERED for x in letters)):
        return "(no answer)"
    if matching:
        return ", ".join(f"{n}-{'none' if x == UNANSWERED else x}" for n, x in enumerate(letters, start=1))
    return " → ".join(letters) if ordering else ", ".join(sorted(letters))


def _cited_passages(item: ExamItem, chunks: Mapping[str, Chunk]) -> str:
    parts = []
    for cite in item.citations:
        chunk = chunks.get(cite.id)
        span = quote_span(chunk.text, chunk.start, cite.quote, -1, -1) if chunk else None
        text = highlight(chunk.text, [span]) if chunk and span else f"<mark>{safe_html(cite.quote)}</mark>"
        path = section_path(cite.section or (chunk.section if chunk else ""))
        parts.append(
            f"<div class='src'><div class='src-path'>{path}</div><blockquote class='src-text'>{text}</blockquote></div>"
        )
    if not parts:
        return ""
    return f"<details class='sources' open><summary>Cited passage</summary>{''.join(parts)}</details>"


def _pair_items(item: ExamItem, chosen: Sequence[str]) -> str:
    """Each premise with the option matched to it, marked right or wrong (with the right one)."""
    out = []
    for n, (premise, key) in enumerate(item.pairs):
        got = chosen[n] if n < len(chosen) else UNANSWERED
        picked = f"<b>{got}.</b> {safe_html(item.options[got])}" if got in item.options else "(no answer)"
        fix = "" if got == key else f" — right: <b>{key}.</b> {safe_html(item.options[key])}"
        note = item.explanations.get(key, "")
        note_html = f"<div class='expl'>{safe_html(note)}</div>" if note else ""
        cls = "key" if got == key else "wrong"
        out.append(f"<li class='{cls}'>{n + 1}. {safe_html(premise)} → {picked}{fix}{note_html}</li>")
    return "".join(out)


def _option_items(g: Graded) -> str:
    """Each option with its explanation; ordering items list the steps in the right order, each
    marked by whether the learner put it in that place; matching items list the pairs."""
    item, out = g.item, []
    if item.type == "matching":
        return _pair_items(item, g.chosen)
    if item.type == "ordering":
        for pos, k in enumerate(item.keys):
            cls = "key" if pos < len(g.chosen) and g.chosen[pos] == k else "wrong"
            out.append(f"<li class='{cls}'>{pos + 1}. <b>{k}.</b> {safe_html(item.options[k])}</li>")
        return "".join(out)
    for k, text in item.options.items():
        cls = "key" if k in item.keys else ("wrong" if k in g.chosen else "")
        note = item.explanations.get(k, "")
        note_html = f"<div class='expl'>{safe_html(note)}</div>" if note else ""
        out.append(f"<li class='{cls}'><b>{k}.</b> {safe_html(text)}{note_html}</li>")
    return "".join(out)


def result_card(n: int, g: Graded, chunks: Mapping[str, Chunk]) -> str:
    item, ordering, matching = g.item, g.item.type == "ordering", g.item.type == "matching"
    status = "ok" if g.correct else "bad"
    icon = "✓" if g.correct else "✗"
    pairs = f" · {g.pairs_right[0]} of {g.pairs_right[1]} pairs right" if g.pairs_right else ""
    return (
        f"<div class='qres {status}'><div class='qres-head'>{icon} Question {n} · {safe_html(item.phase)}{pairs}</div>"
        f"<div class='qres-q'>{safe_html(item.question)}</div>"
        f"<div class='qres-ans'>Your answer: <b>{_letters(g.chosen, ordering, matching)}</b> · "
        f"Correct answer: <b>{_letters(item.keys, ordering, matching)}</b></div>"
        f"<ul class='opts'>{_option_items(g)}</ul>{_cited_passages(item, chunks)}</div>"
    )


def results_html(graded: Sequence[Graded], chunks: Mapping[str, Chunk]) -> str:
    """Every question with the learner's answer, the key, each option's explanation and the passage;
    a case study's scenario once, before its first question."""
    out, case = [], None
    for n, g in enumerate(graded, start=1):
        if g.item.case is not None and g.item.case.id != case:
            out.append(case_markdown(g.item, first=True).strip())
        case = g.item.case.id if g.item.case else None
        out.append(result_card(n, g, chunks))
    return "\n".join(out)


def phase_chart(breakdown: Mapping[str, tuple[int, int]], title: str = "Score by phase") -> Any:
    """A horizontal bar chart of accuracy per phase (a matplotlib Figure, no pyplot state)."""
    from matplotlib.figure import Figure

    phases = list(breakdown)[::-1]
    fig = Figure(figsize=(7.5, 0.55 * max(len(phases), 1) + 1.3), dpi=110)
    ax = fig.subplots()
    if not phases:
        ax.text(0.5, 0.5, "No answers yet", ha="center", va="center", transform=ax.transAxes, color="#64748b")
        ax.set_axis_off()
        return fig
    acc = [100 * breakdown[p][0] / breakdown[p][1] if breakdown[p][1] else 0 for p in phases]
    colors = ["#16a34a" if a >= 70 else "#f59e0b" if a >= 40 else "#dc2626" for a in acc]
    ax.barh(phases, [100] * len(phases), color="#e2e8f0", height=0.6)  # the track: 0% still shows a row
    bars = ax.barh(phases, acc, color=colors, height=0.6)
    for bar, p in zip(bars, phases, strict=True):
        c, n = breakdown[p]
        ax.text(101.5, bar.get_y() + bar.get_height() / 2, f"{c}/{n}", va="center", fontsize=9)
    ax.set_xlim(0, 112)
    ax.set_xlabel("% correct")
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- review


def when(stamp: str) -> str:
    """ISO UTC timestamp -> local 'YYYY-MM-DD HH:MM'."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def attempt_rows(attempts: Sequence[Attempt], items: Mapping[str, ExamItem]) -> list[list[str]]:
    rows = []
    for a in attempts:
        item = items.get(a.item_id)
        question = " ".join(item.question.split()) if item else a.item_id
        rows.append(
            [
                when(a.answered_at),
                "✓" if a.correct else "✗",
                question[:110] + ("…" if len(question) > 110 else ""),
                item.phase if item else "",
                a.chosen or "(none)",
                item.answer if item else "",
            ]
        )
    return rows


ATTEMPT_HEADERS = ["When", "", "Question", "Phase", "Your answer", "Correct"]


def stats_markdown(stats: Mapping[str, Mapping[str, Any]], weakest: Sequence[str]) -> str:
    if not stats:
        return "No answers recorded yet. Take a practice exam and your progress shows up here."
    answered = sum(s["answered"] for s in stats.values())
    correct = sum(s["correct"] for s in stats.values())
    head = f"**{answered} answers recorded, {_pct(correct, answered)} correct overall.**"
    weak = ", ".join(f"**{safe_markdown(p)}**" for p in weakest) or "–"
    return f"{head}\n\nWeakest phases: {weak}"


def mistakes_html(mistakes: Sequence[Mistake]) -> str:
    if not mistakes:
        return "<div class='muted'>No open mistakes — every question's latest answer was right.</div>"
    cards = []
    for m in mistakes:
        ordering, matching = m.item.type == "ordering", m.item.type == "matching"
        chosen = list(chosen_letters(m.item, m.chosen)) if matching else [c for c in m.chosen.split(",") if c]
        right = f" ({pairs_right(m.item, chosen)[0]} of {len(m.item.keys)} pairs right)" if matching else ""
        scenario = case_markdown(m.item, first=False).strip() if m.item.case else ""
        cards.append(
            f"<div class='qres bad'><div class='qres-head'>✗ {safe_html(m.item.phase)} · {when(m.answered_at)}</div>"
            f"{scenario}<div class='qres-q'>{safe_html(m.item.question)}</div>"
            f"<div class='qres-ans'>You chose <b>{_letters(chosen, ordering, matching)}</b>{right}; the answer is "
            f"<b>{_letters(m.item.keys, ordering, matching)}</b>: "
            f"{safe_html(' / '.join(m.item.options[k] for k in m.item.keys))}</div></div>"
        )
    return "\n".join(cards)


# ---------------------------------------------------------------- about


def corpus_rows(chunks: Sequence[Chunk]) -> list[list[Any]]:
    """One row per document: file, title, sections, chunks, characters."""
    docs: dict[str, dict[str, Any]] = {}
    for c in chunks:
        d = docs.setdefault(c.source, {"title": c.title, "sections": set(), "chunks": 0, "chars": 0})
        d["sections"].add(c.section)
        d["chunks"] += 1
        d["chars"] += len(c.text)
    return [[src, d["title"], len(d["sections"]), d["chunks"], d["chars"]] for src, d in sorted(docs.items())]


def corpus_markdown(chunks: Sequence[Chunk], corpus_dir: str = "") -> str:
    """The indexed documents as a table, with totals."""
    rows = corpus_rows(chunks)
    if not rows:
        return "Nothing is indexed yet. Put .md, .txt or .pdf files in the corpus folder and re-ingest."
    lines = ["| Document | Title | Sections | Chunks | Characters |", "|---|---|---:|---:|---:|"]
    lines += [f"| {_cell(r[0])} | {_cell(r[1])} | {r[2]} | {r[3]} | {r[4]:,} |" for r in rows]
    where = f" from `{corpus_dir}`" if corpus_dir else ""
    total = f"\n\n{len(rows)} document{'s' if len(rows) != 1 else ''}, {sum(r[3] for r in rows)} chunks{where}."
    return "\n".join(lines) + total


def ingest_markdown(report: Mapping[str, Any]) -> str:
    text = (
        f"**Index up to date: {report['chunks']} chunks.** Files: {report['added']} added, "
        f"{report['updated']} updated, {report['removed']} removed, {report['unchanged']} unchanged; "
        f"{report['embedded']} embeddings computed."
    )
    for p in report.get("problems", []):
        text += f"\n\n⚠️ Skipped {safe_markdown(str(p['source']))}: {safe_markdown(str(p['reason']))}"
    return text
