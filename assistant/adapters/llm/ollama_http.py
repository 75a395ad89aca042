"""Where Ollama is, and how to reach it: host parsing, proxy choice, GET /api/tags, POST /api/show.

Host parsing follows Ollama's own client (ollama/ollama `envconfig/config.go`: `Host()` and
`ConnectableHost()`, and `Var()` for quotes), so every value `ollama` itself accepts in OLLAMA_HOST
reaches the same server here. Two deliberate differences: a port that is not a number, and a
scheme with no host ("http://"), are configuration errors here (Ollama warns and uses a default).
"""

from __future__ import annotations

import ipaddress
import os
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import httpx

from assistant.errors import BackendTimeoutError, BackendUnavailableError, ConfigError, ModelMissingError

DEFAULT_PORT = "11434"
# The registry and namespace Ollama assumes for a short name: "llama3.2" is
# "registry.ollama.ai/library/llama3.2:latest" (types/model/name.go in ollama/ollama).
DEFAULT_REGISTRY = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"


def normalize_host(host: str) -> str:
    """The base URL Ollama's client would connect to for this OLLAMA_HOST value.

    Scheme optional (default http, port 11434; "http://h" means port 80 and "https://h" 443, as in
    Ollama); ":11434" and an empty host mean loopback; bare IPv6 ("::1") and "[::1]:11434" work;
    surrounding quotes and spaces are dropped; 0.0.0.0 and "::" (addresses a server binds to, not
    one a client can reach) become 127.0.0.1 and ::1; a path ("host/ollama") is kept.
    """
    raw = host.strip().strip("\"'").strip()
    scheme, sep, hostport = raw.partition("://")
    default_port = DEFAULT_PORT
    if not sep:
        scheme, hostport = "http", raw
    elif scheme == "http":
        default_port = "80"
    elif scheme == "https":
        default_port = "443"
    else:
        raise ConfigError(_bad_host(host, f"the scheme must be http or https, not {scheme!r}"))
    if sep and not hostport.strip("/"):
        raise ConfigError(_bad_host(host, "there is no host after the scheme"))
    hostport, _, path = hostport.partition("/")
    try:
        name, port = _split_host_port(hostport)
    except ValueError:
        name, port = "127.0.0.1", default_port
        ip = _ip(hostport.strip("[]"))
        if ip is not None:
            name = str(ip)
        elif hostport:
            name = hostport
    port = port or default_port  # "localhost:" has an empty port: Ollama uses its default
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(_bad_host(host, f"the port {port!r} is not a number from 1 to 65535"))
    name = _connectable(name)
    shown = f"[{name}]" if ":" in name else name
    path = path.strip("/")
    return f"{scheme}://{shown}:{int(port)}" + (f"/{path}" if path else "")


def _split_host_port(hostport: str) -> tuple[str, str]:
    """Go's net.SplitHostPort: 'h:p' or '[v6]:p'; anything else (no port, bare IPv6) is an error."""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or hostport[end + 1 : end + 2] != ":":
            raise ValueError(hostport)
        return hostport[1:end], hostport[end + 2 :]
    name, sep, port = hostport.rpartition(":")
    if not sep or ":" in name:
        raise ValueError(hostport)
    return name, port


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _connectable(name: str) -> str:
    """ConnectableHost(): a bind-all address becomes the loopback of its family; Go dials an empty
    host (":11434") on the local system, which is loopback too."""
    if not name:
        return "127.0.0.1"
    ip = _ip(name)
    if ip is not None and ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "::1"
    return name


def _bad_host(host: str, why: str) -> str:
    return (
        f"'{host}' is not an Ollama address: {why}. Set OLLAMA_HOST or ASSISTANT_LLM__OLLAMA_HOST to e.g. "
        "127.0.0.1:11434 or http://127.0.0.1:11434"
    )


# -- proxies ------------------------------------------------------------------------------------


def bypasses_proxy(url: str) -> bool:
    """Whether requests to `url` must skip HTTP(S)_PROXY: loopback always (a local Ollama is never
    behind the corporate proxy, and httpx would otherwise send it there), and hosts in NO_PROXY
    (names, .domain suffixes, '*', and IP ranges such as 10.0.0.0/8, which httpx does not read)."""
    name = urlsplit(url).hostname or ""
    ip = _ip(name)
    if name == "localhost" or name.endswith(".localhost") or (ip is not None and ip.is_loopback):
        return True
    if urllib.request.proxy_bypass_environment(name):
        return True
    if ip is None:
        return False
    for entry in (os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or "").split(","):
        try:
            if "/" in entry and ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def client_options(url: str) -> dict[str, Any]:
    """httpx client arguments for Ollama at `url`: `trust_env=False` where the proxy must be
    skipped; otherwise httpx's own handling of HTTP(S)_PROXY/NO_PROXY, so a remote Ollama behind a
    proxy is still reached through it."""
    return {"trust_env": False} if bypasses_proxy(url) else {}


def proxy_note(url: str) -> str:
    if bypasses_proxy(url):
        return "direct (proxy variables are skipped for this host)"
    proxies = [v for v in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY") if os.environ.get(v)]
    return f"through the proxy in {proxies[0]}" if proxies else "direct"


# -- model names --------------------------------------------------------------------------------


def canonical_name(name: str) -> str:
    """Ollama's full model name, lower-cased: registry/namespace/model:tag with its defaults, so
    'llama3.2', 'llama3.2:latest' and 'registry.ollama.ai/library/llama3.2:latest' are one model."""
    name = name.strip().lower()
    parts = name.split("/")
    last = parts[-1] if ":" in parts[-1] else f"{parts[-1]}:latest"
    if len(parts) == 1:
        return f"{DEFAULT_REGISTRY}/{DEFAULT_NAMESPACE}/{last}"
    if len(parts) == 2:
        return f"{DEFAULT_REGISTRY}/{parts[0]}/{last}"
    return "/".join([*parts[:-1], last])


# -- GET /api/tags and POST /api/show ------------------------------------------------------------


def installed_models(base: str, timeout_s: float) -> list[str]:
    """Names in GET /api/tags. Raises httpx errors and ValueError (not Ollama's shape)."""
    with httpx.Client(timeout=timeout_s, **client_options(base)) as client:
        response = client.get(f"{base}/api/tags")
        response.raise_for_status()
        data = response.json()
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        raise ValueError("no 'models' list")
    names = {str(m[key]) for m in models if isinstance(m, dict) for key in ("name", "model") if m.get(key)}
    return sorted(names)


def show_model(base: str, model: str, timeout_s: float) -> dict[str, Any]:
    """Facts from POST /api/show: context_length (None when not reported), family, parameter_size,
    quantization_level, capabilities (None when this Ollama does not report them; older than 0.6),
    thinking_levels (the `thinking.values` list, None when absent)."""
    try:
        with httpx.Client(timeout=timeout_s, **client_options(base)) as client:
            response = client.post(f"{base}/api/show", json={"model": model})
    except httpx.TimeoutException as e:
        raise BackendTimeoutError(f"Ollama at {base} did not answer POST /api/show within {timeout_s:g} s.") from e
    except httpx.HTTPError as e:
        raise BackendUnavailableError(unreachable(base)) from e
    if response.status_code == 404:
        raise ModelMissingError(missing(model))
    try:
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPStatusError, ValueError) as e:
        msg = f"Ollama at {base} answered POST /api/show with HTTP {response.status_code}: {response.text[:200]}"
        raise BackendUnavailableError(msg) from e
    details = data.get("details") or {}
    thinking = data.get("thinking") if isinstance(data.get("thinking"), dict) else {}
    caps = data.get("capabilities")
    return {
        "context_length": _context_length(data.get("model_info") or {}),
        "family": details.get("family"),
        "parameter_size": details.get("parameter_size"),
        "quantization_level": details.get("quantization_level"),
        "capabilities": [str(c) for c in caps] if isinstance(caps, list) else None,
        "thinking_levels": list(thinking["values"]) if isinstance(thinking.get("values"), list) else None,
    }


def _context_length(info: dict[str, Any]) -> int | None:
    arch = info.get("general.architecture")
    value = info.get(f"{arch}.context_length") if arch else None
    if value is None:
        value = next((v for k, v in info.items() if k.endswith(".context_length")), None)
    return int(value) if isinstance(value, int | float) else None


def unreachable(host: str) -> str:
    return f"Ollama is not reachable at {host}. Start it with `ollama serve` (or set ASSISTANT_LLM__BACKEND=embedded)."


def missing(model: str) -> str:
    return f"Ollama has no model '{model}'. Run: ollama pull {model}"
