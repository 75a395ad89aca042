"""Reading corpus documents and cutting them into structure-aware chunks.

Every chunk keeps its heading path, its source file and its exact character span in the document's
text, so a citation can show and highlight the passage. Markdown headings give the structure; plain
text is one section; a PDF is one section per page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.types import Chunk

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

SUFFIXES = (".md", ".markdown", ".txt", ".pdf")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
# Bullet- and sentence-aware separators: a split prefers list items, then lines, then sentences.
_MIN_CHUNK = 120
_SEPARATORS = ["\n\n", "\n- ", "\n", ". ", " ", ""]


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the corpus dir, with forward slashes
    title: str
    text: str
    # From an optional front-matter block ("---\nkind: glossary\n---"): "guide" unless the file says
    # otherwise. The team's glossary says "glossary", so citations can tell the reader where a fact is from.
    kind: str = "guide"
    body_start: int = 0  # where the text after the front matter begins


@dataclass(frozen=True)
class Problem:
    """A corpus file that was skipped, and why (shown to the user; the rest is still ingested)."""

    source: str
    reason: str


@dataclass(frozen=True)
class Section:
    path: str  # "A > B"
    start: int
    end: int


def discover(corpus_dir: Path) -> list[Path]:
    """Corpus files in a stable order; hidden files and unknown suffixes are ignored."""
    files = [
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(corpus_dir).as_posix())


def read_document(path: Path, corpus_dir: Path, *, max_bytes: int) -> Document:
    """Read one file into text. Raises ValueError with a reason a person understands."""
    source = path.relative_to(corpus_dir).as_posix()
    size = path.stat().st_size
    if size > max_bytes:
        msg = f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (ASSISTANT_MAX_FILE_MB)"
        raise ValueError(msg)
    text = _read_pdf(path) if path.suffix.lower() == ".pdf" else _read_text(path)
    if not text.strip():
        raise ValueError("file has no text")
    meta, body_start = front_matter(text)
    return Document(
        source=source, title=_title(text, path), text=text, kind=meta.get("kind", "guide"), body_start=body_start
    )


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """`key: value` lines of a leading `---` block, and the offset where the body starts."""
    m = _FRONT.match(text)
    if not m:
        return {}, 0
    meta = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, m.end()


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("file looks binary (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        msg = f"file is not valid UTF-8 (byte {e.start}); save it as UTF-8"
        raise ValueError(msg) from e
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as e:
        msg = f"PDF could not be parsed ({type(e).__name__}: {e})"
        raise ValueError(msg) from e
    # A form feed marks each page so sections() can cite "page N".
    return "\f".join(pages)


def _title(text: str, path: Path) -> str:
    m = re.search(r"^#[ \t]+(.+?)[ \t]*$", text, re.MULTILINE)
    return m.group(1) if m else path.stem.replace("-", " ").replace("_", " ")


def sections(doc: Document) -> list[Section]:
    """Leaf sections with the heading path above them; the first-level heading is the title."""
    if "\f" in doc.text or doc.source.lower().endswith(".pdf"):
        return _page_sections(doc.text)
    heads = [m for m in _HEADING.finditer(doc.text) if m.start() >= doc.body_start]
    if not heads:
        return [Section("", doc.body_start, len(doc.text))]
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    if heads[0].start() > doc.body_start and doc.text[doc.body_start : heads[0].start()].strip():
        out.append(Section("", doc.body_start, heads[0].start()))
    for i, m in enumerate(heads):
        level, name = len(m.group(1)), m.group(2).strip()
        stack = [(lvl, n) for lvl, n in stack if lvl < level] + [(level, name)]
        body_start = m.end() + 1 if m.end() < len(doc.text) else m.end()
        body_end = heads[i + 1].start() if i + 1 < len(heads) else len(doc.text)
        path = " > ".join(n for lvl, n in stack if lvl > 1)
        out.append(Section(path, body_start, body_end))
    return out


def _page_sections(text: str) -> list[Section]:
    out, start = [], 0
    for n, page in enumerate(text.split("\f"), start=1):
        out.append(Section(f"page {n}", start, start + len(page)))
        start += len(page) + 1
    return out


def chunk_document(doc: Document, *, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Split each section on list items, lines and sentences; spans index into doc.text."""
    # Imported here: langchain costs 0.3 s of every cold command, and only chunking needs it.
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=_SEPARATORS,
        keep_separator="start",
        strip_whitespace=False,
    )
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for sec in sections(doc):
        for start, end in _merge_small(_piece_spans(doc.text, sec, splitter, chunk_size), chunk_size):
            chunks.append(_make_chunk(doc, sec.path, doc.text[start:end], start, end, seen))
    return chunks


def _piece_spans(
    text: str, sec: Section, splitter: RecursiveCharacterTextSplitter, chunk_size: int
) -> list[tuple[int, int]]:
    body = text[sec.start : sec.end]
    spans, offset = [], 0
    for piece in splitter.split_text(body):
        at = body.find(piece, max(0, offset - chunk_size))
        at = body.find(piece) if at < 0 else at
        offset = at + len(piece)
        start, end = _strip_span(text, sec.start + at, sec.start + offset)
        if end > start:
            spans.append((start, end))
    return spans


def _merge_small(spans: list[tuple[int, int]], chunk_size: int) -> list[tuple[int, int]]:
    """A lead-in line ("A typical pipeline looks like this:") is too short to retrieve on its own:
    it joins the piece after it when the two still fit in 1.5 chunks."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        if end - start < _MIN_CHUNK and i + 1 < len(spans) and spans[i + 1][1] - start <= chunk_size * 1.5:
            end = spans[i + 1][1]
            i += 1
        out.append((start, end))
        i += 1
    return out


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _make_chunk(doc: Document, section: str, text: str, start: int, end: int, seen: dict[str, int]) -> Chunk:
    # Stable id: source path + content hash; a repeated passage in one file gets an occurrence number.
    digest = hashlib.sha256(f"{doc.source}\n{section}\n{text}".encode()).hexdigest()[:16]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    cid = f"{digest}-{n}" if n else digest
    return Chunk(id=cid, source=doc.source, section=section, text=text, start=start, end=end, title=doc.title)


def file_hash(doc: Document) -> str:
    return hashlib.sha256(doc.text.encode()).hexdigest()[:16]


def document_kinds(corpus_dir: Path) -> dict[str, str]:
    """source -> kind ("guide", or what a file's front matter says) without reading whole PDFs."""
    out = {}
    for path in discover(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            head = path.read_bytes()[:4096].decode("utf-8", "replace") if path.suffix.lower() != ".pdf" else ""
        except OSError:
            head = ""
        out[source] = front_matter(head.replace("\r\n", "\n"))[0].get("kind", "guide")
    return out


def load_corpus(corpus_dir: Path, *, max_bytes: int) -> tuple[list[Document], list[Problem]]:
    docs, problems = [], []
    for path in discover(corpus_dir):
        try:
            docs.append(read_document(path, corpus_dir, max_bytes=max_bytes))
        except (ValueError, OSError) as e:
            problems.append(Problem(path.relative_to(corpus_dir).as_posix(), str(e)))
    return docs, problems


def iter_chunks(docs: list[Document], *, chunk_size: int, chunk_overlap: int) -> Iterator[Chunk]:
    for doc in docs:
        yield from chunk_document(doc, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
