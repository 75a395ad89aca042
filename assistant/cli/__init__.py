"""The `assistant` command. One module per sub-command; each parses options, calls a service, prints."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from assistant.errors import AssistantError


def json_out(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def friendly(fn: Callable) -> Callable:
    """Turn AssistantError into a clean message and exit code 1 (tracebacks stay for real bugs)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AssistantError as e:
            raise click.ClickException(str(e)) from e
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


def container(ctx: click.Context, *, index: bool = False, **overrides: Any):
    """The object graph for this command; with index=True the corpus is ingested first when there
    is no index yet (said on stderr), so a first `ask` on a fresh clone just works. `overrides` are
    settings sections changed for this command only (see `Container`)."""
    from assistant.container import Container

    root = ctx.find_root()
    if root.obj is None:
        root.obj = Container()
    obj = Container(root.obj.settings, **overrides) if overrides else root.obj
    if index:
        ensure_index(obj)
    return obj


def ensure_index(obj) -> None:
    """Ingest the corpus when there is no index yet, or when the corpus changed since the last ingest,
    saying so on stderr."""
    if not obj.index.exists():
        click.secho("No index yet: ingesting the corpus first…", dim=True, err=True)
    elif not obj.index.is_current():
        click.secho("The corpus changed since the last ingest: updating the index first…", dim=True, err=True)
    else:
        return
    obj.index.ensure()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aif-study-assistant")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also print llama.cpp's own log lines and the libraries' info messages."
)
def cli(verbose: bool) -> None:
    """Study assistant for the AWS AIF-C01 guide "ML Development Lifecycle and Pipeline".

    Answers questions from the guide with citations, solves practice questions, writes practice
    exams and measures itself. Settings come from ASSISTANT_* environment variables (see
    `assistant config`).
    """
    if verbose:
        import logging

        from assistant.adapters.llm.llamacpp import show_native_logs

        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        show_native_logs(True)


def _register() -> None:
    from assistant.cli import ask_cmd, config_cmd, eval_cmd, exam_cmd, ingest_cmd, search_cmd, serve_cmd

    for mod in (ask_cmd, config_cmd, eval_cmd, exam_cmd, ingest_cmd, search_cmd, serve_cmd):
        cli.add_command(mod.command)


_register()


def main() -> None:
    cli(prog_name="assistant")
