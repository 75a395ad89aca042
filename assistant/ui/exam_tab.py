"""The practice-exam tab: generate (with progress), take the quiz, score it by phase, export it.

Twenty question slots are laid out once and shown or hidden as needed, so the page and the API keep
a fixed shape. Each slot has a Radio (single answer), a CheckboxGroup (choose two), a multiselect
Dropdown (ordering: the selection order is the answer) and five single Dropdowns (matching: one per
premise); only the inputs fitting the item are visible. A case study's questions sit in adjacent
slots, its scenario above the first of them.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.services.exam.items import OPTION_COUNTS, ExamItem, read_items
from assistant.services.exam.session import case_groups
from assistant.ui.common import LLM_EVENT, exports_dir, friendly
from assistant.ui.render_exam import (
    case_markdown,
    option_choices,
    phase_chart,
    premise_label,
    question_markdown,
    results_html,
    run_summary,
    score_markdown,
)

MAX_QUESTIONS = 20
MAX_PREMISES = OPTION_COUNTS["matching"].stop - 1
FIXED_OUTPUTS = 9  # quiz, status, nav, position, submit, results, export row, download, missed button
SLOT_OUTPUTS = 5 + MAX_PREMISES  # box, title, single, multi, order, one dropdown per premise
SLOT_ANSWERS = 3 + MAX_PREMISES
MODES = ("All at once", "One at a time")
EXPORTS = {
    "json": ("JSON", "json"),
    "md": ("Markdown", "md"),
    "anki": ("Anki deck", "apkg"),
    "gift": ("Moodle GIFT", "gift"),
}
INTRO = "Choose the settings and press **Generate exam**. Questions are written from the guide and checked before you see them."


@dataclass
class Slot:
    box: Any
    title: Any
    single: Any
    multi: Any
    order: Any
    matches: list[Any]

    @property
    def components(self) -> list[Any]:
        return [self.box, self.title, self.single, self.multi, self.order, *self.matches]

    @property
    def answers(self) -> list[Any]:
        return [self.single, self.multi, self.order, *self.matches]


class ExamTab:
    def __init__(self, container: Any) -> None:
        self.c = container

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=270, elem_classes=["panel"]):
                gr.Markdown("### New practice exam")
                self.n = gr.Slider(1, MAX_QUESTIONS, value=5, step=1, label="Number of questions", elem_id="exam-n")
                self.phases = gr.Dropdown(
                    choices=list(self.c.topics), multiselect=True, label="Phases", info="Leave empty for all phases."
                )
                self.difficulty = gr.Radio(["easy", "medium", "hard"], value="medium", label="Difficulty")
                self.mode = gr.Radio(list(MODES), value=MODES[0], label="Take it", elem_id="exam-mode")
                self.generate_btn = gr.Button("Generate exam", variant="primary", elem_id="generate")
                self.upload = gr.UploadButton(
                    "Load questions from a file…", file_types=[".json", ".jsonl"], size="sm", elem_id="load-file"
                )
                self.missed_btn = gr.Button(
                    "Practise my missed questions", size="sm", visible=False, elem_id="review-missed"
                )
            with gr.Column(scale=3):
                self.status = gr.Markdown(INTRO, elem_id="exam-status")
                self.slots = [self._slot(i) for i in range(MAX_QUESTIONS)]
                with gr.Row(visible=False, elem_id="exam-nav") as self.nav:
                    self.prev = gr.Button("← Previous", size="sm")
                    self.position = gr.Markdown("", elem_classes=["position"])
                    self.next = gr.Button("Next →", size="sm")
                self.submit_btn = gr.Button("Submit answers", variant="primary", visible=False, elem_id="submit-exam")
                with gr.Column(visible=False, elem_id="exam-results") as self.results_box:
                    self.score = gr.Markdown(elem_id="exam-score")
                    self.chart = gr.Plot(show_label=False, format="png", elem_id="exam-chart")
                    self.results = gr.Markdown(elem_id="exam-review")
                with gr.Row(visible=False, elem_id="exam-export") as self.export_row:
                    self.export_btns = {f: gr.Button(f"↓ {label}", size="sm") for f, (label, _) in EXPORTS.items()}
                self.download = gr.File(label="Exported file", interactive=False, visible=False, elem_id="exam-file")
        self.quiz = gr.State(None)
        self.load_outputs = [self.quiz, self.status, self.nav, self.position, self.submit_btn, self.results_box]
        self.load_outputs += [self.export_row, self.download, self.missed_btn]
        self.load_outputs += [c for s in self.slots for c in s.components]
        self._wire()

    def _slot(self, i: int) -> Slot:
        with gr.Group(visible=False, elem_classes=["qslot"]) as box:
            title = gr.Markdown(elem_classes=["qtitle"])
            single = gr.Radio(choices=[], label="Your answer", elem_id=f"q{i}-single")
            multi = gr.CheckboxGroup(
                choices=[], label="Your answers (choose two)", visible=False, elem_id=f"q{i}-multi"
            )
            order = gr.Dropdown(
                choices=[],
                multiselect=True,
                label="Your order (select first to last)",
                visible=False,
                elem_id=f"q{i}-order",
            )
            matches = [
                gr.Dropdown(choices=[], value=None, label="", visible=False, elem_id=f"q{i}-match{j}")
                for j in range(MAX_PREMISES)
            ]
        return Slot(box, title, single, multi, order, matches)

    def _wire(self) -> None:
        self.generate_btn.click(
            self.generate,
            inputs=[self.n, self.phases, self.difficulty, self.mode],
            outputs=self.load_outputs,
            api_name="generate_exam",
            show_progress_on=[self.status],
            **LLM_EVENT,
        )
        self.upload.upload(
            self.load_file, inputs=[self.upload, self.mode], outputs=self.load_outputs, api_name="load_exam_file"
        )
        self.missed_btn.click(self.load_missed, inputs=[self.mode], outputs=self.load_outputs, api_name="review_missed")
        answers = [a for s in self.slots for a in s.answers]
        self.submit_btn.click(
            self.submit,
            inputs=[self.quiz, *answers],
            outputs=[self.quiz, self.results_box, self.score, self.chart, self.results, self.submit_btn],
            api_name="submit_exam",
            scroll_to_output=True,
        )
        nav_outputs = [self.quiz, self.position] + [s.box for s in self.slots]
        self.prev.click(lambda q, m: self.move(q, m, -1), [self.quiz, self.mode], nav_outputs, api_visibility="private")
        self.next.click(lambda q, m: self.move(q, m, 1), [self.quiz, self.mode], nav_outputs, api_visibility="private")
        self.mode.change(
            lambda q, m: self.move(q, m, 0), [self.quiz, self.mode], [*nav_outputs, self.nav], api_visibility="private"
        )
        for fmt, btn in self.export_btns.items():
            btn.click(lambda q, fmt=fmt: self.export(q, fmt), [self.quiz], [self.download], api_name=f"export_{fmt}")

    # ------------------------------------------------------------------ handlers
    @friendly
    def generate(
        self, n: float, phases: Sequence[str] | None, difficulty: str, mode: str, progress=gr.Progress()
    ) -> list:
        items, note, missed = self._generate(int(n), list(phases or []), difficulty, progress)
        return self.load(items, mode, note, missed=missed > 0)

    def generate_items(self, n: int, phases: list[str], difficulty: str, progress: Any) -> tuple[list[ExamItem], str]:
        """The generated items and a note of what was delivered against what was asked (and why not all)."""
        items, note, _ = self._generate(n, phases, difficulty, progress)
        return items, note

    def _generate(self, n: int, phases: list[str], difficulty: str, progress: Any) -> tuple[list[ExamItem], str, int]:
        """Run the exam generator with a progress bar: items, note, and how many missed questions can be
        reviewed when the pool is used up. Raises gr.Error when nothing was delivered and nothing can be
        reviewed."""
        progress((0, n), desc="Writing questions from the guide…")

        def report(accepted: int, requested: int, message: str) -> None:
            progress((accepted, max(requested, 1)), desc=message or f"{accepted} of {requested} questions ready")

        run = self.c.exams.generate(n, phases=phases or None, difficulty=difficulty, progress=report)
        summary = run.summary()
        missed = len(self.c.exam_sessions.mistakes(limit=MAX_QUESTIONS)) if summary.get("pool_used_up") else 0
        note = run_summary(summary, missed=missed)
        if not run.items and not missed:
            raise gr.Error(note.split("\n\n")[0].replace("**", ""), print_exception=False)
        return list(run.items)[:MAX_QUESTIONS], note, missed

    @friendly
    def load_missed(self, mode: str) -> list:
        """A quiz of the missed questions (latest answer wrong), most recent first."""
        missed = [m.item for m in self.c.exam_sessions.mistakes(limit=MAX_QUESTIONS)]
        if not missed:
            raise gr.Error("No missed questions: every question's latest answer was right.", print_exception=False)
        plural = "s" if len(missed) != 1 else ""
        return self.load(
            missed, mode, f"Review: **{len(missed)} missed question{plural}** (your latest answer was wrong)."
        )

    @friendly
    def load_file(self, path: str | None, mode: str) -> list:
        if not path:
            raise gr.Error("No file received.", print_exception=False)
        loaded = read_items(Path(path))  # lenient: wrong items are named and skipped, the others load
        items = loaded.items
        shown = items[:MAX_QUESTIONS]
        self.c.exam_sessions.add(shown)
        note = f"Loaded **{len(shown)} question{'s' if len(shown) != 1 else ''}** from {Path(path).name}"
        note += f" (the first {MAX_QUESTIONS} of {len(items)})." if len(items) > len(shown) else "."
        if loaded.problems:
            skipped = "\n".join(f"- {p.replace(str(path), Path(path).name)}" for p in loaded.problems[:10])
            note += f"\n\nSkipped {len(loaded.problems)} item(s) that could not be read:\n{skipped}"
        return self.load(shown, mode, note)

    def load(self, items: Sequence[ExamItem], mode: str, note: str, *, missed: bool = False) -> list:
        """Updates for `load_outputs`: a fresh quiz with `items` (a case study's questions together),
        nothing answered or scored yet. missed: offer the review of missed questions."""
        items = [i for group in case_groups(items) for i in group]
        quiz = {"items": [i.to_json() for i in items], "session": uuid.uuid4().hex[:12], "index": 0, "submitted": False}
        one, any_items = mode == MODES[1], bool(items)
        out: list[Any] = [quiz, note, gr.update(visible=one and any_items), _position(0, len(items))]
        out += [gr.update(visible=any_items, interactive=True, value="Submit answers"), gr.update(visible=False)]
        out += [gr.update(visible=any_items), gr.update(value=None, visible=False), gr.update(visible=missed)]
        titles = _titles(items)
        for i in range(MAX_QUESTIONS):
            item = items[i] if i < len(items) else None
            out += _slot_updates(item, titles[i] if item else "", visible=not one or i == 0)
        return out

    def move(self, quiz: dict | None, mode: str, step: int) -> list:
        one = mode == MODES[1]
        n = len(quiz["items"]) if quiz else 0
        if quiz:
            quiz = {**quiz, "index": min(max(quiz["index"] + step, 0), max(n - 1, 0))}
        index = quiz["index"] if quiz else 0
        boxes = [gr.update(visible=i < n and (not one or i == index)) for i in range(MAX_QUESTIONS)]
        return [quiz, _position(index, n), *boxes] + ([gr.update(visible=one and n > 0)] if step == 0 else [])

    @friendly
    def submit(self, quiz: dict | None, *answers: Any) -> list:
        if not quiz:
            raise gr.Error("Generate an exam first.", print_exception=False)
        if quiz.get("submitted"):
            raise gr.Error("These answers are already scored. Generate a new exam to try again.", print_exception=False)
        items = [ExamItem.from_json(d) for d in quiz["items"]]
        chosen = [_chosen(item, answers[SLOT_ANSWERS * i : SLOT_ANSWERS * (i + 1)]) for i, item in enumerate(items)]
        scored = self.c.exam_sessions.submit(items, chosen, session=quiz["session"])
        return [
            {**quiz, "submitted": True},
            gr.update(visible=True),
            score_markdown(scored.graded, scored.by_phase),
            phase_chart(scored.by_phase, "This exam, by phase"),
            results_html(scored.graded, scored.chunks),
            gr.update(interactive=False, value="Scored ✓"),
        ]

    @friendly
    def export(self, quiz: dict | None, fmt: str) -> Any:
        from assistant.services.exam.export import export

        if not quiz:
            raise gr.Error("Generate or load an exam first.", print_exception=False)
        items = [ExamItem.from_json(d) for d in quiz["items"]]
        root = exports_dir(self.c.settings)
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="exam-", dir=root))
        path = export(items, fmt, folder / f"aif-c01-practice-exam.{EXPORTS[fmt][1]}")
        return gr.update(value=str(path), visible=True)


def _position(index: int, total: int) -> str:
    return f"<div class='position'>Question {index + 1} of {total}</div>" if total else ""


def _titles(items: Sequence[ExamItem]) -> list[str]:
    """Each question's heading: a case study's scenario above its first question, folded above the others."""
    titles, first_of = [], {}
    for i, item in enumerate(items):
        case = item.case.id if item.case else None
        first = case is not None and case not in first_of
        if first:
            first_of[case] = i
        span = ""
        if first:
            last = max(j for j, other in enumerate(items) if other.case and other.case.id == case)
            span = f"questions {i + 1}-{last + 1}" if last > i else f"question {i + 1}"
        titles.append(case_markdown(item, first, span) + question_markdown(item, i, len(items)))
    return titles


def _slot_updates(item: ExamItem | None, title: str, *, visible: bool) -> list[Any]:
    if item is None:
        hidden = gr.update(visible=False)
        empty = [gr.update(choices=[], value=None), gr.update(choices=[], value=[]), gr.update(choices=[], value=[])]
        return [hidden, "", *empty, *[gr.update(choices=[], value=None, visible=False)] * MAX_PREMISES]
    choices = option_choices(item)
    premises = item.premises if item.type == "matching" else []
    matches = [
        gr.update(choices=choices, value=None, visible=True, interactive=True, label=premise_label(j, premises[j]))
        if j < len(premises)
        else gr.update(choices=[], value=None, visible=False)
        for j in range(MAX_PREMISES)
    ]
    return [
        gr.update(visible=visible),
        title,
        gr.update(choices=choices, value=None, visible=item.type == "single", interactive=True),
        gr.update(choices=choices, value=[], visible=item.type == "multi", interactive=True),
        gr.update(choices=choices, value=[], visible=item.type == "ordering", interactive=True),
        *matches,
    ]


def _chosen(item: ExamItem, answers: Sequence[Any]) -> list[str]:
    single, multi, order, *matches = ([*list(answers), *[None] * SLOT_ANSWERS])[:SLOT_ANSWERS]
    if item.type == "single":
        return [single] if single else []
    if item.type == "multi":
        return sorted(multi or [])
    if item.type == "matching":  # one letter per premise, "" where none was picked
        return [m or "" for m in matches[: len(item.premises)]]
    return list(order or [])
