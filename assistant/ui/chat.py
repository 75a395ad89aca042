"""The chat tab: streamed, cited answers from the guide; pasted multiple-choice questions get a pick."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError, InputError
from assistant.ui.common import LLM_EVENT, friendly_stream, to_gr_error
from assistant.ui.examples import load_examples
from assistant.ui.render import answer_message, error_message, safe_markdown, streaming_message

TIPS = """**How answers work**

- Every sentence is checked against the guide and cites its passage: click a **[n]** to see it, with the quoted words highlighted.
- Paste an exam question with options **A.–D.** to get the best pick and a note on each option.
- Questions the guide does not cover are refused, with the closest passages shown.
- Follow-up questions ("and how is *it* monitored?") use the conversation so far.
"""

Messages = list[dict[str, Any]]
Turns = list[dict[str, Any]]  # [{"q": question, "a": answer text or None (failed)}]


class ChatTab:
    def __init__(self, container: Any) -> None:
        self.c = container
        self.max_chars = container.settings.ui.max_input_chars

    # ------------------------------------------------------------------ layout
    def build(self) -> None:
        guides = [d.title for d in self.c.corpus_docs if d.kind != "glossary"]
        examples = load_examples(self.c.settings.prompts_dir, guides, self.c.topics)
        with gr.Row(equal_height=False):
            with gr.Column(scale=7):
                self.chatbot = gr.Chatbot(
                    label="Chat with the guide",
                    elem_id="chat",
                    height=590,
                    latex_delimiters=[],
                    allow_tags=False,
                    sanitize_html=True,
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder=examples.placeholder,
                )
                with gr.Row(equal_height=True):
                    self.msg = gr.Textbox(
                        show_label=False,
                        placeholder="Ask a question, or paste a multiple-choice question (Enter sends, Shift+Enter for a new line)",
                        lines=2,
                        max_lines=12,
                        max_length=self.max_chars,
                        elem_id="question",
                        scale=8,
                        autofocus=True,
                    )
                    self.send = gr.Button("Ask ➤", variant="primary", scale=1, min_width=90, elem_id="ask")
                with gr.Row():
                    self.retry = gr.Button("↻ Retry last question", size="sm", elem_id="retry")
                    self.clear = gr.Button("✕ Clear conversation", size="sm", elem_id="clear")
            with gr.Column(scale=3, min_width=260):
                if examples.questions:
                    gr.Examples(
                        examples=[[e] for e in examples.questions],
                        inputs=[self.msg],
                        label="Try an example",
                        elem_id="examples",
                    )
                gr.Markdown(TIPS, elem_classes=["tips"])
        self.turns = gr.State([])
        self._wire()

    def _wire(self) -> None:
        outputs = [self.chatbot, self.msg, self.turns]
        gr.on(
            [self.msg.submit, self.send.click],
            self.respond,
            inputs=[self.msg, self.chatbot, self.turns],
            outputs=outputs,
            api_name="chat",
            show_progress="minimal",
            **LLM_EVENT,
        )
        self.retry.click(
            self.retry_last,
            inputs=[self.chatbot, self.turns],
            outputs=outputs,
            api_name="retry",
            show_progress="minimal",
            **LLM_EVENT,
        )
        self.clear.click(lambda: ([], "", []), outputs=outputs, api_name="clear", queue=False)
        # the chat's own trash icon clears the messages; the remembered turns must go with them
        self.chatbot.clear(lambda: [], outputs=[self.turns], api_visibility="private", queue=False)

    # ------------------------------------------------------------------ handlers
    @friendly_stream
    def respond(self, message: str, history: Messages | None, turns: Turns | None) -> Iterator[tuple]:
        """Stream one answer into the chat: status and checked sentences as they arrive, then the
        final message with its sources panel. Yields (chat messages, textbox value, turns)."""
        question = (message or "").strip()
        if not question:
            raise gr.Error("Type a question first.", print_exception=False)
        history, turns = list(history or []), list(turns or [])
        prior = [(t["q"], t["a"]) for t in turns if t.get("a")]
        turns.append({"q": question, "a": None})
        anchor = "s" + uuid.uuid4().hex[:8]
        history += [
            {"role": "user", "content": _user_bubble(question)},
            {"role": "assistant", "content": streaming_message("Searching the guide…", "", anchor)},
        ]
        yield list(history), "", list(turns)
        try:
            answer = None
            for event, text, status in _accumulate(self.c.answers.stream(question, prior)):
                if event.kind == "done":
                    answer = event.answer
                    break
                history[-1] = {"role": "assistant", "content": streaming_message(status, text, anchor)}
                yield list(history), "", list(turns)
            if answer is None:
                raise AssistantError("The answer stream ended without a result. Try again.")
        except Exception as e:
            err = to_gr_error(e)
            if isinstance(e, InputError):  # the question itself is the problem: give it back to fix it
                yield history[:-2], message, turns[:-1]
            else:
                history[-1] = {"role": "assistant", "content": error_message(err.message)}
                yield list(history), "", list(turns)
            raise err from e
        turns[-1] = {"q": question, "a": answer.text}
        history[-1] = {"role": "assistant", "content": answer_message(answer, anchor)}
        yield list(history), "", list(turns)

    @friendly_stream
    def retry_last(self, history: Messages | None, turns: Turns | None) -> Iterator[tuple]:
        """Ask the last question again (after a failure, or for another try), replacing that turn."""
        history, turns = list(history or []), list(turns or [])
        if not turns:
            raise gr.Error("There is no question to retry yet.", print_exception=False)
        last_user = max((i for i, m in enumerate(history) if m.get("role") == "user"), default=len(history))
        yield from self.respond(turns[-1]["q"], history[:last_user], turns[:-1])


def _accumulate(events: Iterator[Any]) -> Iterator[tuple[Any, str, str]]:
    """(event, answer text so far, latest status) for each answer-service event."""
    text, status = "", ""
    for event in events:
        if event.kind == "status":
            status = event.text
        elif event.kind == "delta":
            text += event.text
        yield event, text, status


def _user_bubble(question: str) -> str:
    shown = question if len(question) <= 3000 else question[:3000] + "…"
    return safe_markdown(shown)
