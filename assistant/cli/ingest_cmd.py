from __future__ import annotations

import click

from assistant.cli import container, friendly, json_out


@click.command("ingest")
@click.option(
    "--rebuild", is_flag=True, help="Drop the index and embed everything again (after changing the embedding model)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print {added, updated, removed, unchanged, chunks, embedded, problems}."
)
@click.pass_context
@friendly
def command(ctx: click.Context, rebuild: bool, as_json: bool) -> None:
    """Index the corpus folder: new and changed files are embedded, deleted ones removed."""
    from tqdm import tqdm

    c = container(ctx)
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for b in bars.values():
                b.close()
            bars[stage] = tqdm(total=total, desc=stage, disable=as_json, leave=False)
        bars[stage].n = done
        bars[stage].refresh()

    # Through the index service: it also resets derived caches and builds the knowledge layer.
    report = c.index.ingest(rebuild=rebuild, progress=progress)
    for b in bars.values():
        b.close()
    for p in report.problems:
        click.secho(f"skipped {p.source}: {p.reason}", fg="yellow", err=True)
    if as_json:
        json_out(report.to_json())
        return
    click.echo(
        f"{report.chunks} chunks in the index; files: {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged; {report.embedded} embeddings computed."
    )
