"""Unit tests for reading and chunking documents (offline, no models)."""

from __future__ import annotations

from pathlib import Path

from assistant.services.corpus import Document, chunk_document, load_corpus, sections

REPO = Path(__file__).resolve().parent.parent
ORIGINAL_GUIDE = Path(__file__).resolve().parent / "data" / "ml-development-lifecycle-and-pipeline.txt"


def _chunks(text: str, source: str = "doc.md", size: int = 600):
    return chunk_document(Document(source, "T", text), chunk_size=size, chunk_overlap=80)


def test_guide_words_are_the_original_guide_words():
    """The Markdown corpus only adds heading marks: its words are the original guide's, in order.
    The original plain text is committed under tests/data/ so a clone needs nothing beside it."""
    md = (REPO / "corpus" / "ml-development-lifecycle-and-pipeline.md").read_text(encoding="utf-8")
    stripped = [w for line in md.splitlines() for w in line.lstrip("#").split()]
    assert stripped == ORIGINAL_GUIDE.read_text(encoding="utf-8").split()


def test_guide_structure_is_explicit():
    md = (REPO / "corpus" / "ml-development-lifecycle-and-pipeline.md").read_text(encoding="utf-8")
    heads = [line for line in md.splitlines() if line.startswith("#")]
    assert sum(1 for h in heads if h.startswith("### ") and h[4].isdigit()) == 7  # the seven phases
    assert sum(1 for h in heads if h.startswith("### Tip ")) == 10
    assert "## Common Exam Scenarios" in heads
    steps = [line for line in md.splitlines() if line[:2] in {f"{i}." for i in range(1, 10)} and ":" in line]
    assert len(steps) == 9  # the nine pipeline steps, an ordered list


def test_spans_point_at_the_exact_text_and_keep_the_heading_path():
    docs, problems = load_corpus(REPO / "corpus", max_bytes=10_000_000)
    assert not problems
    guide = next(d for d in docs if d.source == "ml-development-lifecycle-and-pipeline.md")
    chunks = _chunks(guide.text, guide.source)
    assert len(chunks) > 20
    for c in chunks:
        assert guide.text[c.start : c.end] == c.text
    training = [c for c in chunks if c.section.endswith("4. Model Training")]
    assert training and "Amazon SageMaker Autopilot" in training[0].text
    assert training[0].section == "What Is the ML Development Lifecycle? > 4. Model Training"


def test_ids_are_stable_and_depend_on_content_and_source():
    text = "# T\n\n## A\n\nalpha beta gamma\n\n## B\n\ndelta epsilon\n"
    a1, a2 = _chunks(text), _chunks(text)
    assert [c.id for c in a1] == [c.id for c in a2]
    assert [c.id for c in _chunks(text, source="other.md")] != [c.id for c in a1]
    changed = _chunks(text.replace("delta", "DELTA"))
    assert changed[0].id == a1[0].id and changed[1].id != a1[1].id


def test_repeated_passages_get_distinct_ids():
    text = "## A\n\nsame words here\n\n## A\n\nsame words here\n"
    ids = [c.id for c in _chunks(text)]
    assert len(ids) == len(set(ids)) == 2


def test_long_sections_split_within_size_and_plain_text_has_no_sections():
    body = "\n".join(f"- item number {i} says something about data quality" for i in range(60))
    chunks = _chunks("## Big\n\n" + body, size=300)
    assert len(chunks) > 5 and all(len(c.text) <= 450 for c in chunks)
    assert sections(Document("x.txt", "x", "no headings here"))[0].path == ""


def test_bad_files_are_reported_and_the_rest_read(tmp_path: Path):
    (tmp_path / "good.md").write_text("# Good\n\nsome text", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    (tmp_path / "ignored.docx").write_bytes(b"x")
    docs, problems = load_corpus(tmp_path, max_bytes=1_000_000)
    assert [d.source for d in docs] == ["good.md"]
    reasons = {p.source: p.reason for p in problems}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin1.md", "broken.pdf"}
    assert "binary" in reasons["binary.txt"] and "UTF-8" in reasons["latin1.md"] and "PDF" in reasons["broken.pdf"]


def test_oversized_file_is_skipped(tmp_path: Path):
    (tmp_path / "big.txt").write_text("x" * 5000, encoding="utf-8")
    docs, problems = load_corpus(tmp_path, max_bytes=1000)
    assert not docs and "limit" in problems[0].reason


def test_pdf_pages_become_sections(tmp_path: Path):
    from pypdf import PdfWriter
    from pypdf.generic import RectangleObject

    w = PdfWriter()
    w.add_blank_page(width=200, height=200)
    w.pages[0].mediabox = RectangleObject([0, 0, 200, 200])
    path = tmp_path / "blank.pdf"
    with path.open("wb") as f:
        w.write(f)
    docs, problems = load_corpus(tmp_path, max_bytes=1_000_000)
    # A PDF with no extractable text is reported by name, not crashed on.
    assert not docs and problems[0].source == "blank.pdf" and "no text" in problems[0].reason
