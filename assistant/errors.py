"""Errors written for the person reading them: what happened, and the command that fixes it.

Only the edges (CLI, web UI) translate these into click/gradio errors.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: the message is shown to the user as-is."""


class ConfigError(AssistantError):
    """A setting is invalid or names something unknown."""


class CorpusError(AssistantError):
    """The corpus folder is missing, empty or unreadable."""


class IngestLockedError(AssistantError):
    """Another ingest holds the lock."""


class IndexMismatchError(AssistantError):
    """The index was built with another embedding model or dimension."""


class IndexMissingError(AssistantError):
    """No index yet: run `assistant ingest`."""


class StoreUnavailableError(AssistantError):
    """The Chroma server (or the data dir) cannot be reached or written."""


class ModelMissingError(AssistantError):
    """A model file or an Ollama model is not available."""


class BackendUnavailableError(AssistantError):
    """An LLM backend cannot be reached (e.g. Ollama is not running)."""


class BackendTimeoutError(BackendUnavailableError):
    """The LLM backend did not answer in time."""


class GenerationError(AssistantError):
    """The model's output broke off or could not be parsed after retries."""


class InputError(AssistantError):
    """The user's input is empty, too large or malformed."""
