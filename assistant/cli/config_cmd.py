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
    ollama = _ollama_address(settings)
    if as_json:
        data["llm"]["ollama_address"] = ollama
        json_out(data)
        return
    _print_tree(data, settings)
    if "error" in ollama:
        click.secho(f"Ollama address: {ollama['error']}", fg="yellow")
    else:
        click.echo(f"Ollama address used: {ollama['url']}  (from {ollama['from']}; {ollama['route']})")


def _ollama_address(settings) -> dict[str, str]:
    """The URL the Ollama backend really connects to, from which variable, and whether via a proxy."""
    from assistant.adapters.llm.factory import ollama_host_source
    from assistant.adapters.llm.ollama_http import normalize_host, proxy_note
    from assistant.errors import ConfigError

    value, source = ollama_host_source(settings)
    origin = source if source == "the default" else f"{source}={value!r}"
    try:
        url = normalize_host(value)
    except ConfigError as e:
        return {"value": value, "from": origin, "error": str(e)}
    return {"value": value, "from": origin, "url": url, "route": proxy_note(url)}


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
