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


def test_several_top_headings_are_the_topics_and_a_table_of_contents_is_not_one(tmp_path) -> None:
    text = (
        "# Part A\n\n## Contents\n- [One](#one)\n- [Two](#two)\n\n## One\nx\ny\n\n"
        "# Part B\n\nFirst line.\nSecond line.\n"
    )
    doc = _doc(tmp_path, "parts.md", text)
    assert document_topics(doc) == ["Part A", "Part B"]  # the first H1 is not a title over the others
    toc = _doc(tmp_path, "toc.md", "# Guide\n\n## Contents\n- [One](#one)\n- [Two](#two)\n\n## One\nx\ny\n")
    assert document_topics(toc) == ["One"]


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


# -- the edges: CLI and UI list the loaded corpus's topics -----------------------------------------
SECOND_GUIDE = """# Responsible AI on AWS

## Fairness and bias

- Bias can enter through data collection and labeling.
- Amazon SageMaker Clarify measures bias before and after training.

## Explainability

- SHAP values show how much each feature moved a prediction.
- SageMaker Clarify reports feature attributions.

## What Is Human Review?

- Amazon Augmented AI (A2I) routes low-confidence predictions to people.
- Reviewers check outputs before they reach customers.
"""
SECOND_TOPICS = ["Fairness and bias", "Explainability", "What Is Human Review?"]


@pytest.fixture
def second_corpus(tmp_path):
    """A container over a corpus folder holding one short guide on another AIF-C01 topic (no index, no model)."""
    from assistant.container import Container
    from tests.conftest import make_settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "responsible-ai.md").write_text(SECOND_GUIDE, encoding="utf-8")
    return Container(make_settings(tmp_path, corpus_dir=corpus))


def test_container_topics_come_from_its_corpus(second_corpus) -> None:
    assert second_corpus.topics == SECOND_TOPICS


def test_exam_cli_lists_and_checks_the_corpus_topics(second_corpus) -> None:
    from click.testing import CliRunner

    from assistant.cli import cli

    shown = CliRunner().invoke(cli, ["exam", "--help"], obj=second_corpus)
    assert shown.exit_code == 0, shown.output
    assert "Topics of this corpus: Fairness and bias; Explainability; What Is Human" in " ".join(shown.output.split())
    assert "Model Training" not in shown.output
    bad = CliRunner().invoke(cli, ["exam", "--phase", "model training"], obj=second_corpus)
    assert bad.exit_code == 2 and "Unknown phase 'model training'" in bad.output
    assert "Fairness and bias; Explainability" in " ".join(bad.output.split())
    assert not second_corpus.settings.chroma_path.exists()  # refused before any ingest


def test_ui_phase_filter_and_chat_examples_follow_the_corpus(second_corpus) -> None:
    import gradio as gr

    from assistant.ui.app import build_app

    demo = build_app(second_corpus)
    [phases] = [b for b in demo.blocks.values() if isinstance(b, gr.Dropdown) and b.label == "Phases"]
    assert [value for _, value in phases.choices] == SECOND_TOPICS
    [examples] = [b for b in demo.blocks.values() if isinstance(b, gr.Dataset)]
    asked = [row[0] for row in examples.samples]
    assert asked[-1] == "What Is Human Review?" and "Fairness and bias" in asked[0]
    [chat] = [b for b in demo.blocks.values() if isinstance(b, gr.Chatbot)]
    assert "Responsible AI on AWS" in chat.placeholder


def test_the_guide_gets_the_examples_written_for_it(guide_docs) -> None:
    from assistant.settings import Settings
    from assistant.ui.examples import load_examples

    prompts = Settings(_env_file=None).prompts_dir
    guides = [d.title for d in guide_docs if d.kind != "glossary"]
    written = load_examples(prompts, guides, corpus_topics(guide_docs))
    assert len(written.questions) == 5 and any("\nA. " in q for q in written.questions)  # one pasted MCQ
    other = load_examples(prompts, ["Another guide"], ["Topic one", "Is this a question?"])
    assert other.questions == ["What does the guide say about Topic one?", "Is this a question?"]
    assert "Another guide" in other.placeholder
    assert load_examples(prompts, [], []).questions == []


def test_a_broken_examples_file_is_a_clear_error(tmp_path) -> None:
    from assistant.errors import ConfigError
    from assistant.ui.examples import load_examples

    with pytest.raises(ConfigError, match=r"Restore ui_examples\.toml"):
        load_examples(tmp_path, [], [])
    (tmp_path / "ui_examples.toml").write_text('[[guide]]\ntitle = "x"\n')
    with pytest.raises(ConfigError, match="list of questions"):
        load_examples(tmp_path, [], [])
