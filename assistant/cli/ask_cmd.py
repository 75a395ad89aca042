from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import click

from assistant.cli import container, ensure_index, friendly, json_out


@click.command("ask")
@click.argument("question", nargs=-1)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print {answer, citations, refused, backend, model} (plus choice, option_notes for MCQs).",
)
@click.option(
    "--general", is_flag=True, help="When the guide does not cover it, also answer from general knowledge (labelled)."
)
@click.pass_context
@friendly
def command(ctx: click.Context, question: tuple[str, ...], as_json: bool, general: bool) -> None:
    """Answer QUESTION from the guide with citations (or solve a pasted multiple-choice question).

    With no QUESTION, reads it from standard input (handy for multi-line MCQs:
    `assistant ask < question.txt`).
    """
    text = " ".join(question) if question else sys.stdin.read()
    c = container(ctx, **({"llm": {"allow_general_knowledge": True}} if general else {}))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The model loads in C code, which releases the GIL, while opening the index is mostly Python
        # imports: overlapping them takes about 0.5 s off a cold `ask`. Its errors are raised here.
        loading = pool.submit(lambda: c.backend)
        ensure_index(c)
        loading.result()
    if not as_json:
        click.secho(c.backend.note, dim=True, err=True)
    answer = None
    for event in c.answers.stream(text):
        if event.kind == "delta" and not as_json:
            click.echo(event.text, nl=False)
        elif event.kind == "status" and not as_json:
            click.secho(event.text, dim=True, err=True)
        elif event.kind == "done":
            answer = event.answer
    if answer is None:
        raise click.ClickException("No answer was produced.")
    if as_json:
        json_out(answer.to_json())
        return
    _print_answer(answer)


def _print_answer(answer) -> None:
    if answer.refused or answer.mcq is not None:
        click.echo(answer.text)
    else:
        click.echo()
    if answer.refused:
        if answer.reason:
            click.secho(answer.reason, dim=True)
        if answer.general:
            click.secho(f"Not from the guide (general knowledge): {answer.general}", fg="yellow")
        if answer.passages:
            click.secho("Closest passages:", bold=True)
            for i, p in enumerate(answer.passages[:3], start=1):
                click.echo(f"  [{i}] {p.chunk.section} (relevance {p.relevance:.2f})")
        return
    click.secho("Sources:", bold=True)
    for c in answer.citations:
        click.echo(f"  [{c.n}] {c.section} — {c.source}:{c.start}-{c.end}")
        click.secho(f"      “{c.quote}”", dim=True)
    click.secho(f"({answer.backend}: {answer.model})", dim=True)
