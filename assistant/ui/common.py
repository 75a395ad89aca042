"""What every tab shares: error translation at the UI edge, the LLM concurrency group, the backend note."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError

log = logging.getLogger("assistant.ui")

# The embedded llama.cpp model runs one call at a time: every event that calls the LLM (or rebuilds
# the index it reads) shares one concurrency slot; others wait in the bounded queue instead of failing.
LLM_EVENT: dict[str, Any] = {"concurrency_limit": 1, "concurrency_id": "llm"}

_backend_lock = threading.Lock()


def backend_note(container: Any) -> str:
    """container.backend.note, building the backend once even when two first requests race."""
    with _backend_lock:
        return container.backend.note


def to_gr_error(e: Exception) -> gr.Error:
    """AssistantError messages are written for people: shown as-is. Anything else is a bug: logged with
    its traceback on the server, and the browser gets a short message, never the traceback."""
    if isinstance(e, gr.Error):
        return e
    if isinstance(e, AssistantError):
        return gr.Error(str(e), print_exception=False)
    log.exception("Unexpected error in the web UI")
    return gr.Error(f"Something went wrong ({type(e).__name__}). The details are in the server log.")


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event handler so errors reach the user as gr.Error with a readable message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise to_gr_error(e) from e

    return wrapper


def friendly_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`friendly` for generator handlers (gradio streams a handler only if it is a generator function)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from fn(*args, **kwargs)
        except Exception as e:
            raise to_gr_error(e) from e

    return wrapper


def exports_dir(settings: Any) -> Path:
    """Where exports are written; the only data-dir folder the web server may serve files from."""
    return Path(settings.data_dir) / "exports"
