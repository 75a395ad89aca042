"""Removing what untrusted text (model output, corpus passages) could use to reach outside: Markdown
images, reference definitions, and links to hosts other than this machine. Used on every answer
sentence before it is checked and shown, and again by the web renderer."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Markdown images, inline `![alt](url "title")` and reference style `![alt][ref]` / `![ref]`.
_IMAGE = re.compile(r"!\[([^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])?")
# Inline links `[text](url "title")`; the destination may be wrapped in <...>.
LINK_RE = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^)\n]*[\"'])?\s*\)")
# Reference definitions `[ref]: url` would turn `[ref]` into a link anywhere in the text.
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.MULTILINE)


def is_loopback_url(url: str) -> bool:
    """True for http(s) URLs whose host is this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in {"http", "https"} or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def strip_remote(text: str) -> str:
    """Drop Markdown images and reference definitions; turn non-loopback links into their text."""
    text = _IMAGE.sub(lambda m: f"(image: {m.group(1)})" if m.group(1).strip() else "", text)
    text = _REF_DEF.sub("", text)

    def link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        return m.group(0) if is_loopback_url(url) else label

    for _ in range(3):  # a label may itself hold a link: [[a](x)](y)
        text, before = LINK_RE.sub(link, text), text
        if text == before:
            break
    return text


_BARE_URL = re.compile(r"\b(?:https?|ftp)://[^\s)\]>\"']+", re.IGNORECASE)


def clean_untrusted(text: str) -> str:
    """strip_remote, and bare URLs to other hosts removed too (a terminal or a JSON consumer may
    make them clickable)."""
    text = strip_remote(text)
    return _BARE_URL.sub(lambda m: m.group(0) if is_loopback_url(m.group(0)) else "", text)
