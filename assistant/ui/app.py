"""The Gradio app: `build_app(container)` lays out the tabs; `launch(...)` serves it safely.

Safety defaults live here, in one place: loopback bind (another host needs basic auth), never a share
link, a bounded queue, one LLM call at a time, an upload size cap, files served only from the exports
folder, no proxying of remote URLs through `/file=`, and no telemetry.
"""

from __future__ import annotations

import html
import ipaddress
import re
from typing import Any
from urllib.parse import unquote

import gradio as gr

from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.ui.about import AboutTab
from assistant.ui.chat import ChatTab
from assistant.ui.common import backend_note, exports_dir
from assistant.ui.exam_tab import ExamTab
from assistant.ui.render import backend_banner
from assistant.ui.review import ReviewTab

TITLE = "AIF-C01 Study Assistant"
DEFAULT_CONCURRENCY = 4  # events that do not call the LLM (scoring, exports, navigation)


def header(guides: list[str]) -> str:
    """The page header: the app's name and the titles of the guides it studies (read from the corpus)."""
    studied = " · ".join(html.escape(t) for t in guides[:3]) or "your study guides"
    return f"""
<div id="app-header">
  <div class="brand">AI</div>
  <div><div class="title">{TITLE}</div>
  <div class="subtitle">{studied} · grounded answers with citations, practice exams, progress review</div></div>
</div>
"""


CSS = """
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
#app-header { display: flex; gap: 14px; align-items: center; padding: 6px 2px 2px; }
#app-header .brand { width: 46px; height: 46px; border-radius: 12px; display: grid; place-items: center;
  font-weight: 800; font-size: 1.05rem; color: #fff; background: linear-gradient(135deg, #4f46e5, #0ea5e9); }
#app-header .title { font-size: 1.55rem; font-weight: 700; }
#app-header .subtitle { color: var(--body-text-color-subdued); font-size: .95rem; }
.backend-note { font-size: .86rem; padding: 6px 12px; border-radius: 8px; background: var(--background-fill-secondary);
  border: 1px solid var(--border-color-primary); color: var(--body-text-color-subdued); }
.backend-note code { font-size: .82rem; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; vertical-align: middle; }
.dot.ok { background: #16a34a; } .dot.warn { background: #f59e0b; }
.spinner { display: inline-block; width: 11px; height: 11px; margin-right: 7px; vertical-align: -1px;
  border: 2px solid var(--border-color-accent); border-top-color: transparent; border-radius: 50%;
  animation: spin .8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
a.cite { text-decoration: none; font-weight: 600; font-size: .85em; padding: 0 2px; border-radius: 4px;
  color: var(--color-accent) !important; background: var(--color-accent-soft); }
a.cite:hover { text-decoration: underline; }
details.sources { margin-top: 8px; border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 4px 10px;
  background: var(--background-fill-secondary); }
details.sources > summary { cursor: pointer; font-weight: 600; font-size: .9rem; padding: 4px 0; }
.src { padding: 6px 4px 8px; border-top: 1px dashed var(--border-color-primary); border-radius: 6px; }
.src.flash { animation: flash 1.6s ease-out; }
@keyframes flash { 0% { background: #fde68a; } 100% { background: transparent; } }
.src-path { font-weight: 600; font-size: .88rem; }
.src-origin { font-size: .72rem; padding: 0 .4em; border-radius: .6em; background: #e8f0fe; color: #1a4d8f; }
.src-origin.src-glossary { background: #fff4e5; color: #8a4b00; }
.src-file { color: var(--body-text-color-subdued); font-size: .78rem; }
blockquote.src-text, .src-text { font-size: .86rem; margin: 6px 0 0; padding-left: 10px;
  border-left: 3px solid var(--border-color-accent); }
mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 3px; }
.answer-meta { margin-top: 6px; font-size: .76rem; color: var(--body-text-color-subdued); }
.answer-status { font-size: .85rem; color: var(--body-text-color-subdued); font-style: italic; }
.refusal { font-size: 1rem; } .refusal-icon { color: #b91c1c; font-weight: 700; }
.refusal-reason { color: var(--body-text-color-subdued); font-size: .88rem; }
.general { margin-top: 6px; padding: 6px 10px; border-left: 3px solid #f59e0b; }
.error-note { color: #b91c1c; }
.mcq-pick { font-size: 1.05rem; font-weight: 700; }
#exam-status, #review-summary { min-height: 84px; padding: 10px 14px !important; border-radius: 10px;
  background: var(--block-background-fill); border: 1px solid var(--border-color-primary) !important; }
.panel { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 12px !important;
  background: var(--background-fill-secondary); }
.qslot { padding: 10px 14px !important; margin-bottom: 10px; border-radius: 12px !important; }
.q-meta { color: var(--body-text-color-subdued); font-size: .82rem; margin-bottom: 4px; }
.position { text-align: center; font-weight: 600; }
#exam-nav { align-items: center; }
.qres { border: 1px solid var(--border-color-primary); border-left-width: 5px; border-radius: 10px;
  padding: 10px 14px; margin: 10px 0; }
.qres.ok { border-left-color: #16a34a; } .qres.bad { border-left-color: #dc2626; }
.qres-head { font-weight: 700; } .qres-q { margin: 4px 0 6px; } .qres-ans { font-size: .9rem; }
.qres ul.opts { margin: 6px 0; } .qres li.key { color: #15803d; } .qres li.wrong { color: #b91c1c; }
.qres .expl { color: var(--body-text-color-subdued); font-size: .85rem; }
.case { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px;
  margin: 8px 0; background: var(--background-fill-secondary); }
.muted { color: var(--body-text-color-subdued); }
.tips { font-size: .9rem; }
"""

# Clicking a citation [n] opens that answer's sources panel and flashes the passage.
HEAD = """
<script>
document.addEventListener("click", function (ev) {
  var a = ev.target && ev.target.closest ? ev.target.closest("a.cite") : null;
  if (!a) return;
  var id = (a.getAttribute("href") || "").replace(/^#/, "");
  var el = id ? document.getElementById(id) : null;
  if (!el) return;
  ev.preventDefault();
  for (var d = el.closest("details"); d; d = d.parentElement ? d.parentElement.closest("details") : null) d.open = true;
  el.scrollIntoView({ behavior: "smooth", block: "center" });
  el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash");
}, true);
</script>
"""


def build_app(container: Any) -> gr.Blocks:
    """The whole UI over the container's services. Call `launch()` to serve it."""
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 24 * 3600)) as demo:
        gr.HTML(header([d.title for d in getattr(container, "corpus_docs", []) if d.kind != "glossary"]))
        banner = gr.HTML(backend_banner("Checking which model answers…"), elem_id="backend-banner")
        with gr.Tabs() as tabs:
            with gr.Tab("Ask the guide", id="chat"):
                ChatTab(container).build()
            with gr.Tab("Practice exam", id="exam"):
                exam = ExamTab(container)
                exam.build()
            with gr.Tab("Review", id="review") as review_tab:
                ReviewTab(container, exam).build(review_tab, tabs)
            with gr.Tab("About", id="about") as about_tab:
                AboutTab(container).build(about_tab, banner)
        demo.load(
            lambda: backend_banner(backend_note(container)),
            outputs=banner,
            api_visibility="private",
            show_progress="hidden",
        )
    demo.queue(max_size=container.settings.ui.queue_size, default_concurrency_limit=DEFAULT_CONCURRENCY)
    return demo


def theme() -> gr.themes.Base:
    # Soft ships its fonts locally (LocalFont), so the page loads nothing from the internet.
    return gr.themes.Soft(primary_hue="indigo", secondary_hue="sky", neutral_hue="slate")


def basic_auth(settings: Settings) -> tuple[str, str] | None:
    ui = settings.ui
    if bool(ui.auth_user) != bool(ui.auth_password):
        msg = "Set both ASSISTANT_UI__AUTH_USER and ASSISTANT_UI__AUTH_PASSWORD for basic auth, or neither."
        raise ConfigError(msg)
    return (ui.auth_user, ui.auth_password) if ui.auth_user and ui.auth_password else None


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, host: str) -> tuple[str, str] | None:
    """The basic-auth pair to use; refuses a non-loopback bind without one (before anything loads)."""
    auth = basic_auth(settings)
    if not is_loopback_host(host) and auth is None:
        msg = (
            f"Binding the web UI to {host} would open it to your network without a password. Set "
            "ASSISTANT_UI__AUTH_USER and ASSISTANT_UI__AUTH_PASSWORD, or keep the default 127.0.0.1."
        )
        raise ConfigError(msg)
    return auth


def launch(
    app: gr.Blocks,
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    block: bool = True,
    quiet: bool = False,
) -> tuple[Any, str, str]:
    """Serve `app`. Refuses a non-loopback bind without basic auth. Returns gradio's (app, url, share url)."""
    host = host or settings.ui.host
    auth = check_bind(settings, host)
    exports = exports_dir(settings)
    exports.mkdir(parents=True, exist_ok=True)
    from starlette.middleware import Middleware

    return app.launch(
        server_name=host,
        server_port=port or settings.ui.port,
        share=False,
        auth=auth,
        auth_message="AIF-C01 Study Assistant — sign in" if auth else None,
        max_file_size=settings.ui.max_upload_mb * 1024 * 1024,
        show_error=False,
        allowed_paths=[str(exports)],
        prevent_thread_lock=not block,
        quiet=quiet,
        inbrowser=False,
        theme=theme(),
        css=CSS,
        head=HEAD,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        footer_links=["api", "settings"],
        app_kwargs={"middleware": [Middleware(NoRemoteFiles)]},
    )


_REMOTE_FILE = re.compile(r"/file=\s*[a-z][a-z0-9+.-]*:", re.IGNORECASE)


class NoRemoteFiles:
    """ASGI middleware: `/gradio_api/file=<url>` would make this server fetch a public URL for the
    caller; the assistant never needs that, so it answers 403."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and _REMOTE_FILE.search(unquote(unquote(scope.get("path", "")))):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("Remote files are not served.", status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)
