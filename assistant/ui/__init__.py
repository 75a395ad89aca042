"""The Gradio web UI. Importing this package does not import gradio; `build_app` and `launch` do."""

from __future__ import annotations

from typing import Any


def build_app(container: Any) -> Any:
    """The gr.Blocks app over `container`'s services (see assistant.ui.app)."""
    from assistant.ui.app import build_app as _build

    return _build(container)


def launch(app: Any, settings: Any, **kwargs: Any) -> Any:
    """Serve `app` with the safety defaults of assistant.ui.app.launch."""
    from assistant.ui.app import launch as _launch

    return _launch(app, settings, **kwargs)


__all__ = ["build_app", "launch"]
