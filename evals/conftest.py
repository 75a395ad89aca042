"""The eval suite shares the test suite's fixtures (real model, real Chroma).

`pytest evals` measures the embedded backend; `pytest evals --backend ollama --model llama3.2:3b`
measures another (ASSISTANT_EVAL_BACKEND / ASSISTANT_EVAL_MODEL set the same defaults).
"""

import os

import pytest

from tests.conftest import _no_ambient_settings, guide_container  # noqa: F401


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evals", "eval suite")
    group.addoption(
        "--backend",
        choices=("auto", "ollama", "embedded"),
        default=os.environ.get("ASSISTANT_EVAL_BACKEND", "embedded"),
        help="LLM backend the eval suite measures (default: embedded).",
    )
    group.addoption(
        "--model",
        default=os.environ.get("ASSISTANT_EVAL_MODEL") or None,
        help="Ollama model tag (or, with --backend embedded, a .gguf path) for the eval suite.",
    )


@pytest.fixture(scope="session")
def eval_container(guide_container, request: pytest.FixtureRequest):  # noqa: F811
    """The guide container, with the LLM backend the run asked for."""
    from assistant.container import Container
    from assistant.services.evaluate import configure_llm

    c = guide_container
    if "backend" in c.__dict__:
        # An earlier test already built an LLM (cached) from other settings: a fresh container over
        # the same index makes sure the backend measured is the one asked for.
        c = Container(c.settings.model_copy(deep=True))
    configure_llm(c.settings, request.config.getoption("--backend"), request.config.getoption("--model"))
    return c
