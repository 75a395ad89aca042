"""Deprecated alias: topics come from the corpus (`assistant.services.topics`, `Container.topics`).

The fixed phase list of one guide that lived here is gone: the app must work for any guide. This module
only re-exports the generic name matching for imports not yet moved to `assistant.services.topics`.
"""

from __future__ import annotations

from assistant.services.topics import markdown_headings, match_topic, topic_key

__all__ = ["markdown_headings", "match_topic", "topic_key"]
