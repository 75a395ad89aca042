"""Grounded answers: retrieve, decide scope, compose from the documents, check every model sentence, cite.

The answer starts with what the question asks for, composed from the documents' own statements
(`compose.Composer`: "Amazon SageMaker Clarify." and the line that says so). A model's sentences follow
only when enabled for the backend and only when each passes two checks: support by the passage it cites,
and the claim check of the knowledge layer, which rejects swapped relations. Without them the answer is
completed with the passages' sentences most similar to the question, quoted.

`stream()` yields events so the CLI and the UI can show progress: the answer arrives sentence by
sentence, each one already checked (raw model tokens are never shown).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError, InputError
from assistant.prompts import PromptLibrary
from assistant.services.answer_model import Answer, Citation, Event
from assistant.services.compose import Composer, Lead
from assistant.services.mcq import MCQSolver
from assistant.services.mcq_parse import parse_mcq
from assistant.services.retrieve import Retriever
from assistant.services.sanitize import clean_untrusted
from assistant.services.scope import clean_question, decide, decide_mcq
from assistant.services.support import (
    CheckedSentence,
    SupportChecker,
    foreign_identifiers,
    split_sentences,
    unknown_services,
)
from assistant.services.text import Span, complete_sentences, content_words, split_markers, tokens
from assistant.types import Chunk, Passage

REFUSAL = "The guide does not cover this."
ON_TOPIC_FIRST = 0.3  # cosine(question, sentence) the first answer sentence needs
ON_TOPIC_REST = 0.12
MIN_CLAIM_WORDS = 4  # fewer content words ("CANARY-DOC-7731.") make no claim to check  # ... and each later one (follow-on sentences are often terse)
_FENCE = re.compile(r"<<<GUIDE|GUIDE>>>")
_PRONOUN = re.compile(r"\b(it|its|that|this|they|them|those|these|one|there)\b", re.IGNORECASE)
_FRAGMENT = re.compile(
    r"^\s*(and|or|also|then|what about|how about|and what|which one|why)\b|^\W*\w+(\s+\w+)?\W*$", re.IGNORECASE
)


@dataclass
class AnswerService:
    retriever: Retriever
    llm: LLM
    prompts: PromptLibrary
    checker: SupportChecker
    solver: MCQSolver
    guide_text: str
    min_relevance: float = 0.2
    mcq_min_relevance: float = 0.3  # pasted questions: the whole question's (stem and options) relevance
    entries: Mapping[str, str] | None = None  # supplement entries by entity name (scope.entity_entries)
    max_tokens: int = 320
    max_input_chars: int = 4000
    allow_general: bool = False
    history_turns: int = 3
    composer: Composer | None = None
    claims: Any = None  # knowledge.claims.ClaimChecker: model sentences must pass it
    model_sentences: bool = True  # add the model's (checked) sentences after the composed lead
    doc_kind: Callable[[str], str] = field(default=lambda source: "guide")

    def ask(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
        for event in self.stream(question, history):
            if event.kind == "done" and event.answer is not None:
                return event.answer
        msg = "The answer stream ended without a result."
        raise AssistantError(msg)

    def stream(self, question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[Event]:
        question = clean_question(question, max_chars=self.max_input_chars)
        mcq = parse_mcq(question)
        if mcq is not None:
            yield Event("status", "Solving the multiple-choice question…")
            yield Event("done", answer=self._mcq_answer(question, mcq))
            return
        query = self.condense(question, history)
        passages = self.retriever.search(query)
        best = max((p.relevance for p in passages), default=0.0)
        scope = decide(
            query if query != question else question,
            best,
            threshold=self.min_relevance,
            guide_text=self.guide_text,
            entries=self.entries,
        )
        if not scope.covered:
            yield Event("done", answer=self._refusal(question, query, passages, scope.reason))
            return
        writer = self.llm.describe() if self.model_sentences else "the documents' own statements"
        yield Event("status", f"Answering from {len(passages)} passages with {writer}…")
        yield from self._generate(question, query, passages)

    # -- pieces ---------------------------------------------------------------------------------
    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A standalone query for retrieval. Chat models rewrite it; for base models (which rewrite
        badly) a short or pronoun-led follow-up is joined to the previous question."""
        turns = [(u, a) for u, a in history if u][-self.history_turns :]
        if not turns:
            return question
        if self.llm.style == "chat":
            convo = "\n".join(f"User: {u}\nAssistant: {a[:400]}" for u, a in turns)
            prompt = self.prompts.render("condense", "chat", history=convo, question=question)
            try:
                rewritten = self.llm.complete(prompt, max_tokens=80).strip().splitlines()
            except AssistantError:
                rewritten = []
            if rewritten and 3 < len(rewritten[0]) < 400:
                return rewritten[0]
        # Only a question that leans on the conversation is joined to the last one; "What is the
        # capital of France?" after an on-topic question stays itself, and is refused.
        if _PRONOUN.search(question) or _FRAGMENT.match(question):
            return f"{turns[-1][0]} {question}"
        return question

    def _generate(self, question: str, query: str, passages: list[Passage]) -> Iterator[Event]:
        passages = list(passages)
        kept: list[CheckedSentence] = []
        for lead in self.composer.lead(question) if self.composer else []:
            checked = self._from_statement(lead, passages)
            if checked is not None and all(checked.quote.text != k.quote.text or not k.replaced for k in kept):
                kept.append(checked)
                yield Event("delta", _render(checked) + " ")
        dropped, cut = 0, None
        if self.model_sentences:
            refused, dropped, written = yield from self._model_sentences(question, passages, kept)
            cut = _prompt_cut(self.llm)
            if cut and not written and not refused:
                # The server cut the prompt and nothing usable came back: once more, with fewer
                # passages (the adapter has tightened its token estimate from what the server read).
                refused, dropped, written = yield from self._model_sentences(question, passages[:-1], kept)
            if refused and not kept and not written:
                reason = "The model found no answer in the passages."
                yield Event("done", answer=self._refusal(question, query, passages, reason))
                return
            kept += written
        if len(kept) < 2:
            # Completed with the documents' statements closest to the question, quoted.
            quoted = {k.quote.text for k in kept}
            extra = (
                [self._from_statement(lead, passages) for lead in self.composer.extractive(question, 3)]
                if self.composer
                else self.checker.extractive(question, passages, limit=3)
            )
            for checked in extra:
                if checked is not None and checked.quote.text not in quoted and len(kept) < 3:
                    quoted.add(checked.quote.text)
                    kept.append(checked)
                    yield Event("delta", _render(checked) + " ")
        answer = self._finish(question, query, passages, kept, dropped)
        answer.prompt_cut = cut
        yield Event("done", answer=answer)

    def _model_sentences(self, question: str, passages: list[Passage], lead: list[CheckedSentence]):
        """The model's sentences, each checked as it completes; yields deltas, returns
        (refused by the model, dropped count, kept sentences)."""
        # The prompt shows a prefix of the passages that fits the context window; citations may add
        # passages after it, so checks work on the whole list (its numbering starts the same).
        fitted = self._fit(question, passages)
        # Per request, so one shared service can answer several questions at once.
        question_vec = self.checker.encode([question])[0]
        prompt = self.prompts.render("answer", self.llm.style, passages=fence_passages(fitted), question=question)
        stops = ["\n", "Question:", "<<<GUIDE", "GUIDE>>>"] if self.llm.style == "base" else []
        kept: list[CheckedSentence] = []
        buffer, dropped, refused = "", 0, False
        marker = REFUSAL.lower().rstrip(".")
        for piece in self.llm.stream(prompt, max_tokens=self.max_tokens, stop=stops):
            buffer += piece
            done, buffer = complete_sentences(buffer)
            for sentence in done:
                if marker in sentence.lower():
                    refused = True
                    continue
                checked = self._check(sentence, passages, lead + kept, question_vec)
                dropped += 0 if checked else 1
                kept.extend(checked)
                for c in checked:
                    yield Event("delta", _render(c) + " ")
        if marker in buffer.lower():
            refused = True
        elif buffer.strip():
            tail = self._check(buffer, passages, lead + kept, question_vec)
            dropped += 0 if tail else 1
            kept.extend(tail)
            for c in tail:
                yield Event("delta", _render(c) + " ")
        return refused, dropped, kept

    def _from_statement(self, lead: Lead, passages: list[Passage]) -> CheckedSentence | None:
        """A composed sentence, cited to the passage that holds its statement (added when not shown)."""
        n = self._passage_of(lead.statement.source, lead.statement.start, lead.statement.end, passages)
        if n is None:
            return None
        span = Span(lead.statement.text, lead.statement.start, lead.statement.end)
        return CheckedSentence(text=lead.text, passage=n, quote=span, replaced=lead.text.startswith("\u201c"))

    def _passage_of(self, source: str, start: int, end: int, passages: list[Passage]) -> int | None:
        for i, p in enumerate(passages, start=1):
            c = p.chunk
            if c.source == source and c.start <= start and end <= c.end:
                return i
        chunk: Chunk | None = self.retriever.chunk_at(source, start, end)
        if chunk is None:
            return None
        for i, p in enumerate(passages, start=1):
            if p.chunk.id == chunk.id:
                return i
        passages.append(Passage(chunk=chunk, score=0.0, relevance=0.0))
        return len(passages)

    def _check(
        self, sentence: str, passages: list[Passage], kept: list[CheckedSentence], question_vec: np.ndarray
    ) -> list[CheckedSentence]:
        out = []
        sentence = clean_untrusted(sentence)  # no images or remote links, whatever a passage asked for
        if not sentence.strip() or _degenerate(sentence):
            return []
        # A sentence can be true to its passage yet not answer the question (small models copy the
        # nearest list): it must also be about the question, the first one clearly so.
        floor = ON_TOPIC_FIRST if not kept else ON_TOPIC_REST
        if float(self.checker.encode([sentence])[0] @ question_vec) < floor:
            return []
        if self.claims is not None:
            text, _ = split_markers(sentence)
            if len(content_words(text)) >= MIN_CLAIM_WORDS:
                verdict = self.claims.check(text)
                if verdict.ok and verdict.statement is not None:
                    # One statement of the documents says the same of the same entities: shown, cited to it.
                    s = self.claims.kb.kb.statements[verdict.statement]
                    if not foreign_identifiers(text, s.text) and not unknown_services(text, s.text):
                        checked = self._from_statement(Lead(text.strip(), s), passages)
                        if checked is not None and all(checked.text != k.text for k in kept):
                            return [CheckedSentence(checked.text, checked.passage, checked.quote, replaced=False)]
                        return []
        # Otherwise the passage support check: kept if its passage supports it, else the passage's
        # sentence is quoted instead; a model sentence it keeps must still not be a rejected claim.
        for checked in self.checker.check(sentence, passages):
            if not checked.replaced and self.claims is not None and not self.claims.check(checked.text).ok:
                continue
            if all(checked.text != k.text for k in kept + out):
                out.append(checked)
        return out

    def _fit(self, question: str, passages: list[Passage]) -> list[Passage]:
        """Drop the lowest-ranked passages until the prompt and the answer fit the context window
        (Ollama silently truncates an oversized prompt; llama.cpp would refuse it)."""
        budget = self.llm.context_window - self.max_tokens - 16
        kept = list(passages)
        while kept:
            prompt = self.prompts.render("answer", self.llm.style, passages=fence_passages(kept), question=question)
            if self.llm.count_tokens(prompt.text()) <= budget:
                return kept
            kept.pop()
        msg = "The question is too long for the model's context window. Shorten it or raise ASSISTANT_LLM__NUM_CTX."
        raise InputError(msg)

    def _finish(
        self, question: str, query: str, passages: list[Passage], kept: list[CheckedSentence], dropped: int
    ) -> Answer:
        citations = _citations(kept, passages, self.doc_kind)
        text = " ".join(_render(c) for c in kept)
        replaced = dropped + sum(1 for c in kept if c.replaced)
        return Answer(
            question, query, text, citations, False, passages, self.llm.backend, self.llm.model, replaced=replaced
        )

    def _refusal(self, question: str, query: str, passages: list[Passage], reason: str) -> Answer:
        general = None
        if self.allow_general:
            try:
                prompt = self.prompts.render("general", self.llm.style, question=question)
                general = self.llm.complete(prompt, max_tokens=160, stop=["\n\n", "Question:"]).strip()
            except AssistantError as e:
                general = f"(no general answer: {e})"
        return Answer(
            question,
            query,
            REFUSAL,
            [],
            True,
            passages,
            self.llm.backend,
            self.llm.model,
            reason=reason,
            general=general,
        )

    def _mcq_answer(self, question: str, mcq) -> Answer:
        # A pasted question goes through a scope check of its own, on the whole question (an EC2
        # sizing question gets "not covered", not a confident pick; a scenario stem far from the guide
        # whose options name the guide's services does not).
        found = self.retriever.search(mcq.render())
        best = max((p.relevance for p in found), default=0.0)
        scope = decide_mcq(
            mcq.stem,
            mcq.options,
            best,
            threshold=self.mcq_min_relevance,
            guide_text=self.guide_text,
            entries=self.entries,
            knowledge=getattr(self.solver, "knowledge", None),
        )
        if not scope.covered:
            return self._refusal(question, mcq.stem, found, scope.reason)
        result = self.solver.solve(mcq)
        passages = list(result.passages)
        if not result.covered:
            reason = "Neither the guide nor the team glossary says anything about these options."
            return self._refusal(question, mcq.stem, passages, reason)
        lines, citations = [], []
        picked = ", ".join(f"{k} ({mcq.options[k]})" for k in result.choice)
        lines.append(f"Answer: {picked}")
        for letter, note in result.option_notes.items():
            marks = []
            for s in result.note_statements.get(letter, []):
                n = self._passage_of(s.source, s.start, s.end, passages)
                if n is None:
                    continue
                marks.append(f"[{n}]")
                if all(c.n != n or c.quote != s.text for c in citations):
                    ch = passages[n - 1].chunk
                    citations.append(
                        Citation(n, ch.id, ch.section, ch.source, s.text, s.start, s.end, self.doc_kind(ch.source))
                    )
            lines.append(f"{letter}. {note}" + (" " + " ".join(dict.fromkeys(marks)) if marks else ""))
        return Answer(
            question,
            mcq.stem,
            "\n".join(lines),
            citations,
            False,
            passages,
            self.llm.backend,
            self.llm.model,
            mcq=result,
        )


def _prompt_cut(llm: LLM) -> str | None:
    report = getattr(llm, "last_call", None)
    return getattr(report, "prompt_cut", None) if report is not None else None


def _degenerate(sentence: str) -> bool:
    """A fragment cut off at the token limit ("Amazon."), or a small model's repetition loop
    ("Model Monitor, Model Monitor, ..."): not an answer, however well its words match a passage."""
    words = tokens(sentence)
    return len(words) < 3 or (len(words) >= 12 and len(set(words)) / len(words) < 0.4)


def fence_passages(passages: Sequence[Passage]) -> str:
    """Number the passages and fence them as data; fence markers inside passages are neutralised."""
    body = "\n".join(
        f"[{i}] {p.chunk.section.split(' > ')[-1] or p.chunk.source}: {_FENCE.sub('', p.chunk.text)}"
        for i, p in enumerate(passages, start=1)
    )
    return f"<<<GUIDE\n{body}\nGUIDE>>>"


def _render(c: CheckedSentence) -> str:
    text = clean_untrusted(c.text).rstrip()  # a quoted passage is untrusted text too
    if not c.replaced and text[-1:] not in ".!?":
        text += "."
    return f"{text} [{c.passage}]"


def _citations(kept: list[CheckedSentence], passages: list[Passage], doc_kind: Callable[[str], str]) -> list[Citation]:
    out: list[Citation] = []
    for c in kept:
        if any(x.n == c.passage and x.quote == c.quote.text for x in out):
            continue
        ch = passages[c.passage - 1].chunk
        quote = clean_untrusted(c.quote.text)
        out.append(
            Citation(c.passage, ch.id, ch.section, ch.source, quote, c.quote.start, c.quote.end, doc_kind(ch.source))
        )
    return out


__all__ = ["REFUSAL", "Answer", "AnswerService", "Citation", "Event", "fence_passages", "split_sentences"]
