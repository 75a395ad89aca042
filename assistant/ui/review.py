"""The review tab: past attempts, score per phase, open mistakes, and a quiz on the weakest phases."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.ui.common import LLM_EVENT, friendly
from assistant.ui.exam_tab import MODES, ExamTab
from assistant.ui.render_exam import (
    ATTEMPT_HEADERS,
    attempt_rows,
    mistakes_html,
    phase_chart,
    stats_markdown,
)

RECENT = 50
WEAK_QUIZ_SIZE = 5


class ReviewTab:
    def __init__(self, container: Any, exam: ExamTab) -> None:
        self.c = container
        self.exam = exam

    def build(self, tab: Any, tabs: Any) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                self.summary = gr.Markdown(elem_id="review-summary")
                self.chart = gr.Plot(show_label=False, format="png", elem_id="review-chart")
            with gr.Column(scale=1, min_width=260, elem_classes=["panel"]):
                gr.Markdown("### Practise your weak spots")
                self.weak_n = gr.Slider(1, 20, value=WEAK_QUIZ_SIZE, step=1, label="Questions")
                self.weak_btn = gr.Button("Quiz me on my weakest phases", variant="primary", elem_id="weak-quiz")
                self.refresh_btn = gr.Button("↻ Refresh", size="sm")
        gr.Markdown("### Recent answers")
        self.table = gr.Dataframe(
            headers=ATTEMPT_HEADERS,
            datatype=["str"] * len(ATTEMPT_HEADERS),
            interactive=False,
            wrap=True,
            column_widths=["13%", "4%", "50%", "15%", "9%", "9%"],
            elem_id="attempts",
        )
        with gr.Accordion("Open mistakes (latest answer was wrong)", open=False):
            self.mistakes = gr.Markdown()
        outputs = [self.summary, self.chart, self.table, self.mistakes]
        tab.select(self.refresh, outputs=outputs, api_visibility="private")
        self.refresh_btn.click(self.refresh, outputs=outputs, api_name="review")
        self.weak_btn.click(
            self.weak_quiz,
            inputs=[self.weak_n, self.exam.mode],
            outputs=[*self.exam.load_outputs, tabs],
            api_name="weak_quiz",
            show_progress_on=[self.summary],
            **LLM_EVENT,
        )

    @friendly
    def refresh(self) -> list[Any]:
        history = self.c.exam_sessions.history(limit=RECENT)
        return [
            stats_markdown(history.stats, history.weakest),
            phase_chart(history.by_phase, "All answers, by phase"),
            attempt_rows(history.attempts, history.items),
            mistakes_html(history.mistakes),
        ]

    @friendly
    def weak_quiz(self, n: float, mode: str, progress=gr.Progress()) -> list[Any]:
        weakest = self.c.exam_sessions.weakest_phases(n=2)
        if not weakest:
            raise gr.Error(
                "Answer a practice exam first: there are no weak phases to practise yet.", print_exception=False
            )
        items, note = self.exam.generate_items(int(n), weakest, "medium", progress)
        note = f"Focus: {' and '.join(weakest)}. " + note
        return [*self.exam.load(items, mode or MODES[0], note), gr.Tabs(selected="exam")]
