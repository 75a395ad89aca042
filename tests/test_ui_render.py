"""Offline unit tests of the UI's pure rendering: sanitizing untrusted text, citations, exam views."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from assistant.services.answer import Answer, Citation
from assistant.services.exam import session
from assistant.services.exam.bank import Attempt, Mistake
from assistant.services.exam.items import ExamItem
from assistant.services.mcq import MCQResult
from assistant.services.sanitize import is_loopback_url
from assistant.types import Chunk, Passage
from assistant.ui import render
from assistant.ui import render_exam as rx
from tests.matching_samples import NEEDS, case_items, matching_item

# Injection payloads a hostile document (or a model repeating one) could contain.
HOSTILE = [
    "![pixel](http://evil.example/p.png)",
    '![pixel](<https://evil.example/p.png> "t")',
    "![ref]\n\n[ref]: https://evil.example/r.png",
    "[click me](https://evil.example/phish)",
    "[x][r]\n\n[r]: https://evil.example/r",
    '<img src="https://evil.example/i.png">',
    "<script>fetch('https://evil.example/s')</script>",
    '<span style="background:url(https://evil.example/bg.png)">s</span>',
    '<iframe src="https://evil.example/f"></iframe>',
    "see https://evil.example/bare and www.evil.example too",
    "<https://evil.example/auto>",
    "[js](javascript:alert(1)) [data](data:text/html,hi)",
    '<a href="https://evil.example/a">a</a>',
    "[![img](https://evil.example/i.png)](https://evil.example/l)",
]

_MD = MarkdownIt("commonmark", {"html": True, "linkify": False})
_LOCAL = re.compile(r"^(#|https?://(127\.0\.0\.1|localhost)[:/])")
_FETCHING_TAGS = {"img", "script", "iframe", "object", "embed", "link", "style", "video", "audio", "source", "form"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def assert_no_remote(source: str) -> None:
    """Rendered as Markdown with raw HTML allowed (as Gradio's chat and Markdown do), no element may
    fetch or link off this machine, and no bare remote URL is left for an auto-linker to pick up."""
    parser = _Tags()
    parser.feed(_MD.render(source))
    for tag, attrs in parser.found:
        assert tag not in _FETCHING_TAGS, (tag, source)
        for name in ("src", "href", "srcset", "poster", "action", "formaction", "background"):
            value = (attrs.get(name) or "").strip()
            assert not value or _LOCAL.match(value), (tag, name, value)
        assert "url(" not in (attrs.get("style") or ""), (tag, source)
    assert not re.search(r"(https?|javascript|data):(?!//(127\.0\.0\.1|localhost)[:/])", source), source
    assert not re.search(r"\bwww\.", source), source


def chunk(
    cid: str = "c1",
    text: str = "Train the model on the training dataset.",
    start: int = 100,
    section: str = "Guide > 4. Model Training",
) -> Chunk:
    return Chunk(cid, "guide.md", section, text, start, start + len(text), "Guide")


def answer(**kw) -> Answer:
    ch = chunk()
    defaults = dict(
        question="What happens in training?",
        query="What happens in training?",
        text="“Train the model on the training dataset” [1] It matters. [2]",
        citations=[Citation(1, ch.id, ch.section, ch.source, "Train the model", 100, 115)],
        refused=False,
        passages=[Passage(ch, 0.5, 0.7)],
        backend="embedded",
        model="gemma-3-270m",
    )
    defaults.update(kw)
    return Answer(**defaults)


def item(**kw) -> ExamItem:
    data = {
        "question": "Which phase trains the model?",
        "options": {"A": "Model Training", "B": "Model Deployment", "C": "Data Collection", "D": "Model Monitoring"},
        "answer": "A",
        "explanations": {"A": "Training fits the model.", "B": "Deployment serves it."},
        "citations": [{"id": "c1", "section": "Guide > 4. Model Training", "quote": "Train the model"}],
        "phase": "Model Training",
    }
    data.update(kw)
    return ExamItem.from_json(data)


# ---------------------------------------------------------------- sanitizing


@pytest.mark.parametrize("payload", HOSTILE)
def test_safe_markdown_and_html_never_reference_remote_hosts(payload: str) -> None:
    assert_no_remote(render.safe_markdown(payload))
    assert_no_remote(f"<div>{render.safe_html(payload)}</div>")


def test_safe_markdown_keeps_link_text_and_loopback_links() -> None:
    out = render.safe_markdown("[the guide](https://evil.example/x) and [local](http://127.0.0.1:7860/docs)")
    assert "the guide" in out and "evil" not in _MD.render(out).split("href")[0]
    assert "[local](http://127.0.0.1:7860/docs)" in out
    assert 'href="http://127.0.0.1:7860/docs"' in _MD.render(out)


def test_safe_markdown_escapes_html_but_keeps_the_words() -> None:
    out = render.safe_markdown("a <b>bold</b> & co, see https://aws.amazon.com")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in out
    assert "https&#58;//aws.amazon.com" in out
    assert "https://aws.amazon.com" in _MD.render(out).replace("&#58;", ":")  # shown, not linked


def test_images_leave_their_alt_text() -> None:
    assert render.safe_markdown("x ![diagram of phases](https://e.x/a.png) y") == "x (image: diagram of phases) y"


def test_safe_html_has_no_blank_lines() -> None:
    out = render.safe_html("one\n\n\ntwo\nthree")
    assert "\n" not in out and out == "one<br>two<br>three"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:7860/x", True),
        ("https://localhost/x", True),
        ("http://[::1]:80/", True),
        ("http://127.8.0.1/", True),
        ("https://evil.example/", False),
        ("http://127.0.0.1.evil.example/", False),
        ("javascript:alert(1)", False),
        ("//evil.example/x", False),
    ],
)
def test_is_loopback_url(url: str, ok: bool) -> None:
    assert is_loopback_url(url) is ok


# ---------------------------------------------------------------- citations and passages


def test_quote_span_uses_offsets_then_search() -> None:
    text = "Select algorithms.\n- Train the model on the training dataset\n- Tune"
    assert render.quote_span(text, 1000, "Train the model", 1021, 1036) == (21, 36)
    # wrong offsets, different whitespace and case: found by search
    assert render.quote_span(text, 1000, "train  the\nmodel", 5, 9) == (21, 36)
    assert render.quote_span(text, 1000, "not in the passage", 5, 9) is None


def test_highlight_merges_spans_and_escapes() -> None:
    out = render.highlight("a <b> c d e", [(0, 5), (2, 7), (10, 11)])
    assert out == "<mark>a &lt;b&gt; c</mark> d <mark>e</mark>"


def test_answer_message_links_known_citations_and_shows_marked_passage() -> None:
    out = render.answer_message(answer(), "s1")
    assert '<a class="cite" href="#s1-1"' in out
    assert "[2]" in out and 'href="#s1-2"' not in out  # no such citation: left as text
    assert '<div class="src" id="s1-1">' in out
    assert "<mark>Train the model</mark> on the training dataset." in out
    assert "Guide › 4. Model Training" in out and "guide.md · characters 100–140" in out
    assert "Answered by embedded · gemma-3-270m" in out
    assert "\n\n" not in render.sources_html(render.source_views(answer().passages, answer().citations), "s1")


def test_answer_message_with_hostile_passage_and_answer_text_is_inert() -> None:
    evil = " ".join(HOSTILE)
    ch = chunk(text=f"Train the model. {evil}")
    a = answer(
        text=f"{evil} [1]",
        passages=[Passage(ch, 0.5, 0.7)],
        citations=[Citation(1, ch.id, ch.section, ch.source, "Train the model", 100, 115)],
    )
    assert_no_remote(render.answer_message(a, "s9"))


def test_unlocated_quote_is_still_shown() -> None:
    a = answer(citations=[Citation(1, "c1", "Guide", "guide.md", "words elsewhere", 0, 3)])
    out = render.answer_message(a, "s1")
    assert "Quoted: “words elsewhere”" in out and "<mark>" not in out


def test_refusal_message_shows_reason_and_closest_passages() -> None:
    a = answer(text="The guide does not cover this.", citations=[], refused=True, reason="Nothing close enough.")
    out = render.answer_message(a, "s1")
    assert "The guide does not cover this." in out and "Nothing close enough." in out
    assert "Closest passages" in out and "relevance 0.70" in out and "4. Model Training" in out
    general = render.answer_message(answer(refused=True, citations=[], general="Paris."), "s1")
    assert "Not from the guide (general knowledge):</b> Paris." in general


def test_mcq_message_marks_the_pick_and_links_notes() -> None:
    ch = chunk()
    mcq = MCQResult(["C"], {"A": "Not it.", "C": "Correct."}, {"A": 0.1, "C": 0.9}, [Passage(ch, 0.5, 0.7)], "evidence")
    a = answer(
        text="Answer: C (Model Monitoring)\nA. Not it. [1]\nC. Correct.",
        mcq=mcq,
        citations=[Citation(1, ch.id, ch.section, ch.source, "Train the model", 100, 115)],
    )
    out = render.answer_message(a, "m1")
    assert "Answer: C (Model Monitoring)" in out
    assert "- ✓ **C.** Correct." in out and "- ○ **A.** Not it." in out
    assert 'href="#m1-1"' in out and 'id="m1-1"' in out


def test_streaming_message_shows_status_and_partial_text() -> None:
    out = render.streaming_message("Answering from 4 passages…", "First sentence. [1] ", "s1")
    assert out.startswith('First sentence. <a class="cite" href="#s1-1"')
    assert "Answering from 4 passages…" in out and "spinner" in out
    assert render.streaming_message("", "", "s1") == ""


def test_backend_banner_formats_commands_and_states() -> None:
    note = "Answers by the embedded model g (llama.cpp). Ollama is not running. Start it (`ollama serve`)."
    out = render.backend_banner(note)
    assert "<code>ollama serve</code>" in out and "dot warn" in out
    assert "dot ok" in render.backend_banner("Answers by Ollama model llama3.2:3b at http://127.0.0.1:11434.")


# ---------------------------------------------------------------- exam, review, about


def test_is_correct_per_item_type() -> None:
    assert (
        session.is_correct(item(), ["A"])
        and not session.is_correct(item(), ["B"])
        and not session.is_correct(item(), [])
    )
    multi = item(
        question="Which TWO are phases? (Choose TWO.)",
        options={"A": "a", "B": "b", "C": "c", "D": "d", "E": "e"},
        answer="B,D",
        explanations={},
    )
    assert session.is_correct(multi, ["D", "B"]) and not session.is_correct(multi, ["B"])
    ordering = item(options={"A": "x", "B": "y", "C": "z"}, answer="C,A,B", type="ordering", explanations={})
    assert session.is_correct(ordering, ["C", "A", "B"]) and not session.is_correct(ordering, ["A", "B", "C"])
    card = rx.results_html(session.grade([ordering], [["C", "B", "A"]]), {})
    assert "C → B → A" in card and "Correct answer: <b>C → A → B</b>" in card
    assert "<li class='key'>1. <b>C.</b> z</li><li class='wrong'>2. <b>A.</b> x</li>" in card


def test_grade_and_breakdown_follow_the_corpus_topics_order() -> None:
    a, b = item(), item(question="Which phase serves predictions?", answer="B", phase="Model Deployment")
    c = item(question="Where is data gathered?", answer="C", phase="Data Collection and Integration")
    graded = session.grade([a, b, c], [["A"], ["A"], ["C"]])
    assert [g.correct for g in graded] == [True, False, True]
    topics = ["Data Collection and Integration", "Model Training", "Model Deployment"]  # as corpus_topics gives
    assert list(session.phase_breakdown(graded, topics).items()) == [
        ("Data Collection and Integration", (1, 1)),
        ("Model Training", (1, 1)),
        ("Model Deployment", (0, 1)),
    ]
    assert list(session.phase_breakdown(graded)) == ["Model Training", "Model Deployment", c.phase]  # as they come
    score = rx.score_markdown(graded)
    assert score.startswith("## Score: 2 / 3 (67%)") and "| Model Deployment | 0 / 1 | 0% |" in score
    under_topics = rx.score_markdown(graded, session.phase_breakdown(graded, topics))
    assert under_topics.index("| Data Collection and Integration |") < under_topics.index("| Model Training |")


def test_results_show_key_explanations_and_highlighted_passage() -> None:
    graded = session.grade([item()], [["B"]])
    out = rx.results_html(graded, {"c1": chunk()})
    assert "✗ Question 1" in out and "Your answer: <b>B</b>" in out and "Correct answer: <b>A</b>" in out
    assert "Training fits the model." in out and "<li class='wrong'><b>B.</b>" in out
    assert "<mark>Train the model</mark>" in out
    without_passage = rx.results_html(graded, {})
    assert "<mark>Train the model</mark>" in without_passage  # the quote alone when the chunk is gone


def test_exam_views_sanitize_model_written_items() -> None:
    evil = item(question="Which? " + " ".join(HOSTILE), explanations={"A": HOSTILE[0], "B": HOSTILE[5]})
    assert_no_remote(rx.question_markdown(evil, 0, 1))
    assert_no_remote(rx.results_html(session.grade([evil], [["A"]]), {}))
    mistake = Mistake(evil, "B", "2026-01-01T10:00:00+00:00", "s")
    assert_no_remote(rx.mistakes_html([mistake]))


def test_question_markdown_and_choices() -> None:
    out = rx.question_markdown(item(), 1, 5)
    assert out.startswith("#### Question 2 of 5") and "Model Training · medium · Choose one answer." in out
    assert rx.option_choices(item())[0] == ("A. Model Training", "A")


def test_phase_chart_is_a_figure_with_one_bar_per_phase() -> None:
    fig = rx.phase_chart({"Model Training": (1, 2), "Model Deployment": (2, 2)})
    (ax,) = fig.axes
    assert [round(p.get_width()) for p in ax.patches] == [100, 100, 100, 50]  # tracks, then bars
    assert rx.phase_chart({}).axes[0].texts[0].get_text() == "No answers yet"


def test_review_views() -> None:
    it = item()
    attempts = [
        Attempt(1, it.id, "B", False, "2026-01-01T10:00:00+00:00", "s"),
        Attempt(2, "gone", "", False, "x", "s"),
    ]
    rows = rx.attempt_rows(attempts, {it.id: it})
    assert rows[0][1:] == ["✗", "Which phase trains the model?", "Model Training", "B", "A"]
    assert rows[1][2] == "gone" and rows[1][4] == "(none)"
    stats = {"Model Training": {"answered": 4, "correct": 1, "accuracy": 0.25}}
    assert "4 answers recorded, 25% correct" in rx.stats_markdown(stats, ["Model Training"])
    assert "No answers recorded yet" in rx.stats_markdown({}, [])
    assert "No open mistakes" in rx.mistakes_html([])


def test_corpus_and_ingest_views() -> None:
    chunks = [chunk("a"), chunk("b", section="Guide > 5. Eval"), Chunk("c", "notes|x.md", "", "t", 0, 1, "Notes")]
    out = rx.corpus_markdown(chunks, "/corpus")
    assert "| guide.md | Guide | 2 | 2 | 80 |" in out and "notes\\|x.md" in out
    assert out.endswith("2 documents, 3 chunks from `/corpus`.")
    assert "Nothing is indexed yet" in rx.corpus_markdown([])
    report = {"chunks": 29, "added": 1, "updated": 0, "removed": 0, "unchanged": 0, "embedded": 29}
    report["problems"] = [{"source": "bad.pdf", "reason": "encrypted"}]
    text = rx.ingest_markdown(report)
    assert "29 chunks" in text and "Skipped bad.pdf: encrypted" in text


def test_sources_say_whether_a_passage_is_the_guide_or_the_team_glossary() -> None:
    guide = chunk()
    gloss = Chunk("g1", "glossary.md", "Amazon SageMaker Clarify", "- What it is: Measures bias.", 0, 29, "Glossary")
    a = answer(
        text="“Train the model” [1] “Measures bias.” [2]",
        passages=[Passage(guide, 0.5, 0.7), Passage(gloss, 0.0, 0.0)],
        citations=[
            Citation(1, guide.id, guide.section, guide.source, "Train the model", 100, 115),
            Citation(2, gloss.id, gloss.section, gloss.source, "Measures bias.", 15, 29, "glossary"),
        ],
    )
    out = render.answer_message(a, "s2")
    assert "Study guide</span>" in out and "Team glossary (not the study guide)</span>" in out
    assert "(1 from the team glossary)" in out


def test_a_cut_prompt_is_noted_under_the_answer() -> None:
    a = answer(prompt_cut="Ollama read 2,048 of 3,100 prompt tokens; the first passages were cut.")
    assert "note: Ollama read 2,048 of 3,100 prompt tokens" in render.answer_message(a, "s3")


# ---------------------------------------------------------------- matching and case studies


def test_matching_question_lists_the_options_and_labels_each_premise() -> None:
    m = matching_item()
    out = rx.question_markdown(m, 0, 1)
    assert "Pick one option for each numbered item" in out and "- **B.** Amazon SageMaker Ground Truth" in out
    assert rx.premise_label(1, "  Alert when\nlive requests drift ") == "2. Alert when live requests drift"


def test_case_scenario_first_in_full_then_folded_and_sanitized() -> None:
    first, second = case_items()
    head = rx.case_markdown(first, True, "questions 1-2")
    assert head.startswith("<div class='case'><b>Case study (questions 1-2)</b><p>A regional lender")
    assert rx.case_markdown(second, False).startswith("<details class='case'><summary>Case study (continued)")
    assert rx.case_markdown(matching_item(), True) == ""
    hostile = ExamItem.from_json({**first.to_json(), "case": {"scenario": " ".join(HOSTILE)}})
    assert_no_remote(rx.case_markdown(hostile, True))
    assert_no_remote(rx.results_html(session.grade([hostile], [["B"]]), {}))


def test_matching_result_card_and_mistake_show_the_pairs() -> None:
    m = matching_item()
    card = rx.results_html(session.grade([m], [["C", "", "A"]]), {})
    assert "✗ Question 1 · Model Evaluation · 1 of 3 pairs right" in card
    assert "Your answer: <b>1-C, 2-none, 3-A</b> · Correct answer: <b>1-C, 2-A, 3-B</b>" in card
    assert f"<li class='key'>1. {NEEDS[0]} → <b>C.</b> Amazon SageMaker Clarify" in card
    assert "2. Alert when live requests drift from the training data → (no answer) — right: <b>A.</b>" in card
    mistake = Mistake(m, "C,-,A", "2026-01-01T10:00:00+00:00", "s")
    text = rx.mistakes_html([mistake])
    assert "You chose <b>1-C, 2-none, 3-A</b> (1 of 3 pairs right); the answer is <b>1-C, 2-A, 3-B</b>" in text
    none = rx.results_html(session.grade([m], [[]]), {})
    assert "Your answer: <b>(no answer)</b>" in none and "0 of 3 pairs right" in none


def test_run_summary_says_delivered_against_requested_and_why() -> None:
    full = rx.run_summary({"requested": 3, "delivered": 3, "rejected": {}, "seconds": 4.0})
    assert full == "✓ **3 questions ready** (asked for 3, 4.0 s)."
    old_shape = rx.run_summary({"requested": 2, "accepted": 1, "rejected": {"length_giveaway": 2}, "seconds": 1})
    assert old_shape.startswith("⚠️ **1 of 2 questions delivered** (1.0 s). Why fewer: the quality checks")
    assert "- 2 drafts rejected: the key is the longest option" in old_shape
    used_up = {"requested": 5, "delivered": 0, "shortfall": "no unused facts", "pool_used_up": True, "seconds": 0}
    text = rx.run_summary(used_up, missed=2)
    assert "Why fewer: no unused facts." in text and "used up" in text and "**2 missed questions**" in text


def test_the_header_names_the_guides_of_the_corpus_escaped():
    from assistant.ui.app import header

    page = header(["Responsible AI <draft>", "Prompt engineering"])
    assert "Responsible AI &lt;draft&gt; · Prompt engineering" in page
    assert "your study guides" in header([])
