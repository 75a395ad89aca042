from __future__ import annotations

from pathlib import Path

import click

from assistant.cli import container, ensure_index, friendly, json_out
from assistant.errors import AssistantError
from assistant.services.topics import normalize_phase

FORMATS = ("json", "md", "anki", "gift", "csv")
SUFFIX = {"json": ".json", "md": ".md", "anki": ".apkg", "gift": ".gift", "csv": ".csv"}


class _TopicOption(click.Option):
    """An option whose help lists the loaded corpus's topics, read when help is shown: they come from the
    corpus in use (ASSISTANT_CORPUS_DIR), not from code."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        try:
            topics = container(ctx).topics
        except (AssistantError, OSError):
            return record
        if record is None or not topics:
            return record
        return record[0], f"{record[1]} Topics of this corpus: {'; '.join(topics)}."


@click.command("exam")
@click.option("--n", "n", type=click.IntRange(1, 100), default=10, show_default=True, help="Questions to write.")
@click.option(
    "--phase",
    "phases",
    multiple=True,
    cls=_TopicOption,
    help="Only these topics (repeatable): a topic's name, or words only it has ('training').",
)
@click.option("--weak", is_flag=True, help="Focus on your weakest phases in the question bank.")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), default="medium", show_default=True)
@click.option("--seed", type=int, default=None, help="Seed for a reproducible exam (default: a new exam each time).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Write the exam in this format (needs -o, or prints JSON/Markdown).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"items": [...], "requested", "delivered", "shortfall", "rejected": {reason: count}, "pool_used_up", ...}.',
)
@click.pass_context
@friendly
def command(
    ctx: click.Context,
    n: int,
    phases: tuple[str, ...],
    weak: bool,
    difficulty: str,
    seed: int | None,
    fmt: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Write a practice exam of checked, guide-grounded scenario questions.

    Every question passes schema, citation, distractor, duplicate and blind-solve checks before it is
    shown; accepted questions are saved to the question bank (.data/bank.sqlite).
    """
    from tqdm import tqdm

    from assistant.services.exam.export import export

    c = container(ctx)
    try:
        wanted = [normalize_phase(p, c.topics) for p in phases]
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--phase") from e
    ensure_index(c)
    if weak:
        wanted = c.bank.weakest_phases(n=2, topics=c.topics, known_only=True) or wanted
    if not as_json:
        click.secho(c.backend.note, dim=True, err=True)
    bar = tqdm(total=n, desc="questions", unit="q", disable=as_json)

    def progress(accepted: int, requested: int, message: str) -> None:
        bar.n = accepted
        bar.set_postfix_str(message[:40])
        bar.refresh()

    run = c.exams.generate(n, phases=wanted or None, difficulty=difficulty, seed=seed, progress=progress)
    bar.close()
    if output is not None:
        fmt = fmt or next((f for f, s in SUFFIX.items() if output.suffix == s), "json")
        export(run.items, fmt, output)
    if as_json:
        json_out({"items": [i.to_json() for i in run.items], **run.summary()})
    elif output is None and fmt in (None, "md"):
        _print_md(run.items)
    elif output is None:
        raise click.UsageError(f"--format {fmt} writes a file: add -o FILE{SUFFIX[fmt]}")
    if not as_json:
        s = run.summary()
        rejected = ", ".join(f"{k}: {v}" for k, v in sorted(s["rejected"].items())) or "none"
        click.secho(
            f"{s['delivered']} of {s['requested']} questions delivered in {s['seconds']} s; "
            f"drafts rejected: {rejected}.",
            err=True,
        )
        if s.get("shortfall"):
            click.secho(s["shortfall"], err=True, fg="yellow")
        if s.get("pool_used_up"):
            missed = len(c.bank.mistakes())
            click.secho(
                f"The pool of new questions is used up. You have {missed} missed question(s) to review "
                "in the Exam tab (Practise my missed questions).",
                err=True,
            )
        if output is not None:
            click.secho(f"Wrote {output}", err=True)


def _print_md(items) -> None:
    for i, item in enumerate(items, start=1):
        click.echo(f"\n{i}. {item.question}")
        for k, v in item.options.items():
            click.echo(f"   {k}. {v}")
    click.echo("\nAnswer key")
    for i, item in enumerate(items, start=1):
        click.echo(f"{i}. {item.answer}: {item.explanations.get(item.keys[0], '')}")
