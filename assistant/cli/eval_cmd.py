from __future__ import annotations

import shlex
from pathlib import Path

import click

from assistant.cli import container, friendly, json_out


@click.command("eval")
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="MCQ file to score instead of the eval sets: JSONL (one question per line) or an exported "
    '{"items": [...]} exam .json. phase is optional free text; answer "B", "B,D" or a list; options a '
    "mapping or a list; matching items (premises) and case-study items (case scenario) are scored too. "
    "Items that are really wrong are named with their line and skipped.",
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default=None,
    help="Which eval split to run: dev (tuned on), test (never tuned on) or all (default: both, side by side).",
)
@click.option(
    "--suite",
    type=click.Choice(["mcq", "all"]),
    default=None,
    help="mcq: accuracy only; all: also retrieval, citations, facts, refusals, claims. Default: mcq with "
    "--questions, else all.",
)
@click.option("--strict", is_flag=True, help="Stop at the first wrong item of a question file instead of skipping it.")
@click.option("--backend", type=click.Choice(["auto", "ollama", "embedded"]), help="LLM backend for this run.")
@click.option("--model", help="Ollama model tag for this run (with --backend embedded: a .gguf path).")
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.json, report.md, per_phase_<split>.png. Default: <data_dir>/eval-report.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"backend","model","total_s","splits": {split: {"n","accuracy",...}}}.',
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
    split: str | None,
    suite: str | None,
    strict: bool,
    backend: str | None,
    model: str | None,
    report_dir: Path | None,
    as_json: bool,
    compare: tuple[Path, Path] | None,
    limit: int | None,
) -> None:
    """Measure the assistant: MCQ accuracy per phase, retrieval recall@k and MRR, citation correctness,
    required-fact coverage, refusal precision/recall, the false-sentence check and latency, on the dev
    and test splits of the eval sets (or on --questions FILE).

    Writes report.json, report.md and per_phase_<split>.png. `assistant eval --compare A B` shows what changed.
    """
    from assistant.services import evaluation as ev

    if compare:
        if as_json:
            json_out(ev.diff(*compare))
        else:
            click.echo(ev.compare(*compare))
        return
    if questions and (suite == "all" or split):
        raise click.UsageError("--questions scores that file's MCQs only: drop --suite all / --split.")
    c = container(ctx, index=True)
    if backend or model:  # a container of its own: the shared one's settings stay as they were
        from assistant.container import Container

        c = Container(ev.with_llm(c.settings, backend, model))
    suite = suite or ("mcq" if questions else "all")
    if questions:
        sets = [ev.questions_set(questions, strict=strict)]
    else:
        names = ev.SPLITS if split in (None, "all") else (split,)
        sets = [ev.load_split(c.settings.evals_dir, name, suite=suite, strict=strict) for name in names]
    sets = [s.limited(limit) for s in sets]
    if not as_json:
        for s in sets:
            for problem in s.problems:
                click.secho(f"Skipped: {problem}", fg="yellow", err=True)
        click.secho(c.backend.note, dim=True, err=True)
    command_line = _command_line(questions, split, suite, strict, backend, model, report_dir, limit)
    with _Bars(disabled=as_json) as bars:
        run = ev.Evaluator.from_container(c, progress=bars.update).run(sets, command=command_line)
    out = report_dir or c.settings.data_dir / "eval-report"
    paths = run.write(out)
    if as_json:
        json_out(run.summary())
        return
    _print_summary(run)
    click.secho(f"Report: {paths['md']}", dim=True)


def _command_line(questions, split, suite, strict, backend, model, report_dir, limit) -> str:
    """The command as a person would retype it (sys.argv is not this command under a test runner)."""
    parts = ["assistant", "eval", "--suite", suite]
    for flag, value in (
        ("--questions", questions),
        ("--split", split),
        ("--backend", backend),
        ("--model", model),
        ("--report", report_dir),
        ("--limit", limit),
    ):
        if value:
            parts += [flag, str(value)]
    return shlex.join(parts + (["--strict"] if strict else []))


class _Bars:
    """One tqdm bar per stage, on stderr."""

    def __init__(self, *, disabled: bool) -> None:
        self.disabled = disabled
        self.bar = None
        self.stage = ""

    def update(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self.stage or self.bar is None or done == 0:
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


def _print_summary(run) -> None:
    """The splits side by side, then each split's per-phase MCQ accuracy and skipped suites."""
    from rich.console import Console
    from rich.table import Table

    from assistant.services.evaluation import LATENCY, METRICS

    console = Console()
    metrics = run.metrics()
    table = Table(title=f"{run.backend}: {run.model}  ({run.total_s:.0f} s)")
    table.add_column("metric")
    for split in run.reports:
        table.add_column(split, justify="right")
    for name in [n for n in [*METRICS, *LATENCY] if any(n in m for m in metrics.values())]:
        table.add_row(name, *(f"{metrics[s][name]:.3f}" if name in metrics[s] else "-" for s in run.reports))
    console.print(table)
    for split, report in run.reports.items():
        mcq = report.suites.get("mcq")
        if mcq and mcq["per_phase"]:
            phases = Table(title=f"{split}: MCQ accuracy {mcq['correct']}/{mcq['n']} = {mcq['accuracy']:.1%}")
            for col in ("phase", "n", "correct", "accuracy"):
                phases.add_column(col, justify="left" if col == "phase" else "right")
            for phase, v in mcq["per_phase"].items():
                phases.add_row(phase, str(v["n"]), str(v["correct"]), f"{v['accuracy']:.1%}")
            console.print(phases)
        for kind, v in (mcq or {}).get("by_kind", {}).items():
            if kind not in ("single", "multi"):  # matching and case-study items: their own line
                pairs = f", {v['pairs_right']}/{v['pairs']} pairs right" if "pairs" in v else ""
                console.print(f"{split}: {kind} items {v['correct']}/{v['n']} correct{pairs}")
        for suite, reason in report.skipped_suites().items():
            console.print(f"{split}: {suite} {reason}")
