"""The chat tab's example questions and placeholder, from prompts/ui_examples.toml and the loaded corpus.

Examples written for a guide are shown when that guide is loaded; any other corpus gets examples built
from its topics, so the examples never ask about a guide that is not there.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.services.topics import topic_key

FILE = "ui_examples.toml"


@dataclass(frozen=True)
class ChatExamples:
    questions: list[str]
    placeholder: str


def load_examples(prompts_dir: Path, guide_titles: Sequence[str], topics: Sequence[str]) -> ChatExamples:
    """The examples for a corpus whose study guides have `guide_titles` and `topics`."""
    data = _read(prompts_dir / FILE)
    generic = data.get("generic", {})
    templates, limit = generic.get("topic", []), int(generic.get("max", 5))
    wanted = {topic_key(t) for t in guide_titles}
    written = [q for g in data.get("guide", []) if topic_key(g.get("title", "")) in wanted for q in g["questions"]]
    questions = written or _from_topics(topics, templates, limit)
    guides = "; ".join(guide_titles) or "the documents in the corpus"
    return ChatExamples(questions, generic.get("placeholder", "").format(guides=guides))


def _from_topics(topics: Sequence[str], templates: Sequence[str], limit: int) -> list[str]:
    """Up to `limit` questions on topics spread over the corpus: a topic that is a question as written."""
    if not topics or limit <= 0:
        return []
    step = max(1, len(topics) // limit)
    picked = list(topics)[::step][:limit]
    out = []
    for i, topic in enumerate(picked):
        if topic.rstrip().endswith("?") or not templates:
            out.append(topic.strip())
        else:
            out.append(templates[i % len(templates)].format(topic=topic))
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        msg = f"The chat examples could not be read from {path}: {e}. Restore {FILE} from the repository."
        raise ConfigError(msg) from e
    guides = data.get("guide", [])
    if not isinstance(guides, list) or any(not isinstance(g.get("questions"), list) for g in guides):
        msg = f"{path}: every [[guide]] needs a title and a list of questions."
        raise ConfigError(msg)
    return data
