"""What a cold `assistant search` / `ask` loads: no torch, no gradio, and no LLM for a search.
(How long they take is measured by bench/bench_cold_start.py, not asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

HEAVY = ("torch", "sentence_transformers", "transformers", "gradio", "llama_cpp", "langchain_core")
PROBE = (
    "import json, sys; from assistant.cli import cli;"
    "cli.main(sys.argv[1:], standalone_mode=False, prog_name='assistant');"
    f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
)


def _imported(data_dir, *args: str) -> tuple[list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_LLM__BACKEND": "embedded"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    *printed, modules = out.stdout.strip().splitlines()
    return json.loads(modules), "\n".join(printed)


def test_search_loads_no_model_framework_no_ui_and_no_llm(guide_container) -> None:
    modules, printed = _imported(guide_container.settings.data_dir, "search", "drift", "-k", "3", "--json")
    assert len(json.loads(printed)) == 3
    assert modules == []


def test_ask_loads_llama_cpp_but_no_torch_and_no_ui(guide_container) -> None:
    from assistant.adapters.llm.llamacpp import ensure_default_gguf

    ensure_default_gguf(guide_container.settings.models_dir)  # shared with the other embedded-model tests
    modules, printed = _imported(
        guide_container.settings.data_dir, "ask", "Why do models degrade after deployment?", "--json"
    )
    assert json.loads(printed)["answer"]
    assert modules == ["llama_cpp"]
