"""llama.cpp's native side that llama-cpp-python does not expose well: its log lines (only errors unless
`assistant --verbose`) and a crash on AMX CPUs worked around at model load."""

from __future__ import annotations

import contextlib
import ctypes
import sys
from collections.abc import Iterator

# ggml's log levels (ggml.h): NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the previous
# line). llama-cpp-python 0.3.36 maps them as if ERROR were 3, so with verbose=False it still prints
# every warning ("llama_kv_cache_iswa: using full-size SWA cache", "n_ctx_seq (512) > n_ctx_train (0)").
_GGML_ERROR, _GGML_CONT = 4, 5
_native_logs = {"verbose": False, "last_level": 0, "installed": False}


def show_native_logs(verbose: bool) -> None:
    """Show all of llama.cpp's own log lines on stderr (verbose) or only its errors (the default)."""
    _native_logs["verbose"] = verbose


def _native_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    if level == _GGML_CONT:
        level = _native_logs["last_level"]
    _native_logs["last_level"] = level
    if _native_logs["verbose"] or level >= _GGML_ERROR:
        print(text.decode("utf-8", errors="replace"), end="", flush=True, file=sys.stderr)


def _install_log_filter() -> None:
    """Route llama.cpp's log through `_native_log`, once per process. Importing llama_cpp registers
    its own callback, so ours is set after that import; the ctypes wrapper is kept referenced in
    `_native_logs`, or it would be collected while the C library still calls it."""
    if _native_logs["installed"]:
        return
    import llama_cpp

    callback = llama_cpp.llama_log_callback(_native_log)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    _native_logs["callback"] = callback
    _native_logs["installed"] = True


@contextlib.contextmanager
def _without_amx_buffers() -> Iterator[None]:
    """Load weights without ggml's "extra" CPU buffer types when this llama.cpp build has AMX.

    On CPUs that report AMX (e.g. Sapphire Rapids VMs), the llama-cpp-python 0.3.36 build places Q4_K
    weights in AMX buffers and llama_decode then crashes the process (SIGSEGV in
    ggml_backend_amx_mul_mat) on the first token. `Llama()` has no argument for it, so the model
    params it starts from are patched for the duration of the load (callers hold _LOADED_LOCK).
    Without AMX nothing changes, and repacked AVX2 weights stay in use."""
    import llama_cpp
    import llama_cpp.llama as llama_module

    if b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info():
        yield
        return
    defaults = llama_module.llama_cpp.llama_model_default_params

    def params():
        p = defaults()
        p.use_extra_bufts = False
        return p

    llama_module.llama_cpp.llama_model_default_params = params
    try:
        yield
    finally:
        llama_module.llama_cpp.llama_model_default_params = defaults
