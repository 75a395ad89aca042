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
    """The guide container's index, with the LLM backend the run asked for. A container of its own
    when the backend differs, so the shared fixture's settings are never changed under other tests."""
    from assistant.container import Container
    from assistant.services.evaluation import with_llm

    c = guide_container
    settings = with_llm(c.settings, request.config.getoption("--backend"), request.config.getoption("--model"))
    if settings.llm == c.settings.llm and "backend" not in c.__dict__:
        return c
    return Container(settings)
