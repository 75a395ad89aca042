"""Reading eval data: the MCQs (any question file people write, read leniently) and the split folders.

An eval folder holds one folder per split: `dev/` (tune on it) and `test/` (never tune on it), each
with mcq.jsonl, open.jsonl, out_of_scope.jsonl, retrieval.jsonl and, optionally, claims.jsonl and
in_scope.jsonl (questions the corpus answers that sound like out-of-scope ones: more in-scope items for
the refusal suite).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputError
from assistant.services.exam.items import read_items

SPLITS: tuple[str, ...] = ("dev", "test")
SET_FILES: tuple[str, ...] = ("mcq", "retrieval", "open", "out_of_scope")  # every split has these
OPTIONAL_FILES: tuple[str, ...] = ("claims", "in_scope")


@dataclass(frozen=True)
class EvalItem:
    """A multiple-choice question to score. `phase` is the topic as the file gives it (None: not given)."""

    id: str
    question: str
    options: dict[str, str]
    answer: str  # "B", "B,D" for a multiple-response item, "C,A,B" (one per premise) for matching
    phase: str | None = None
    type: str = "single"
    premises: tuple[str, ...] = ()  # matching items: what each option is matched to
    scenario: str = ""  # case-study items: the shared scenario, pasted before the question

    def text(self) -> str:
        """The question as a user would paste it: the scenario (case studies), the stem, then one
        lettered option per line."""
        head = f"{self.scenario}\n" if self.scenario else ""
        return head + self.question + "\n" + "\n".join(f"{k}. {v}" for k, v in self.options.items())


@dataclass
class EvalSet:
    """One split's data, ready for `Evaluator.run_set`. A suite whose data is None is not run."""

    name: str
    mcq: list[EvalItem] | None = None
    retrieval: list[dict[str, Any]] | None = None
    open_rows: list[dict[str, Any]] | None = None
    out_of_scope: list[dict[str, Any]] | None = None
    claims: list[dict[str, Any]] | None = None
    in_scope: list[dict[str, Any]] | None = None  # extra in-scope questions for the refusal suite
    problems: list[str] = field(default_factory=list)  # items of the files that were skipped, and why

    def limited(self, limit: int | None) -> EvalSet:
        """The first `limit` rows of each set (a quick look)."""
        if not limit:
            return self
        cut = {a: None if (rows := getattr(self, a)) is None else rows[:limit] for a in _ATTRS.values()}
        return EvalSet(self.name, problems=list(self.problems), **cut)


_ATTRS = {
    "mcq": "mcq",
    "retrieval": "retrieval",
    "open": "open_rows",
    "out_of_scope": "out_of_scope",
    "claims": "claims",
    "in_scope": "in_scope",
}


def load_questions(path: str | Path, *, strict: bool = False) -> tuple[list[EvalItem], list[str]]:
    """MCQs of a JSONL file or an exported `{"items": [...]}` exam, and the problems of skipped items.

    Read as people write them (see `exam.items.read_items`): `phase` optional and free text, kept as
    given; "(Select TWO.)" or no wording for two keys; answers as "B", "B,D" or a list; options as a
    mapping or a list; other fields ignored. strict: raise InputError at the first wrong item.
    """
    loaded = read_items(path, strict=strict)
    items = []
    for e in loaded.entries:
        given = e.raw.get("phase")
        phase = given.strip() if isinstance(given, str) and given.strip() else None
        i = e.item
        items.append(
            EvalItem(i.id, i.question, dict(i.options), i.answer, phase, i.type, tuple(i.premises), i.scenario)
        )
    return items, loaded.problems


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; InputError naming the line of a row that is not a JSON object."""
    rows = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            msg = f"{path}, line {lineno}: not valid JSON ({e.msg}). Each line must be one JSON object."
            raise InputError(msg) from e
        if not isinstance(row, dict):
            msg = f"{path}, line {lineno}: not a JSON object."
            raise InputError(msg)
        rows.append(row)
    return rows


def split_files(evals_dir: Path, split: str) -> dict[str, Path]:
    """name -> path of a split's files, the optional ones only when they exist."""
    folder = evals_dir / split
    files = {name: folder / f"{name}.jsonl" for name in SET_FILES}
    files.update({n: folder / f"{n}.jsonl" for n in OPTIONAL_FILES if (folder / f"{n}.jsonl").exists()})
    return files


def load_split(evals_dir: str | Path, split: str, *, suite: str = "all", strict: bool = False) -> EvalSet:
    """The data of `evals_dir/<split>/`. suite "mcq": the MCQs only. A missing or empty file is an
    InputError: a split that silently lost a set would report a number nobody measured."""
    files = split_files(Path(evals_dir), split)
    if suite == "mcq":
        files = {"mcq": files["mcq"]}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        msg = (
            f"Eval data not found: {', '.join(missing)}. Run from the project checkout (or set "
            f"ASSISTANT_EVALS_DIR to the evals folder), or pass --questions FILE.jsonl."
        )
        raise InputError(msg)
    empty = [str(p) for p in files.values() if not p.read_text(encoding="utf-8").strip()]
    if empty:
        msg = f"Eval data is empty: {', '.join(empty)}. Each split needs every set; restore the file from git."
        raise InputError(msg)
    out = EvalSet(split)
    for name, path in files.items():
        if name == "mcq":
            out.mcq, out.problems = load_questions(path, strict=strict)
        else:
            setattr(out, _ATTRS[name], read_jsonl(path))
    return out


def questions_set(path: Path, *, strict: bool = False) -> EvalSet:
    """An EvalSet of one question file (`assistant eval --questions`), named after the file."""
    items, problems = load_questions(path, strict=strict)
    return EvalSet(path.stem, mcq=items, problems=problems)
