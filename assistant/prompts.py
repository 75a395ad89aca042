"""Prompts are files in prompts/ (YAML with Jinja2 templates), loaded and validated at start-up.

A prompt file has a `name`, a `description`, the `variables` its templates may use, and one variant per
model style: `chat` (system + user messages, for instruction-tuned models) and/or `base` (one
completion-style `text`, for small base models). Retrieved passages are always rendered inside a
fenced block that the prompt labels as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, meta

from assistant.errors import ConfigError
from assistant.types import Message, Prompt

_ENV = Environment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
_STYLES = ("chat", "base")


@dataclass(frozen=True)
class PromptFile:
    name: str
    description: str
    variables: frozenset[str]
    variants: dict[str, dict[str, Any]]  # style -> {"system": tmpl, "user": tmpl} or {"text": tmpl}

    def render(self, style: str, **values: Any) -> Prompt:
        variant = self.variants.get(style) or self.variants[next(iter(self.variants))]
        unknown = set(values) - self.variables
        if unknown:
            msg = f"prompt {self.name!r} got unknown variables {sorted(unknown)}"
            raise ConfigError(msg)
        if "text" in variant:
            return Prompt(raw=variant["text"].render(**values))
        messages = []
        if "system" in variant:
            messages.append(Message("system", variant["system"].render(**values).strip()))
        messages.append(Message("user", variant["user"].render(**values).strip()))
        return Prompt(messages=messages)


class PromptLibrary:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.prompts: dict[str, PromptFile] = {}
        files = sorted(directory.glob("*.yaml"))
        if not files:
            msg = f"No prompt files in {directory}. Set ASSISTANT_PROMPTS_DIR to the prompts/ folder of the repo."
            raise ConfigError(msg)
        for path in files:
            pf = _load(path)
            self.prompts[pf.name] = pf

    def __getitem__(self, name: str) -> PromptFile:
        try:
            return self.prompts[name]
        except KeyError:
            msg = f"No prompt named {name!r}. Known prompts: {', '.join(sorted(self.prompts))}"
            raise ConfigError(msg) from None

    def render(self, name: str, style: str, **values: Any) -> Prompt:
        return self[name].render(style, **values)

    def extra(self, name: str, key: str) -> Any:
        """Non-template data a prompt file carries (e.g. few-shot examples, JSON schemas)."""
        return _raw(self.directory / f"{name}.yaml").get(key)


def _raw(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        msg = f"Prompt file {path} could not be read: {e}"
        raise ConfigError(msg) from e
    if not isinstance(data, dict):
        msg = f"Prompt file {path} must be a YAML mapping"
        raise ConfigError(msg)
    return data


def _load(path: Path) -> PromptFile:
    data = _raw(path)
    for key in ("name", "description", "variables"):
        if key not in data:
            msg = f"Prompt file {path} lacks {key!r}"
            raise ConfigError(msg)
    if data["name"] != path.stem:
        msg = f"Prompt file {path} is named {data['name']!r}; the name must match the file name"
        raise ConfigError(msg)
    variables = frozenset(data["variables"])
    variants: dict[str, dict[str, Any]] = {}
    for style in _STYLES:
        if style in data:
            variants[style] = _compile(path, style, data[style], variables)
    if not variants:
        msg = f"Prompt file {path} has neither a 'chat' nor a 'base' variant"
        raise ConfigError(msg)
    return PromptFile(data["name"], data["description"], variables, variants)


def _compile(path: Path, style: str, variant: dict[str, str], variables: frozenset[str]) -> dict[str, Any]:
    allowed = {"chat": ({"user"}, {"system", "user"}), "base": ({"text"}, {"text"})}[style]
    keys = set(variant)
    if not allowed[0] <= keys <= allowed[1]:
        msg = f"Prompt file {path}: variant {style!r} must have keys {sorted(allowed[1])}, has {sorted(keys)}"
        raise ConfigError(msg)
    out = {}
    for key, source in variant.items():
        try:
            used = meta.find_undeclared_variables(_ENV.parse(source))
            out[key] = _ENV.from_string(source)
        except TemplateSyntaxError as e:
            msg = f"Prompt file {path}: {style}.{key} has a template error on line {e.lineno}: {e.message}"
            raise ConfigError(msg) from e
        if not used <= variables:
            msg = f"Prompt file {path}: {style}.{key} uses undeclared variables {sorted(used - variables)}"
            raise ConfigError(msg)
    return out
