"""The one place that builds the object graph from settings. Everything is built lazily, once."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from assistant.settings import Settings


class Container:
    def __init__(self, settings: Settings | None = None, **overrides: Mapping[str, Any]) -> None:
        """`overrides` change settings sections for this container only, e.g.
        `Container(llm={"allow_general_knowledge": True})`; the settings object itself is not changed."""
        self.settings = _override(settings or Settings(), overrides)

    @cached_property
    def embedder(self):
        from assistant.adapters.embeddings import Embedder

        e = self.settings.embedding
        return Embedder(
            e.model, device=e.device, batch_size=e.batch_size, threads=e.threads, cache_dir=self.settings.models_dir
        )

    @cached_property
    def store(self):
        from assistant.adapters.store import open_store

        s = self.settings
        return open_store(host=s.store.host, port=s.store.port, path=s.chroma_path, collection=s.store.collection)

    @cached_property
    def lexical(self):
        from assistant.services.lexical import LexicalIndex

        s = self.settings
        name = f"{s.store.collection}-{s.store.host or 'local'}-{s.store.port if s.store.host else ''}".rstrip("-")
        return LexicalIndex(s.data_dir / "bm25" / name)

    @cached_property
    def retriever(self):
        from assistant.services.corpus import document_kinds
        from assistant.services.retrieve import Retriever

        r = self.settings.retrieval
        kinds = document_kinds(self.settings.corpus_dir)

        def weight(source: str) -> float:
            return 1.0 if kinds.get(source, "guide") == "guide" else r.supplement_weight

        return Retriever(
            self.store,
            self.embedder,
            self.lexical,
            k=r.k,
            candidates=r.candidates,
            rrf_k=r.rrf_k,
            source_weight=weight if r.supplement_weight != 1.0 else None,
            section_votes=(lambda qvec: self.section_votes.rank(qvec)) if r.statement_votes else None,
            same_section=r.same_section,
        )

    @cached_property
    def section_votes(self):
        """The knowledge layer's statements voting for guide sections, the retriever's third list."""
        from assistant.knowledge.expand import SectionVotes

        return SectionVotes(self.knowledge, top=self.settings.retrieval.statement_votes)

    @cached_property
    def ingest(self):
        from assistant.services.ingest import IngestService

        s = self.settings
        return IngestService(
            store=self.store,
            embedder=self.embedder,
            corpus_dir=s.corpus_dir,
            data_dir=s.data_dir,
            chunk_size=s.retrieval.chunk_size,
            chunk_overlap=s.retrieval.chunk_overlap,
            max_file_bytes=s.max_file_mb * 1024 * 1024,
            lexical=self.lexical,
        )

    @cached_property
    def backend(self):
        from assistant.adapters.llm.factory import build_llm

        return build_llm(self.settings)

    @property
    def llm(self):
        return self.backend.llm

    @cached_property
    def prompts(self):
        from assistant.prompts import PromptLibrary

        return PromptLibrary(self.settings.prompts_dir)

    @cached_property
    def corpus_docs(self) -> list:
        from assistant.services.corpus import load_corpus

        docs, _ = load_corpus(self.settings.corpus_dir, max_bytes=self.settings.max_file_mb * 1024 * 1024)
        return docs

    @cached_property
    def topics(self) -> list[str]:
        """The corpus's topics (its study guides' top sections), in document order: what the exam
        filter, the question bank and the eval charts group by."""
        from assistant.services.topics import corpus_topics

        return corpus_topics(self.corpus_docs)

    @cached_property
    def guide_text(self) -> str:
        return "\n\n".join(d.text for d in self.corpus_docs)

    @cached_property
    def scope_text(self) -> str:
        """What decides "does the corpus cover this?": the guides' text, and of supplements such as the
        team glossary only the names they define (an acronym a glossary uses in passing, like API, does
        not bring API keys into scope)."""
        guides = [d.text for d in self.corpus_docs if d.kind == "guide"]
        names = [a for e in self.knowledge.kb.entities.values() for a in (e.name, *e.aliases)]
        return "\n\n".join([*guides, "\n".join(names)])

    @cached_property
    def knowledge(self):
        """The knowledge layer, loaded from its cache beside the index (built by ingest) or built now."""
        from assistant.knowledge.service import KnowledgeBase

        s = self.settings
        return KnowledgeBase.load_or_build(
            self.corpus_docs, self.embedder.encode, s.data_dir / "knowledge", s.embedding.model
        )

    @cached_property
    def claim_checker(self):
        from assistant.knowledge.claims import ClaimChecker

        return ClaimChecker(self.knowledge)

    def _use_model(self, mode: str) -> bool:
        return mode == "always" or (mode == "auto" and self.llm.style == "chat")

    @cached_property
    def guide_lines(self):
        from assistant.services.guide_lines import GuideLines

        return GuideLines(self.store.all_chunks(), self.embedder.encode)

    @cached_property
    def solver(self):
        from assistant.services.mcq import MCQSolver

        s = self.settings
        return MCQSolver(
            self.retriever,
            self.knowledge,
            self.llm,
            self.prompts,
            k=s.retrieval.k,
            # auto: every backend. A chat model picks as JSON from the evidence; a base model's option
            # log-likelihood is added to the evidence (dev MCQ: 0.849 alone, 0.891 with it).
            use_llm=s.llm.model_picks_mcq != "never",
        )

    @cached_property
    def answers(self):
        from assistant.services.answer import AnswerService
        from assistant.services.compose import Composer
        from assistant.services.scope import entity_entries
        from assistant.services.support import SupportChecker

        s = self.settings
        return AnswerService(
            retriever=self.retriever,
            llm=self.llm,
            prompts=self.prompts,
            checker=SupportChecker(self.embedder.encode),
            solver=self.solver,
            guide_text=self.scope_text,
            min_relevance=s.retrieval.min_relevance,
            mcq_min_relevance=s.retrieval.mcq_min_relevance,
            entries=entity_entries(self.knowledge.kb.entities.values()),
            max_tokens=s.llm.max_tokens,
            max_input_chars=s.ui.max_input_chars,
            allow_general=s.llm.allow_general_knowledge,
            composer=Composer(self.knowledge),
            claims=self.claim_checker,
            model_sentences=self._use_model(s.llm.model_sentences),
            doc_kind=self.knowledge.doc_kind,
        )

    @cached_property
    def index(self):
        from assistant.services.index import IndexService

        return IndexService(
            self.store,
            self.ingest,
            corpus_dir=self.settings.corpus_dir,
            on_change=self.reset_index_caches,
            warm=lambda: self.knowledge,
        )

    def reset_index_caches(self) -> None:
        """After an ingest: cached chunks and BM25 are reloaded, and everything built from the old index
        (guide text and lines, the MCQ solver, answers, the exam writer's facts and terms) is rebuilt on
        next use."""
        self.retriever.refresh()
        for name in (
            "corpus_docs",
            "topics",
            "guide_text",
            "scope_text",
            "knowledge",
            "section_votes",
            "claim_checker",
            "guide_lines",
            "solver",
            "answers",
            "exams",
        ):
            self.__dict__.pop(name, None)

    @cached_property
    def bank(self):
        from assistant.services.exam.bank import QuestionBank

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return QuestionBank(self.settings.data_dir / "bank.sqlite")

    @cached_property
    def exams(self):
        from assistant.services.exam.generate import ExamService

        return ExamService(
            knowledge=self.knowledge,
            retriever=self.retriever,
            llm=self.llm,
            prompts=self.prompts,
            solver=self.solver,
            bank=self.bank,
            docs=self.corpus_docs,
            eval_dir=self.settings.evals_dir,
        )

    @cached_property
    def exam_sessions(self):
        from assistant.services.exam.session import ExamSessionService

        return ExamSessionService(self.bank, lambda chunk_id: self.retriever.chunk(chunk_id), lambda: self.topics)

    def ensure_index(self, progress=None) -> bool:
        """Ingest when there is no index yet. Returns True when it ingested."""
        return self.index.ensure(progress)


def _override(settings: Settings, overrides: Mapping[str, Mapping[str, Any]]) -> Settings:
    if not overrides:
        return settings
    sections = {name: getattr(settings, name).model_copy(update=dict(values)) for name, values in overrides.items()}
    return settings.model_copy(update=sections)
