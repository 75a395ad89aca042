from __future__ import annotations

import click

from assistant.cli import container, friendly, json_out


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("-k", type=click.IntRange(1, 50), default=None, help="Passages to return (default: retrieval.k).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a list of {id, source, section, text, start, end, score, relevance}."
)
@click.pass_context
@friendly
def command(ctx: click.Context, query: tuple[str, ...], k: int | None, as_json: bool) -> None:
    """Find the guide passages for QUERY (hybrid dense + BM25 retrieval)."""
    passages = container(ctx, index=True).retriever.search(" ".join(query), k=k)
    if as_json:
        json_out([p.to_json() for p in passages])
        return
    for n, p in enumerate(passages, start=1):
        click.secho(f"[{n}] {p.chunk.section or p.chunk.source}  (relevance {p.relevance:.2f})", bold=True)
        click.echo(f"    {p.chunk.source}:{p.chunk.start}-{p.chunk.end}")
        click.echo("    " + p.chunk.text.replace("\n", "\n    "))
