from __future__ import annotations

import click

from assistant.cli import container, friendly, json_out


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@friendly
def command(ctx: click.Context, as_json: bool) -> None:
    """Print the effective settings (defaults overridden by ASSISTANT_* variables and .env)."""
    settings = container(ctx).settings
    data = settings.model_dump(mode="json")
    if settings.ui.auth_password:
        data["ui"]["auth_password"] = "***"
    if as_json:
        json_out(data)
        return
    _print_tree(data, settings)


def _print_tree(data: dict, model, prefix: str = "ASSISTANT_") -> None:
    for key, value in data.items():
        field = type(model).model_fields.get(key)
        if isinstance(value, dict) and field is not None:
            _print_tree(value, getattr(model, key), f"{prefix}{key.upper()}__")
            continue
        desc = field.description if field is not None else ""
        click.echo(f"{prefix}{key.upper()}={value}")
        if desc:
            click.secho(f"    {desc}", dim=True)
