"""The about tab: what is indexed, which backend answers, the effective settings, and re-ingest."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.ui.common import LLM_EVENT, backend_note, friendly
from assistant.ui.render import backend_banner
from assistant.ui.render_exam import corpus_markdown, ingest_markdown

ABOUT = """### About
A local study assistant for the AWS Certified AI Practitioner (AIF-C01) exam, working from the study
guides in the corpus folder (listed below). Answers are grounded in those documents: every sentence is
checked against the passage it cites, and questions they do not cover are refused. Nothing leaves
this machine.
"""


class AboutTab:
    def __init__(self, container: Any) -> None:
        self.c = container

    def build(self, tab: Any, banner: Any) -> None:
        gr.Markdown(ABOUT)
        gr.Markdown("### Indexed documents")
        self.corpus = gr.Markdown(elem_id="corpus")
        with gr.Row(equal_height=True):
            self.reingest = gr.Button("↻ Re-ingest the corpus folder", elem_id="reingest", scale=1)
            self.ingest_report = gr.Markdown(elem_id="ingest-report")
        gr.Markdown("### Backend and settings")
        self.backend = gr.HTML(elem_id="about-backend")
        self.settings_md = gr.Markdown(elem_id="about-settings")
        tab.select(self.refresh, outputs=[self.corpus, self.backend, self.settings_md], api_visibility="private")
        self.reingest.click(
            self.run_ingest,
            outputs=[self.ingest_report, self.corpus, banner],
            api_name="reingest",
            show_progress_on=[self.ingest_report],
            **LLM_EVENT,
        )

    @friendly
    def refresh(self, request: gr.Request) -> list[Any]:
        corpus = corpus_markdown(self.c.index.chunks(), str(self.c.settings.corpus_dir))
        served_at = request.headers.get("host", "") if request else ""
        return [corpus, backend_banner(backend_note(self.c)), self.settings_markdown(served_at)]

    def settings_markdown(self, served_at: str = "") -> str:
        s = self.c.settings
        store = (
            f"Chroma server {s.store.host}:{s.store.port}" if s.store.host else f"embedded Chroma in `{s.chroma_path}`"
        )
        auth = "on" if s.ui.auth_user and s.ui.auth_password else "off"
        rows = [
            ("LLM backend setting", f"`{s.llm.backend}` (Ollama model `{s.llm.ollama_model}`)"),
            ("Embedding model", f"`{s.embedding.model}`"),
            ("Index", store),
            ("Retrieval", f"k={s.retrieval.k}, min relevance {s.retrieval.min_relevance}"),
            ("Data folder", f"`{s.data_dir}`"),
            ("Web UI", f"{served_at or f'{s.ui.host}:{s.ui.port}'}, basic auth {auth}, queue {s.ui.queue_size}"),
            ("Limits", f"questions ≤ {s.ui.max_input_chars} characters, uploads ≤ {s.ui.max_upload_mb} MB"),
        ]
        table = "\n".join(f"| {k} | {v} |" for k, v in rows)
        return (
            f"| Setting | Value |\n|---|---|\n{table}\n\nChange them with `ASSISTANT_*` variables (`assistant config`)."
        )

    @friendly
    def run_ingest(self, progress=gr.Progress()) -> list[Any]:
        progress(0, desc="Reading the corpus…")

        def report(stage: str, done: int, total: int) -> None:
            progress((done, max(total, 1)), desc=f"{stage.capitalize()} {done}/{total} chunks")

        result = self.c.index.ingest(progress=report)  # also resets retrieval, answer and exam caches
        corpus = corpus_markdown(self.c.index.chunks(), str(self.c.settings.corpus_dir))
        return [ingest_markdown(result.to_json()), corpus, backend_banner(backend_note(self.c))]
