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


# -- instructions addressed to the assistant ------------------------------------------------------
# A question is data for the assistant, never a new instruction to it. These are the *shapes* such
# instructions take (an override verb aimed at the rules, a request for the assistant's own set-up, a new
# identity or role, control of the output, fake message boundaries, hidden payloads), in the languages
# learners most often paste; each alternative names a kind of wording, not one question.
_OVERRIDE_VERB = (
    r"ignore|ignoring|disregard|forget|override|bypass|circumvent|set aside|throw out|abandon|"
    r"stop following|(?:do not|don't|no longer) (?:follow|obey)|"
    r"ignora|ignorar|ignore[zr]?|ignoriere|ignorieren|olvida|olvidar|olvide|oubliez|oublie|oublier|"
    r"vergiss|vergessen|esque[çc]a|dimentica"
)
_DIRECTIVE = (
    r"instructions?|rules|guidance|guidelines?|directions|directives|prompts?|constraints|restrictions|"
    r"polic(?:y|ies)|programming|everything|all of (?:that|this|the above)|what you (?:were|have been) told|"
    r"(?:the|everything|anything|all) (?:above|before)|"
    r"(?:the )?(?:study )?guide|citations?|instrucciones|reglas|indicaciones|todo|consignes|r[èe]gles|tout|"
    r"anweisungen|regeln|vorgaben|alles|instru[çc][õo]es|regras|istruzioni|regole|systemprompt"
)
_SELF = r"(?:prompt|instructions|rules|guidelines|directives|configuration|config|programming|context|memory)"
_SHAPES: dict[str, str] = {
    "override": (
        rf"\b(?:{_OVERRIDE_VERB})\b(?:\W+\w+){{0,3}}?\W+(?:{_DIRECTIVE})\b|"
        r"\b(?:answer|respond|reply|continue)\b[^.?!]{0,30}\bwithout (?:any )?(?:citations?|citing|restrictions|rules|filters|the guide)\b|"
        r"\b(?:stop|quit|cease|no longer) (?:citing|quoting|obeying|using (?:the guide|sources|citations))\b|"
        r"(?:忽略|无视|無視|忘记|忘れ|不要遵守)[^。？！]{0,12}(?:指令|指示|规则|規則|提示|ルール|命令)"
    ),
    "own set-up": (
        rf"\bsystem\s*(?:prompt|message)|\byour\s+(?:\w+\s+){{0,2}}?{_SELF}\b|"
        rf"\b(?:hidden|secret|initial|original|internal|confidential|developer)\s+{_SELF}\b|"
        r"\brepeat (?:the |all |everything )?(?:text |words |lines )?(?:above|before this)\b|"
        # ... also in the assistant's own voice, for it to complete ("The instructions I was given ...").
        r"\b(?:text|words?|prompt|instructions|rules|guidelines|message)\b[^.?!]{0,20}"
        r"\b(?:you\s+(?:were\s+|have been\s+|'ve been\s+)?|I\s+(?:was|have been|'ve been)\s+)"
        r"(?:given|told|sent|trained|set up with|configured with|provided)\b|"
        r"\b(?:said|given|written|sent|told)\b[^.?!]{0,20}\bbefore (?:this|the|our) (?:chat|conversation|session)\b|"
        r"\bhow you (?:are|were) (?:configured|set up|built|programmed)\b|\bwho (?:built|made|created) you\b|"
        r"\byou (?:were|have been|'ve been) (?:told|instructed|asked|programmed) (?:to|not)\b|\bnever (?:to )?reveal\b|"
        r"\b(?:api keys?|environment variables?|credentials|passwords?|secret keys?|access keys?)\b[^.?!]{0,40}\byou\b"
    ),
    "new role": (
        r"\byou are now\b|\byou(?:'re| are) no longer\b|\bfrom now on,?\s+(?:you|your|act|answer|respond)|"
        r"\byou (?:will|must) now\b|\bstay in character\b|\bas if you (?:were|are)\b|"
        r"\brole-?\s?play|\blet'?s play a game\b|\bpretend (?:to be|you are|you're|that|the)\b|"
        r"\bno (?:rules|restrictions|filters|limits|guidelines)\b|\bunrestricted\b|\bjailbr|\bDAN\b|"
        r"\b(?:developer|god|admin) mode\b|\bsystem override\b"
    ),
    "authority": (
        r"\b(?:authori[sz]ed|allowed|permitted|instructed) you\b|"
        r"\b(?:administrator|admin|developer|author|owner|operator)s? (?:has|have) (?:decided|authori[sz]ed|approved|allowed)"
    ),
    "output control": (
        r"\b(?:reply|respond|answer|output|say|print|write)\s+(?:only|just)\b|\band nothing else\b|\brepeat after me\b|"
        r"\b(?:reply|respond|answer|say)\s+(?:with\s+)?[\"'\u201c\u2018]"
    ),
    "boundary": (
        r"</?(?:context|system|instructions?|guide|passages?|user|assistant)>|<<<|>>>|\[/?INST\]|<\|im_(?:start|end)\|>|"
        r"\bend of (?:the )?(?:question|input|context|prompt|document|passages?)\b|\bnew (?:instructions|task)\b|"
        r"\bnote to (?:the )?(?:ai|assistant|model|bot|llm)\b|\b(?:ai|assistant|model|bot|llm) reading this\b"
    ),
    "payload": (
        r"!\[[^\]]*\]\(|\]\(\s*(?:https?|ftp)://|\bmarkdown image\b|\bdo what it says\b|"
        r"\bdecode\b[^.?!]{0,40}\b[A-Za-z0-9+/]{16,}={0,2}"
    ),
}
_INJECTION = {name: re.compile(rx, re.IGNORECASE if name != "new role" else 0) for name, rx in _SHAPES.items()}
_NEW_ROLE_CI = re.compile(_SHAPES["new role"].replace(r"\bDAN\b|", ""), re.IGNORECASE)


def injection_signals(text: str) -> list[str]:
    """The kinds of instruction to the assistant found in `text` (empty for a plain question)."""
    found = [name for name, rx in _INJECTION.items() if name != "new role" and rx.search(text)]
    if _INJECTION["new role"].search(text) or _NEW_ROLE_CI.search(text):  # "DAN" only in capitals
        found.append("new role")
    return found


def looks_like_injection(text: str) -> bool:
    return bool(injection_signals(text))
