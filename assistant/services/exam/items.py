"""The practice-exam item: one pydantic model, its content hash, and loading items from files.

An item is plain JSON so the generator, the bank, the evals and the exporters all share one shape:
`{"id","type","question","options":{"A":..},"answer":"B" | "B,D" | "C,A,D,B","explanations",
"citations":[{"id","section","quote"}],"phase","difficulty"}`, and optionally (see the schema contract)
`"premises": [...]` (type "matching": answer = the option letter of premise 1, 2, ...),
`"case": {"id","scenario"}` (items sharing a case id form one case study) and `"family"`."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from assistant.errors import InputError

# The rules live in item_rules; callers import them from here, with the model (redundant aliases re-export).
from assistant.services.exam.item_rules import CHOOSE_TWO as CHOOSE_TWO
from assistant.services.exam.item_rules import KEY_COUNTS as KEY_COUNTS
from assistant.services.exam.item_rules import LETTERS as LETTERS
from assistant.services.exam.item_rules import OPTION_COUNTS as OPTION_COUNTS
from assistant.services.exam.item_rules import ORDERED_TYPES as ORDERED_TYPES
from assistant.services.exam.item_rules import announced_keys as announced_keys
from assistant.services.exam.item_rules import case_id as case_id
from assistant.services.exam.item_rules import count_problem as count_problem
from assistant.services.exam.item_rules import item_id as item_id
from assistant.services.exam.item_rules import normalize_text as normalize_text
from assistant.services.exam.item_rules import split_answer as split_answer
from assistant.services.topics import strip_numbering

ItemType = Literal["single", "multi", "ordering", "matching"]
Difficulty = Literal["easy", "medium", "hard"]


class Citation(BaseModel):
    """A verbatim quote from a retrieved chunk that supports the key."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, description="Chunk id of the cited passage.")
    section: str = Field("", description="Heading path of the cited passage.")
    quote: str = Field(min_length=1, description="Verbatim span of the passage.")


def _texts(value: Any) -> list[str] | None:
    """The texts of a list or a mapping of texts, or None when it is not made of texts only."""
    texts = list(value.values()) if isinstance(value, Mapping) else value
    return texts if isinstance(texts, list) and all(isinstance(t, str) for t in texts) else None


def _content_id(data: Mapping[str, Any], options: Any) -> str | None:
    """The content hash of a raw item (stem, options, premises, case scenario), or None when malformed."""
    texts, premises = _texts(options), _texts(data.get("premises") or [])
    case = data.get("case")
    scenario = case.get("scenario") if isinstance(case, Mapping) else case.scenario if isinstance(case, Case) else ""
    if not isinstance(data.get("question"), str) or texts is None or premises is None or not isinstance(scenario, str):
        return None
    return item_id(data["question"], texts, scenario=scenario, premises=premises)


class Case(BaseModel):
    """The shared scenario of a case study; items with the same case id are asked together."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, description='"case-" + 12 hex of the scenario; filled in when missing.')
    scenario: str = Field(min_length=1, description="The situation every question of the case refers to.")

    @model_validator(mode="before")
    @classmethod
    def _fill_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("id") and isinstance(data.get("scenario"), str):
            data = {**data, "id": case_id(data["scenario"])}
        return data


class ExamItem(BaseModel):
    """One practice question. Construct with `ExamItem.from_json(d)`; a missing `id` is the content hash."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    type: ItemType = "single"
    question: str = Field(min_length=1)
    options: dict[str, str]
    answer: str = Field(
        description='"B" (single), "B,D" (multi, sorted), "C,A,D,B" (ordering, in order) or "C,A,B" '
        "(matching: the option letter of premise 1, 2, 3)."
    )
    premises: list[str] = Field(default_factory=list, description="Matching items only: what each option matches.")
    case: Case | None = Field(None, description="The case study this item belongs to, if any.")
    family: str = Field("", description='Item family, e.g. "service", "next_step", "remedy", "matching".')
    explanations: dict[str, str] = Field(default_factory=dict)
    citations: list[Citation] = Field(default_factory=list)
    phase: str = Field(
        "", description="Topic: as given, without a sequence number ('4. Topic' -> 'Topic'); see services.topics."
    )
    difficulty: Difficulty = "medium"
    gold_sections: list[str] = Field(default_factory=list, description="Eval items only: sections that answer it.")

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        options = data.get("options")
        if isinstance(options, list):  # eval files may list options; letters follow the list order
            data["options"] = options = dict(zip(LETTERS, options, strict=False))
        answer = data.get("answer")
        if isinstance(answer, Mapping) and all(str(k).strip().isdigit() for k in answer):
            # matching, written as {"1": "C", "2": "A", ...}: the letters in premise order
            answer = data["answer"] = [answer[k] for k in sorted(answer, key=lambda k: int(str(k)))]
        if isinstance(answer, str) or (isinstance(answer, Sequence) and answer):
            keys = split_answer(answer)
            if not data.get("type"):
                data["type"] = "matching" if data.get("premises") else "multi" if len(keys) > 1 else "single"
            # canonical form: "B,D" sorted for single/multi, the given order for ordering/matching items
            data["answer"] = ",".join(keys if data["type"] in ORDERED_TYPES else sorted(keys))
        content = _content_id(data, options)
        if not data.get("id") and content:
            data["id"] = content
        return data

    @field_validator("phase", mode="before")
    @classmethod
    def _canonical_phase(cls, value: Any) -> Any:
        if value is None:
            return ""
        return strip_numbering(value) if isinstance(value, str) else value

    @field_validator("options")
    @classmethod
    def _letters_from_a(cls, options: dict[str, str]) -> dict[str, str]:
        letters = sorted(k.strip().upper() for k in options)
        if letters != list(LETTERS[: len(options)]):
            raise PydanticCustomError(
                "option_letters", "option letters must run A, B, C, ... without gaps: {got}", {"got": ",".join(options)}
            )
        cleaned = {k.strip().upper(): v.strip() for k, v in options.items()}
        if any(not v for v in cleaned.values()):
            raise PydanticCustomError("empty_option", "every option needs text")
        return dict(sorted(cleaned.items()))

    @field_validator("premises")
    @classmethod
    def _premise_texts(cls, premises: list[str]) -> list[str]:
        if any(not p for p in premises):
            raise PydanticCustomError("premises", "every premise needs text")
        return premises

    @field_validator("explanations")
    @classmethod
    def _explanation_letters(cls, explanations: dict[str, str]) -> dict[str, str]:
        return {k.strip().upper(): v for k, v in sorted(explanations.items()) if v}

    @model_validator(mode="after")
    def _answer_fits(self) -> ExamItem:
        keys = split_answer(self.answer)
        unknown = [k for k in keys if k not in self.options]
        if not keys or unknown:
            raise PydanticCustomError(
                "answer_not_in_options",
                "answer {keys} is not among the options {letters}",
                {"keys": ",".join(unknown) or repr(self.answer), "letters": ", ".join(self.options)},
            )
        if self.premises and self.type != "matching":
            raise PydanticCustomError(
                "premises", "only a matching item has premises, not a {type} item", {"type": self.type}
            )
        if self.type == "matching" and not self.premises:
            raise PydanticCustomError("premises", 'a matching item lists its premises ("premises": ["...", ...])')
        premises = self.premises if self.type == "matching" else None
        problem = count_problem(self.type, self.question, self.options, keys, strict=False, premises=premises)
        if problem:
            raise PydanticCustomError("key_count", problem)
        stray = sorted(set(self.explanations) - set(self.options))
        if stray:
            raise PydanticCustomError(
                "explanation_letters", "explanations for missing options: {stray}", {"stray": ",".join(stray)}
            )
        return self

    @property
    def keys(self) -> list[str]:
        """The answer letters (in order for ordering items; per premise for matching items)."""
        return self.answer.split(",")

    @property
    def distractors(self) -> list[str]:
        """Letters of the wrong options (none for ordering and matching items)."""
        return [] if self.ordered else [k for k in self.options if k not in self.keys]

    @property
    def ordered(self) -> bool:
        """The answer is a sequence (ordering steps, matching pairs), graded in order."""
        return self.type in ORDERED_TYPES

    @property
    def scenario(self) -> str:
        """The case study's scenario, or "" for a stand-alone item."""
        return self.case.scenario if self.case else ""

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Matching items: (premise, the letter of its option), in premise order; [] for other types."""
        return list(zip(self.premises, self.keys, strict=True)) if self.type == "matching" else []

    def content_id(self) -> str:
        return item_id(self.question, self.options, scenario=self.scenario, premises=self.premises)

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for optional in ("gold_sections", "premises", "case", "family"):  # absent, as in files written before them
            if not data[optional]:
                del data[optional]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> ExamItem:
        """Validate a dict (or a JSON string). Raises pydantic.ValidationError; error types name the rule."""
        if isinstance(data, str):
            return cls.model_validate_json(data)
        return cls.model_validate(data)


def validation_codes(err: ValidationError) -> list[str]:
    """Short reason codes for a failed validation: our custom rules by name, anything else as "schema"."""
    custom = {"option_letters", "empty_option", "answer_not_in_options", "key_count", "explanation_letters", "premises"}
    codes = [e["type"] if e["type"] in custom else "schema" for e in err.errors()]
    return list(dict.fromkeys(codes))


_FIELD_HELP = {
    "question": 'no question (give "question": "...")',
    "options": 'no options (give "options" as {"A": "...", "B": "..."} or as a list of texts)',
    "answer": 'no answer (give "answer": "B", "B,D" or ["B", "D"])',
}


def _describe(err: ValidationError) -> str:
    """The first problems of a failed item in words: which field, what is wrong with it."""
    parts = []
    for e in err.errors()[:3]:
        where = ".".join(str(p) for p in e["loc"])
        if e["type"] == "missing" and where in _FIELD_HELP:
            parts.append(_FIELD_HELP[where])
        elif where == "options" and e["type"] in {"dict_type", "model_type"}:
            parts.append("options must be a mapping of letters to texts, or a list of texts")
        else:
            parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts)


@dataclass(frozen=True)
class Entry:
    """One item read from a file: where it starts, the row as written, and the validated item."""

    line: int | str
    raw: Mapping[str, Any]
    item: ExamItem


@dataclass
class Loaded:
    """What `read_items` found: the valid items (with their rows) and, per skipped item, why."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def items(self) -> list[ExamItem]:
        return [e.item for e in self.entries]


def load_items(path: str | Path) -> list[ExamItem]:
    """Read `{"items": [...]}` JSON or JSONL (one item per line, e.g. an eval MCQ file).

    Raises InputError naming the file and line of the first malformed item (`read_items` skips them).
    """
    return read_items(path, strict=True).items


def read_items(path: str | Path, *, strict: bool = False) -> Loaded:
    """Items of a JSONL or `{"items": [...]}` file, read leniently (see `ExamItem`): an item that is
    really wrong (invalid JSON, no options, a key that is not an option...) is named with its line
    in `problems` and skipped, and the others load. strict: raise InputError at the first one.

    Raises InputError when the file cannot be read, is empty, is not JSON at all, or has no valid item.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        msg = f"Cannot read items file {path}: {e}"
        raise InputError(msg) from e
    if not text.strip():
        msg = f"Items file {path} is empty. Generate items first, or check the path."
        raise InputError(msg)
    jsonl = path.suffix == ".jsonl" or (path.suffix != ".json" and _looks_like_jsonl(text))
    out = Loaded()
    for line, label, raw in _jsonl_rows(path, text) if jsonl else _json_rows(path, text):
        problem = raw if isinstance(raw, str) else None
        if problem is None:
            try:
                out.entries.append(Entry(line, raw, ExamItem.from_json(raw)))
            except ValidationError as e:
                who = f"{label} is " if label else ""
                problem = f"{path}, line {line}: {who}not a valid exam item ({_describe(e)})."
        if problem is not None:
            if strict:
                raise InputError(problem)
            out.problems.append(problem)
    if not out.entries:
        shown = " ".join(out.problems[:3]) + (f" (and {len(out.problems) - 3} more)" if len(out.problems) > 3 else "")
        msg = f"No valid question in {path}. {shown} Fix the items, or check the file."
        raise InputError(msg)
    return out


def _looks_like_jsonl(text: str) -> bool:
    """A first line that is a whole JSON object, and not the `{"items": ...}` wrapper, means JSONL."""
    first = text.strip().splitlines()[0]
    try:
        obj = json.loads(first)
    except json.JSONDecodeError:
        return False
    return isinstance(obj, dict) and "items" not in obj


def _label(raw: Any, index: int | None = None) -> str:
    """How a problem names an item: "item 3 ('q7')", "item 'q7'" or ''."""
    rid = f"{raw.get('id')!r}" if isinstance(raw, dict) and raw.get("id") else ""
    if index is None:
        return f"item {rid}" if rid else ""
    return f"item {index} ({rid})" if rid else f"item {index}"


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, str, dict[str, Any] | str]]:
    """(line, label, row) per non-blank line; a row that is not a JSON object comes as a problem string."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problem = f"{path}, line {lineno}: not valid JSON ({e.msg}). Each line must be one JSON object."
            yield lineno, "", problem
            continue
        if isinstance(row, dict):
            yield lineno, _label(row), row
        else:
            yield lineno, "", f"{path}, line {lineno}: not a JSON object. Each line must be one question as {{...}}."


def _json_rows(path: Path, text: str) -> Iterator[tuple[int | str, str, dict[str, Any] | str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        msg = f"{path}, line {e.lineno}: not valid JSON ({e.msg})."
        raise InputError(msg) from e
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        msg = f'{path}, line 1: expected an object {{"items": [...]}} (or JSONL, one item per line).'
        raise InputError(msg)
    for index, raw in enumerate(data["items"], start=1):
        line = _line_of_item(text, raw)
        if isinstance(raw, dict):
            yield line, _label(raw, index), raw
        else:
            yield line, "", f"{path}, line {line}: item {index} is not a JSON object."


def _line_of_item(text: str, raw: Any) -> int | str:
    """Best-effort line number of an item in a JSON document: where its id (or question) appears."""
    for key in ("id", "question"):
        value = raw.get(key) if isinstance(raw, dict) else None
        if isinstance(value, str) and value:
            pos = text.find(json.dumps(value))
            if pos >= 0:
                return text.count("\n", 0, pos) + 1
    return "?"
