"""Topics come from the corpus: one rule, checked on the real guide and on guides of other shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.services.corpus import load_corpus, read_document, sections
from assistant.services.topics import (
    corpus_topics,
    document_topics,
    known_phase,
    match_topic,
    normalize_phase,
    strip_numbering,
    topic_key,
    topic_of,
)
from tests.conftest import REPO

NUMBERED = """# Generative AI Security – Study Notes

## Overview

Short intro.

## The security lifecycle

The stages are:

### Stage 1: Threat Modeling

- Identify assets

### Stage 2: Access Control

- Least privilege with IAM

### Stage 3: Data Protection

- Encrypt with KMS

## Exam Tips

### Tip 1: Read the question

Look for keywords.

### Tip 2: Eliminate

Remove wrong answers.
"""

UNNUMBERED = """---
title: Prompt engineering
---
# Prompt engineering

## Zero-shot prompting

Ask without examples.
Works for simple tasks.

## Few-shot prompting

Give two or three examples.
The model copies their format.

## See also

Links.

```bash
# not a heading
echo hi
```
"""

FLAT = """Responsible AI notes

Fairness means similar people get similar outcomes.
Explainability means a person can see why a model decided.
"""


def _doc(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_document(path, tmp_path, max_bytes=10**6)


@pytest.fixture(scope="module")
def guide_docs():
    docs, problems = load_corpus(REPO / "corpus", max_bytes=10**7)
    assert not problems
    return docs


def test_the_guide_gives_its_numbered_phases_and_its_substantive_sections(guide_docs) -> None:
    topics = corpus_topics(guide_docs)
    guide = next(d for d in guide_docs if d.kind == "guide")
    text = guide.text
    numbered = [h[4:].split(". ", 1)[1] for h in text.splitlines() if h.startswith("### ") and h[4].isdigit()]
    assert len(numbered) == 7
    # the numbered headings, in order and without their numbers, are topics in the place of their parent
    at = topics.index(numbered[0])
    assert topics[at : at + 7] == numbered
    assert not any(t[0].isdigit() for t in topics)
    # the ten "Tip N:" headings fold into their section, which is one topic
    assert not any(t.startswith("Tip ") for t in topics)
    tips = [t for t in topics if t.startswith("Exam Tips")]
    assert len(tips) == 1
    # the pipeline sections are topics; the one-paragraph intro that repeats the title is not
    assert "What Is an ML Pipeline?" in topics and "How the ML Pipeline Works in Practice" in topics
    assert "ML Development Lifecycle and Pipeline" not in topics
    # the glossaries' entries are not topics
    assert "Amazon Athena" not in topics
    assert len(topics) == len(set(topics)) <= 15


def test_every_guide_section_with_content_maps_to_a_topic_or_is_an_intro(guide_docs) -> None:
    topics = corpus_topics(guide_docs)
    guide = next(d for d in guide_docs if d.kind == "guide")
    paths = [s.path for s in sections(guide)]
    mapped = {p: topic_of(p, topics, title=guide.title) for p in paths}
    assert mapped["What Is the ML Development Lifecycle? > 4. Model Training"] == "Model Training"
    tip = next(p for p in paths if "Tip 3" in p)
    assert mapped[tip] == next(t for t in topics if t.startswith("Exam Tips"))
    # every topic has at least one section of the guide
    assert set(topics) <= set(mapped.values())
    unmapped = [p for p, t in mapped.items() if t is None]
    assert len(unmapped) <= 3  # the text above the first heading, the title restatement, the phases' lead-in


def test_a_guide_with_labelled_stages_and_tips(tmp_path) -> None:
    doc = _doc(tmp_path, "security.md", NUMBERED)
    assert document_topics(doc) == ["Threat Modeling", "Access Control", "Data Protection", "Exam Tips"]
    topics = document_topics(doc)
    assert topic_of("The security lifecycle > Stage 2: Access Control", topics) == "Access Control"
    assert topic_of("Exam Tips > Tip 2: Eliminate", topics) == "Exam Tips"
    assert topic_of("Overview", topics) is None  # one short line: an intro, not a topic


def test_a_guide_without_numbers_gives_its_substantive_sections(tmp_path) -> None:
    doc = _doc(tmp_path, "prompting.md", UNNUMBERED)
    # "See also" has two content lines only because of its code block; the fenced '# not a heading' is not a heading
    assert document_topics(doc) == ["Zero-shot prompting", "Few-shot prompting", "See also"]


def test_a_plain_text_file_is_one_topic_named_by_its_file(tmp_path) -> None:
    doc = _doc(tmp_path, "responsible_ai-notes.txt", FLAT)
    assert document_topics(doc) == ["responsible ai notes"]
    assert topic_of("", document_topics(doc), title=doc.title) == "responsible ai notes"


def test_corpus_topics_skip_glossaries_and_keep_document_order(tmp_path) -> None:
    (tmp_path / "a.md").write_text(UNNUMBERED, encoding="utf-8")
    (tmp_path / "b.md").write_text(NUMBERED, encoding="utf-8")
    (tmp_path / "c.md").write_text("---\nkind: glossary\n---\n# Terms\n\n## Amazon Bedrock\n- a\n- b\n")
    docs, _ = load_corpus(tmp_path, max_bytes=10**6)
    assert corpus_topics(docs) == [
        "Zero-shot prompting",
        "Few-shot prompting",
        "See also",
        "Threat Modeling",
        "Access Control",
        "Data Protection",
        "Exam Tips",
    ]


def test_names_map_onto_a_topic_list() -> None:
    topics = ["Model Training", "Model Evaluation", "Model Deployment", "Data Collection", "Data Preparation"]
    assert match_topic("model_training", topics) == "Model Training"
    assert match_topic("4. Model Training", topics) == "Model Training"
    assert match_topic("model", topics) is None  # three topics say it: ambiguous
    assert known_phase("eval", topics) == "Model Evaluation"
    assert known_phase("data", topics) is None
    assert known_phase("astrology", topics) is None
    assert normalize_phase("deploy", topics) == "Model Deployment"
    with pytest.raises(ValueError, match="Known phases: Model Training; Model Evaluation"):
        normalize_phase("astrology", topics)
    with pytest.raises(ValueError, match="no study guide"):
        normalize_phase("training", [])


def test_numbering_is_stripped_only_from_sequence_headings() -> None:
    assert strip_numbering("4. Model Training") == "Model Training"
    assert strip_numbering("Phase 2: Data") == "Data"
    assert strip_numbering("1.2 Sub topic") == "Sub topic"
    assert strip_numbering("Tip 3: Understand") == "Tip 3: Understand"
    assert strip_numbering("2023 updates") == "2023 updates"
    assert topic_key("Phase 6: model-deployment") == topic_key("6. Model Deployment") == "model deployment"
