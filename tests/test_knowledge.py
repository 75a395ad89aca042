"""The knowledge layer on a small guide and glossary written for these tests (not the real corpus), so
nothing here depends on one guide's headings or services."""

from __future__ import annotations

from pathlib import Path

from assistant.knowledge.blocks import parse, split_arrow, split_list
from assistant.knowledge.build import build_knowledge
from assistant.knowledge.service import KnowledgeBase
from assistant.services.corpus import Document, front_matter
from tests.fakes import bag_of_words_encoder

GUIDE = """# Data Pipelines Primer

## The Stages

The stages are:

### 1. Ingest Data

- Pull records from files and streams
- AWS services: Amazon Kinesis, AWS Glue

### 2. Shape Data

- Clean the records and build features
- AWS services: AWS Glue DataBrew

### 3. Serve Results

- Answer requests with low latency
- AWS services: Amazon SageMaker Endpoints

## Steps in Practice

1. Landing: raw files land in Amazon S3
2. Cleaning: AWS Glue jobs clean the files
3. Serving: an endpoint answers requests

## Scenarios

- A question about streaming click events → Answer: Amazon Kinesis
- Map services: S3 for storage, Glue for ETL, Kinesis for streams.

## Concepts

- Drift: the data a model sees changes over time.
"""

GLOSSARY = """---
kind: glossary
title: Test glossary
---
# Test glossary

## Amazon Kinesis
- Kind: AWS service
- Also called: Kinesis; Kinesis Data Streams
- What it is: A managed service for streaming data.
- Use when: a stream of click events must be captured; sensor readings arrive every second
- Not for: running SQL on files (Athena)
- Confused with: AWS Glue — Glue runs batch ETL jobs
- Lifecycle: 1. Ingest Data
- Source: https://docs.aws.amazon.com/kinesis/

## AWS Glue DataBrew
- Kind: AWS service
- Also called: DataBrew; Glue DataBrew
- What it is: A visual data preparation tool.
- Use when: analysts clean data without code
- Lifecycle: 2. Shape Data
"""


def _docs() -> list[Document]:
    meta, body = front_matter(GLOSSARY)
    return [
        Document("primer.md", "Data Pipelines Primer", GUIDE),
        Document("glossary.md", "Test glossary", GLOSSARY, kind=meta["kind"], body_start=body),
    ]


fake_encode = bag_of_words_encoder(64, ".,:;")


def test_front_matter_marks_a_glossary_and_its_body():
    meta, body = front_matter(GLOSSARY)
    assert meta == {"kind": "glossary", "title": "Test glossary"}
    assert GLOSSARY[body:].startswith("# Test glossary")
    assert front_matter(GUIDE) == ({}, 0)


def test_blocks_keep_spans_labels_and_numbers():
    doc = parse(_docs()[0])
    for b in doc.blocks:
        assert GUIDE[b.start : b.end] == b.text
    services = [b for b in doc.blocks if b.label == "AWS services"]
    assert [b.leaf for b in services] == ["1. Ingest Data", "2. Shape Data", "3. Serve Results"]
    steps = [b for b in doc.blocks if b.kind == "step"]
    assert [b.number for b in steps] == [1, 2, 3] and steps[0].label == "Landing"


def test_arrow_and_list_splitting():
    assert split_arrow("A question about X → Answer: Amazon Kinesis") == ("A question about X", "Amazon Kinesis")
    assert split_arrow("no arrow here") is None
    assert split_list("A, B (x, y), and C") == ["A", "B (x, y)", "C"]
    assert split_list("one, two; three", ";") == ["one, two", "three"]


def test_entities_sequences_and_mappings_come_from_the_documents():
    kb, _ = build_knowledge(_docs())
    assert {"ingest-data", "shape-data", "serve-results"} <= set(kb.entities)
    assert kb.entities["amazon-kinesis"].origin == "glossary"
    assert kb.entities["amazon-kinesis"].fields["use"][0].startswith("a stream of click events")
    assert "1. Ingest Data" in kb.entities["amazon-kinesis"].sections
    stages = next(q for q in kb.sequences if q.title == "The Stages")
    assert [s["entities"] for s in stages.steps] == [["ingest-data"], ["shape-data"], ["serve-results"]]
    practice = next(q for q in kb.sequences if q.title == "Steps in Practice")
    assert len(practice.steps) == 3
    mapping = next(s for s in kb.statements if s.role == "mapping")
    assert mapping.answer == ["amazon-kinesis"] and "streaming click events" in mapping.cue
    # Glossary statements are citable: their spans point at their text in the glossary file.
    for s in kb.statements:
        source = GLOSSARY if s.source == "glossary.md" else GUIDE
        assert source[s.start : s.end] == s.text, s


def test_linker_prefers_the_longest_name_and_ignores_extra_words():
    _, linker = build_knowledge(_docs())
    assert linker.ids("AWS Glue DataBrew visual recipes") == ["aws-glue-databrew"]
    assert linker.ids("Amazon Kinesis Data Streams with enhanced fan-out") == ["amazon-kinesis"]
    assert linker.ids("kinesis") == ["amazon-kinesis"]  # case and plural do not matter
    ids, share = linker.coverage("AWS Glue")
    assert ids == ["aws-glue"] and share == 1.0


def test_a_line_about_several_services_is_split_into_clauses():
    kb, _ = build_knowledge(_docs())
    line = next(s for s in kb.statements if s.text.startswith("Map services"))
    assert line.split
    clauses = [s.text for s in kb.statements if s.role == "clause" and s.start > line.start and s.end <= line.end]
    assert clauses == ["S3 for storage", "Glue for ETL", "Kinesis for streams"]


def test_knowledge_is_cached_and_rebuilt_when_a_document_changes(tmp_path: Path):
    calls = []

    def encode(texts):
        calls.append(len(texts))
        return fake_encode(texts)

    a = KnowledgeBase.load_or_build(_docs(), encode, tmp_path, "fake")
    b = KnowledgeBase.load_or_build(_docs(), encode, tmp_path, "fake")
    assert len(calls) == 1 and len(b.kb.statements) == len(a.kb.statements)
    changed = [Document("primer.md", "Data Pipelines Primer", GUIDE + "\n- Extra: one more line\n"), _docs()[1]]
    KnowledgeBase.load_or_build(changed, encode, tmp_path, "fake")
    assert len(calls) == 2
