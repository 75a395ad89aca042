"""A loopback STAND-IN for an Ollama server, standard library only.

It is not Ollama. It answers from a script, in the shapes Ollama documents
(https://docs.ollama.com/api, and docs/api.md + server/routes.go in ollama/ollama): GET /api/tags,
POST /api/show, POST /api/chat and POST /api/generate, streamed as NDJSON over chunked HTTP/1.1 or
as one JSON object with `"stream": false`, errors as `{"error": "..."}`. It checks the client side
of that protocol and nothing else: never report a speed or an answer measured against it as Ollama's.

    with OllamaStandin(models=["llama3.2:3b"]) as s:
        s.enqueue("Gradient descent.")            # text, or a dict/list sent as JSON
        s.enqueue("ignored", fault="cut")          # one reply that breaks
        ...                                        # point a client at s.url
        assert s.requests_to("/api/chat")[0].body["options"]["num_ctx"] == 4096

Faults (per reply via `enqueue(..., fault=)`, or for every request via `s.fault = ...`):
missing_model (404), hang (no answer for `hang_s`), cut (some chunks, then the connection drops),
error_midstream (some chunks, then an `{"error": ...}` line), broken_json (invalid JSON content
when a `format` is requested), no_done (some chunks, then a clean end without the "done" line),
load_error (500 before any output: the model does not fit in memory), unauthorized (401 before any
output: a cloud model without `ollama signin`).

STAND-IN BEHAVIOURS, each copied from the Ollama source named (ollama/ollama, read 2026-11; the
behaviour matches Ollama 0.12-0.13 releases):
- TRUNCATION: a prompt longer than the context is cut with 200 OK to exactly num_ctx tokens, keeping
  the first num_keep (4) and the tail; prompt_eval_count is the cut length (runner/llamarunner/
  runner.go NewSequence: "truncating input prompt"). num_ctx defaults to 4096 and is capped at the
  model's trained context_length (server/sched.go). Tokens here are characters / `chars_per_token`
  (4) + 8 per message.
- THINKING: a model with the "thinking" capability streams `message.thinking` chunks (content "")
  before its answer, and they count against num_predict (server/routes.go ChatHandler, thinking
  parser; docs/capabilities/thinking.mdx). `think: false` stops it unless the model's thinking
  levels lack false (gpt-oss: "low"/"medium"/"high"), which thinks anyway. `think: true` on a model
  without the capability is 400 `"<model>" does not support thinking`.
- EMPTY PIECES: the stream begins with a chunk whose content is "" (Ollama sends these around
  thinking and tool calls).
- NO CHAT: a model without the "completion" capability (an embedding model) answers /api/chat with
  400 `"<model>" does not support chat` (server/routes.go, CheckCapabilities).
- SLOW FIRST LOAD: the first generation for a model waits `load_delay_s` before its first byte, as
  a cold model load does, and reports it in load_duration.
- PROXY: a request in absolute form ("GET http://host:port/api/tags", what an HTTP proxy receives)
  is served like the plain path and recorded with proxied=True: point HTTP_PROXY at the stand-in to
  play a proxy in front of a remote Ollama (Go's net/http accepts absolute-form requests).

Manual tries: python -m tests.standins.ollama_standin --port 11434
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("missing_model", "hang", "cut", "error_midstream", "broken_json", "no_done", "load_error", "unauthorized")

# Current Ollama says this for a model it does not have (ChatHandler, GenerateHandler and
# ShowHandler in server/routes.go). Older releases, and a model lost between lookup and load
# (handleScheduleError), say 'model "x" not found, try pulling it first': set
# `missing_model_message` to that to try it.
MISSING_MODEL_MESSAGE = "model '{model}' not found"
OLD_MISSING_MODEL_MESSAGE = 'model "{model}" not found, try pulling it first'
# The example in docs.ollama.com/api/errors, "Errors that occur while streaming".
MIDSTREAM_ERROR = "an error was encountered while running the model"
DEFAULT_TEXT = "This is a scripted answer from the Ollama stand-in."
# llm/server.go, when a model's estimated memory exceeds what is free (HTTP 500 from the handler).
LOAD_ERROR = "model requires more system memory (7.6 GiB) than is available (3.1 GiB)"
DEFAULT_NUM_CTX = 4096  # envconfig ContextLength default
NUM_KEEP = 4
DEFAULT_THINKING = "The user asks about the guide. I should answer briefly from the passages."


@dataclass(frozen=True)
class Reply:
    text: str
    fault: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any]
    proxied: bool = False  # arrived in absolute form, as through an HTTP proxy


@dataclass(frozen=True)
class Cut:
    """One TRUNCATION: the prompt's tokens before and after."""

    model: str
    prompt_tokens: int
    kept_tokens: int


class OllamaStandin:
    """Scriptable loopback stand-in for an Ollama server; binds 127.0.0.1 (port 0: a free port)."""

    def __init__(
        self,
        models: list[str] | tuple[str, ...] = ("llama3.2:3b",),
        *,
        port: int = 0,
        context_length: int = 131072,
        hang_s: float = 30.0,
        chunk_delay_s: float = 0.0,
        capabilities: dict[str, list[str]] | None = None,
        thinking_levels: dict[str, list[Any]] | None = None,
        load_delay_s: float = 0.0,
    ) -> None:
        self.models = list(models)
        # Per model; a model not named here has ["completion"] (it can chat and cannot think).
        self.capabilities = dict(capabilities or {})
        self.thinking_levels = dict(thinking_levels or {})  # /api/show `thinking.values`
        self.thinking_text = DEFAULT_THINKING
        self.load_delay_s = load_delay_s
        self.chars_per_token = 4.0  # lower it to play a tokenizer that needs more tokens (code, non-English)
        self.loaded: set[str] = set()
        self.cuts: list[Cut] = []
        self.port = port
        self.context_length = context_length
        self.hang_s = hang_s
        self.chunk_delay_s = chunk_delay_s
        self.fault: str | None = None
        self.default_reply = DEFAULT_TEXT  # sent when nothing is queued ("{}" if JSON is asked)
        self.missing_model_message = MISSING_MODEL_MESSAGE
        self.requests: list[RecordedRequest] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------
    def enqueue(self, reply: str | dict[str, Any] | list[Any], *, fault: str | None = None) -> None:
        """Queue the next answer. A dict or list is sent as its JSON text."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        text = reply if isinstance(reply, str) else json.dumps(reply)
        with self._lock:
            self._replies.append(Reply(text, fault))

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def has_model(self, name: str) -> bool:
        return _canonical(name) in {_canonical(m) for m in self.models}

    def caps(self, model: str) -> list[str]:
        for name, caps in self.capabilities.items():
            if _canonical(name) == _canonical(model):
                return list(caps)
        return ["completion"]

    def levels(self, model: str) -> list[Any] | None:
        return next((v for k, v in self.thinking_levels.items() if _canonical(k) == _canonical(model)), None)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not started; use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> OllamaStandin:
        self._closing.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._closing.set()  # wakes `hang` handlers
        self._server.shutdown()
        self._server.drop_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> OllamaStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler ---------------------------------------------------------------
    def _record(self, method: str, path: str, body: dict[str, Any], proxied: bool = False) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, body, proxied))

    def _take(self, model: str, wants_json: bool) -> tuple[Reply, bool]:
        """The reply for a generation request, and whether the model counts as missing."""
        with self._lock:
            head = self._replies[0] if self._replies else None
            fault = (head.fault if head else None) or self.fault
            missing = fault == "missing_model" or not self.has_model(model)
            if head is not None and (not missing or head.fault == "missing_model"):
                self._replies.popleft()
                return Reply(head.text, fault), missing
        return Reply("{}" if wants_json else self.default_reply, fault), missing

    def _tags(self) -> dict[str, Any]:
        return {"models": [_tag_entry(m) for m in self.models]}

    def _show(self, model: str) -> dict[str, Any]:
        arch = "gptoss" if "gpt-oss" in model else "llama"
        out = {
            "license": "",
            "modelfile": f'# Modelfile generated by "ollama show" (Ollama stand-in)\nFROM {model}\n',
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": _details(arch),
            "model_info": {"general.architecture": arch, f"{arch}.context_length": self.context_length},
            "capabilities": self.caps(model),
            "modified_at": _now(),
        }
        levels = self.levels(model)
        if levels is not None:
            out["thinking"] = {"values": levels, "default": levels[-1] if False in levels else levels[1 % len(levels)]}
        return out

    def _prompt_read(self, model: str, body: dict[str, Any]) -> int:
        """TRUNCATION: the prompt tokens the model reads (all, or num_ctx after a cut)."""
        tokens = _prompt_tokens(body, self.chars_per_token)
        asked = (body.get("options") or {}).get("num_ctx") or DEFAULT_NUM_CTX
        num_ctx = min(int(asked), self.context_length)
        if tokens <= num_ctx:
            return tokens
        with self._lock:
            self.cuts.append(Cut(model, tokens, num_ctx))
        return num_ctx

    def _load(self, model: str) -> int:
        """SLOW FIRST LOAD: nanoseconds spent loading (only the first time)."""
        with self._lock:
            first = model not in self.loaded
            self.loaded.add(model)
        if first and self.load_delay_s:
            self._closing.wait(self.load_delay_s)
            return int(self.load_delay_s * 1e9)
        return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a client's idle keep-alive connection must not block stop()

    def __init__(self, address: tuple[str, int], handler: type, standin: OllamaStandin) -> None:
        self.standin = standin
        self.connections: set[socket.socket] = set()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.add(request)
        super().process_request(request, client_address)

    def drop_connections(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.connections.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped and timed-out connections are the point of several faults


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked NDJSON, like Ollama (Go net/http)
    server_version = "OllamaStandin/0"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `requests`, not a log

    def _route(self) -> bool:
        """PROXY: serve an absolute-form target ("http://host:port/api/tags") as its path."""
        if self.path.startswith(("http://", "https://")):
            self.path = "/" + self.path.split("://", 1)[1].partition("/")[2]
            return True
        return False

    def do_GET(self) -> None:
        st = self.server.standin
        proxied = self._route()
        st._record("GET", self.path, {}, proxied)
        if self.path == "/api/tags":
            self._send_json(200, st._tags())
        elif self.path == "/api/version":
            self._send_json(200, {"version": "0.0.0-standin"})
        elif self.path == "/":
            self._send(200, b"Ollama stand-in is running", "text/plain; charset=utf-8")
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:
        st = self.server.standin
        proxied = self._route()
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError as e:
            self._send_json(400, {"error": f"invalid request body: {e}"})
            return
        if not isinstance(body, dict):
            self._send_json(400, {"error": "missing request body"})
            return
        st._record("POST", self.path, body, proxied)
        if self.path in ("/api/chat", "/api/generate"):
            self._generate(body)
        elif self.path == "/api/show":
            model = body.get("model") or body.get("name") or ""
            if not st.has_model(model):
                self._send_json(404, {"error": MISSING_MODEL_MESSAGE.format(model=model)})
            else:
                self._send_json(200, st._show(model))
        else:
            self._send(404, b"404 page not found", "text/plain")

    def _generate(self, body: dict[str, Any]) -> None:
        st = self.server.standin
        model = body.get("model") or ""
        if not model:
            self._send_json(400, {"error": "model is required"})
            return
        wants_json = body.get("format") not in (None, "")
        reply, missing = st._take(model, wants_json)
        if missing:
            self._send_json(404, {"error": st.missing_model_message.format(model=model)})
            return
        caps = st.caps(model)
        if "completion" not in caps:  # NO CHAT
            self._send_json(
                400,
                {"error": f"{json.dumps(model)} does not support {'chat' if self.path == '/api/chat' else 'generate'}"},
            )
            return
        think = body.get("think")
        if think not in (None, False) and "thinking" not in caps:
            self._send_json(400, {"error": f"{json.dumps(model)} does not support thinking"})
            return
        if reply.fault in ("load_error", "unauthorized"):
            status, error = (500, LOAD_ERROR) if reply.fault == "load_error" else (401, "unauthorized")
            self._send_json(status, {"error": error})
            return
        if reply.fault == "hang":
            st._closing.wait(st.hang_s)
            self.close_connection = True
            return
        load_ns = st._load(model)
        options = body.get("options") or {}
        text = _broken(reply.text) if reply.fault == "broken_json" and wants_json else reply.text
        thinks = "thinking" in caps and (think not in (None, False) or False not in (st.levels(model) or [False]))
        thoughts = re.findall(r"\S+\s*", st.thinking_text) if thinks else []
        limit = options.get("num_predict")
        if isinstance(limit, int) and limit >= 0:
            thoughts = thoughts[:limit]
            options = {**options, "num_predict": limit - len(thoughts)}
        pieces, done_reason = _pieces(text, options)
        if thoughts and not pieces and isinstance(limit, int) and limit >= 0:
            done_reason = "length"
        turn = _Turn(self.path == "/api/chat", model, body, pieces, done_reason, thoughts, load_ns)
        turn.prompt_read = st._prompt_read(model, body)
        if body.get("stream", True) is False:
            self._answer_whole(turn, reply.fault)
        else:
            self._answer_stream(turn, reply.fault)

    def _answer_whole(self, turn: _Turn, fault: str | None) -> None:
        if fault == "cut":
            self._drop()  # the server died before answering
        elif fault == "error_midstream":
            self._send_json(500, {"error": MIDSTREAM_ERROR})  # what Ollama does with stream=false
        else:
            self._send_json(200, turn.final("".join(turn.pieces), "".join(turn.thoughts)))

    def _answer_stream(self, turn: _Turn, fault: str | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        breaks = fault in ("cut", "error_midstream", "no_done")
        # A broken stream always breaks after at least one piece and before the done line.
        cut_at = min(max(1, len(turn.pieces) // 2), len(turn.pieces)) if breaks else len(turn.pieces)
        self._chunk(turn.part(""))  # EMPTY PIECES
        for thought in turn.thoughts:
            self._chunk(turn.part("", thought))
        for piece in turn.pieces[:cut_at]:
            self._chunk(turn.part(piece))
            if self.server.standin.chunk_delay_s:
                time.sleep(self.server.standin.chunk_delay_s)
        if fault == "cut":
            self._drop()
            return
        if fault != "no_done":
            self._chunk({"error": MIDSTREAM_ERROR} if fault == "error_midstream" else turn.final(""))
        self.wfile.write(b"0\r\n\r\n")

    # -- wire helpers ----------------------------------------------------------------------
    def _chunk(self, obj: dict[str, Any]) -> None:
        data = json.dumps(obj).encode() + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the connection abruptly: no terminating chunk, no response at all if none began."""
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _send_json(self, status: int, obj: dict[str, Any]) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class _Turn:
    """One generation: builds the documented response objects for /api/chat or /api/generate."""

    chat: bool
    model: str
    body: dict[str, Any]
    pieces: list[str]
    done_reason: str
    thoughts: list[str]
    load_ns: int = 0
    prompt_read: int = 0

    def __post_init__(self) -> None:
        self.started = time.monotonic_ns()

    def part(self, text: str, thinking: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "created_at": _now()}
        if self.chat:
            out["message"] = {"role": "assistant", "content": text}
            if thinking:
                out["message"]["thinking"] = thinking
        else:
            out["response"] = text
            if thinking:
                out["thinking"] = thinking
        out["done"] = False
        return out

    def final(self, text: str, thinking: str = "") -> dict[str, Any]:
        elapsed = time.monotonic_ns() - self.started
        out = self.part(text, thinking)
        out.update(done=True, done_reason=self.done_reason, total_duration=elapsed + self.load_ns)
        out.update(load_duration=self.load_ns, prompt_eval_count=self.prompt_read, prompt_eval_duration=0)
        out.update(eval_count=len(self.pieces) + len(self.thoughts), eval_duration=elapsed)
        if not self.chat and not self.body.get("raw"):
            out["context"] = [1, 2, 3]  # deprecated field; present unless raw, as documented
        return out


def _pieces(text: str, options: dict[str, Any]) -> tuple[list[str], str]:
    """Split the reply into token-like pieces; apply options.stop and options.num_predict."""
    stops = options.get("stop") or []
    hits = [text.find(s) for s in stops if s and s in text]
    if hits:
        text = text[: min(hits)]
    pieces = re.findall(r"\S+\s*|\s+", text)
    limit = options.get("num_predict")
    if isinstance(limit, int) and limit >= 0 and len(pieces) > limit:
        return pieces[:limit], "length"
    return pieces, "stop"


def _broken(text: str) -> str:
    """Invalid JSON: a JSON object or array with its closing bracket cut off."""
    stripped = text.rstrip()
    return stripped[:-1] if stripped.endswith(("}", "]")) else "{" + stripped


def _prompt_tokens(body: dict[str, Any], chars_per_token: float = 4.0) -> int:
    """The stand-in's tokenizer: characters / chars_per_token, plus 8 template tokens per message."""
    if "messages" in body:
        messages = body.get("messages") or []
        return sum(math.ceil(len(str(m.get("content", ""))) / chars_per_token) + 8 for m in messages)
    return math.ceil(len(str(body.get("prompt") or "")) / chars_per_token) + 8


def _canonical(name: str) -> str:
    """Ollama's rule (types/model/name.go ParseName): a name without a tag means ':latest', a short
    name means registry.ollama.ai/library/<name>, and names compare case-insensitively."""
    parts = name.strip().lower().split("/")
    last = parts[-1] if ":" in parts[-1] else f"{parts[-1]}:latest"
    defaults = ["registry.ollama.ai", "library"][: max(0, 3 - len(parts))]
    return "/".join([*defaults, *parts[:-1], last])


def _details(family: str = "llama") -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": "stand-in",
        "quantization_level": "stand-in",
    }


def _tag_entry(name: str) -> dict[str, Any]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {"name": name, "model": name, "modified_at": _now(), "size": 0, "digest": digest, "details": _details()}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Ollama STAND-IN (not Ollama) on loopback.")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", help="installed model tag (repeatable)")
    parser.add_argument("--reply", help="answer every request with this text (default: a stock line)")
    parser.add_argument("--fault", choices=FAULTS, help="apply this fault to every request")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between streamed chunks")
    args = parser.parse_args()
    standin = OllamaStandin(args.model or ["llama3.2:3b"], port=args.port, chunk_delay_s=args.delay)
    standin.fault = args.fault
    if args.reply is not None:
        standin.default_reply = args.reply
    with standin:
        print(f"Ollama STAND-IN (not Ollama) at {standin.url}, models: {', '.join(standin.models)}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
