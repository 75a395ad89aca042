from __future__ import annotations

import shlex
from pathlib import Path

import click

from assistant.cli import container, friendly, json_out


@click.command("eval")
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='MCQ file to score: JSONL in the evals/mcq.jsonl schema, or an exported {"items": [...]} exam .json.',
)
@click.option(
    "--suite",
    type=click.Choice(["mcq", "all"]),
    default=None,
    help="mcq: accuracy only; all: also retrieval, citations, facts, refusals. Default: mcq with --questions, else all.",
)
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), help="LLM backend for this run.")
@click.option("--model", help="Ollama model tag for this run (with --backend embedded: a .gguf path).")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.json, report.md, per_phase.png. Default: <data_dir>/eval-report.",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"n","correct","accuracy","per_phase",...,"recall_at_3",...}.'
)
@click.option(
    "--compare",
    nargs=2,
    type=click.Path(exists=True, path_type=Path),
    metavar="A B",
    help="Compare two earlier reports (report.json or its folder) instead of running: what got better or worse.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Score only the first N items of each set (a quick look).")
@click.pass_context
@friendly
def command(
    ctx: click.Context,
    questions: Path | None,
    suite: str | None,
    backend: str | None,
    model: str | None,
    report_dir: Path | None,
    as_json: bool,
    compare: tuple[Path, Path] | None,
    limit: int | None,
) -> None:
    """Measure the assistant: MCQ accuracy per phase, retrieval recall@k and MRR, citation correctness,
    required-fact coverage, refusal precision/recall and latency, on the evals/ sets (or --questions).

    Writes report.json, report.md and per_phase.png. `assistant eval --compare A B` shows what changed.
    """
    from assistant.services import evaluate as ev

    if compare:
        if as_json:
            json_out(ev.diff(*compare))
        else:
            click.echo(ev.compare(*compare))
        return
    c = container(ctx, index=True)
    ev.configure_llm(c.settings, backend, model)
    suite = suite or ("mcq" if questions else "all")
    data = ev.load_sets(c.settings.corpus_dir.parent / "evals", questions=questions, suite=suite, limit=limit)
    if not as_json:
        click.secho(c.backend.note, dim=True, err=True)
    with _Bars(disabled=as_json) as bars:
        report = ev.Evaluator.from_container(c, progress=bars.update).run_all(
            **data, command=_command_line(questions, suite, backend, model, report_dir, limit)
        )
    out = report_dir or c.settings.data_dir / "eval-report"
    paths = report.write(out)
    if as_json:
        json_out(report.summary())
        return
    _print_summary(report)
    click.secho(f"Report: {paths['md']}", dim=True)


def _command_line(questions, suite, backend, model, report_dir, limit) -> str:
    """The command as a person would retype it (sys.argv is not this command under a test runner)."""
    parts = ["assistant", "eval", "--suite", suite]
    for flag, value in (
        ("--questions", questions),
        ("--backend", backend),
        ("--model", model),
        ("--report", report_dir),
        ("--limit", limit),
    ):
        if value:
            parts += [flag, str(value)]
    return shlex.join(parts)


class _Bars:
    """One tqdm bar per stage, on stderr."""

    def __init__(self, *, disabled: bool) -> None:
        self.disabled = disabled
        self.bar = None
        self.stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, unit="q", disable=self.disabled, leave=True)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _print_summary(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{report.backend}: {report.model}  ({report.total_s:.0f} s)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics().items():
        table.add_row(name, f"{value:.3f}")
    console.print(table)
    mcq = report.suites.get("mcq")
    if mcq and mcq["per_phase"]:
        phases = Table(title=f"MCQ accuracy {mcq['correct']}/{mcq['n']} = {mcq['accuracy']:.1%}")
        for col in ("phase", "n", "correct", "accuracy"):
            phases.add_column(col, justify="left" if col == "phase" else "right")
        for phase, v in mcq["per_phase"].items():
            phases.add_row(phase, str(v["n"]), str(v["correct"]), f"{v['accuracy']:.1%}")
        console.print(phases)
