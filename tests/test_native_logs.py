"""llama.cpp's own log lines stay off stderr unless asked for (`--verbose`); its errors always show."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from assistant.adapters.llm import llamacpp
from tests.conftest import REPO

DEBUG, INFO, WARN, ERROR, CONT = 1, 2, 3, 4, 5  # ggml_log_level


@pytest.fixture(autouse=True)
def _quiet_again():
    yield
    llamacpp.show_native_logs(False)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("models")


def _log(level: int, text: str) -> None:
    llamacpp._native_log(level, text.encode(), ctypes.c_void_p(0))


def test_warnings_and_info_are_dropped_and_errors_shown(capsys: pytest.CaptureFixture[str]) -> None:
    _log(WARN, "llama_context: n_ctx_seq (512) > n_ctx_train (0)\n")
    _log(INFO, "print_info: n_ctx_train = 32768\n")
    _log(CONT, ".")  # continues the info line: dropped with it
    _log(ERROR, "llama_model_load: error loading model\n")
    _log(CONT, "more of the error\n")
    assert capsys.readouterr().err == "llama_model_load: error loading model\nmore of the error\n"


def test_verbose_shows_everything(capsys: pytest.CaptureFixture[str]) -> None:
    llamacpp.show_native_logs(True)
    _log(DEBUG, "a\n")
    _log(WARN, "b\n")
    assert capsys.readouterr().err == "a\nb\n"


@pytest.mark.slow
@pytest.mark.parametrize("verbose", [False, True])
def test_loading_and_generating_prints_nothing_unless_verbose(models_dir, verbose: bool) -> None:
    code = (
        "import sys; from pathlib import Path;"
        "from assistant.adapters.llm import llamacpp; from assistant.types import Prompt;"
        "llamacpp.show_native_logs(sys.argv[2] == 'True');"
        "path = llamacpp.ensure_default_gguf(Path(sys.argv[1]));"
        "llm = llamacpp.EmbeddedLLM(path, n_ctx=1024, threads=1, seed=0, temperature=0.0);"
        "print(''.join(llm.stream(Prompt(raw='Question: What is model drift?\\nAnswer:'), max_tokens=8)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    out = subprocess.run(
        [sys.executable, "-c", code, str(models_dir), str(verbose)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip()
    if verbose:
        assert "llama_kv_cache" in out.stderr
    else:
        assert out.stderr == ""
