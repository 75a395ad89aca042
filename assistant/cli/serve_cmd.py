from __future__ import annotations

import click

from assistant.cli import container, friendly


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default: ASSISTANT_UI__HOST, 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (default: ASSISTANT_UI__PORT, 7860).")
@click.pass_context
@friendly
def command(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Start the web UI: chat with citations, practice exams, review, settings.

    Brings the index up to date first (cheap when the corpus has not changed) and loads the model,
    then serves on http://127.0.0.1:7860 until Ctrl+C. Binding another address needs basic auth
    (ASSISTANT_UI__AUTH_USER and ASSISTANT_UI__AUTH_PASSWORD). There is never a public share link.
    """
    from tqdm import tqdm

    from assistant.ui.app import build_app, check_bind, launch

    c = container(ctx)
    bind_host = host or c.settings.ui.host
    bind_port = port or c.settings.ui.port
    check_bind(c.settings, bind_host)  # refuse an open bind before spending time on ingest and the model
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc=stage, unit="chunk", leave=False)
        bar = bars[stage]
        bar.n = done
        bar.refresh()

    report = c.ingest.run(progress=progress)
    for bar in bars.values():
        bar.close()
    for p in report.problems:
        click.secho(f"skipped {p.source}: {p.reason}", fg="yellow", err=True)
    click.echo(f"Index ready: {report.chunks} chunks ({report.embedded} embedded now).")
    click.secho(c.backend.note, dim=True)  # loads the model now, not on the first question
    app = build_app(c)
    click.echo(f"Serving on http://{bind_host}:{bind_port}  (Ctrl+C to stop)")
    launch(app, c.settings, host=bind_host, port=bind_port, block=True, quiet=True)
