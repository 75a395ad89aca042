"""The one place that builds the object graph from settings. Everything is built lazily, once."""

from __future__ import annotations

from functools import cached_property

from assistant.settings import Settings


class Container:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @cached_property
    def embedder(self):
        from assistant.adapters.embeddings import Embedder

        e = self.settings.embedding
        return Embedder(e.model, device=e.device, batch_size=e.batch_size, threads=e.threads)

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
        from assistant.services.retrieve import Retriever

        r = self.settings.retrieval
        return Retriever(self.store, self.embedder, self.lexical, k=r.k, candidates=r.candidates, rrf_k=r.rrf_k)

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
    def guide_text(self) -> str:
        from assistant.services.corpus import load_corpus

        docs, _ = load_corpus(self.settings.corpus_dir, max_bytes=self.settings.max_file_mb * 1024 * 1024)
        return "\n\n".join(d.text for d in docs)

    @cached_property
    def guide_lines(self):
        from assistant.services.guide_lines import GuideLines

        return GuideLines(self.store.all_chunks(), self.embedder.encode)

    @cached_property
    def solver(self):
        from assistant.services.mcq import MCQSolver

        return MCQSolver(self.retriever, self.guide_lines, self.llm, self.prompts, k=self.settings.retrieval.k)

    @cached_property
    def answers(self):
        from assistant.services.answer import AnswerService
        from assistant.services.support import SupportChecker

        s = self.settings
        return AnswerService(
            retriever=self.retriever,
            llm=self.llm,
            prompts=self.prompts,
            checker=SupportChecker(self.embedder.encode),
            solver=self.solver,
            guide_text=self.guide_text,
            min_relevance=s.retrieval.min_relevance,
            max_tokens=s.llm.max_tokens,
            max_input_chars=s.ui.max_input_chars,
            allow_general=s.llm.allow_general_knowledge,
        )

    def reset_index_caches(self) -> None:
        """After an ingest: cached chunks, BM25 and guide lines are rebuilt on next use."""
        self.retriever.refresh()
        self.__dict__.pop("guide_lines", None)
        self.__dict__.pop("solver", None)
        self.__dict__.pop("answers", None)
        self.__dict__.pop("guide_text", None)

    @cached_property
    def bank(self):
        from assistant.services.exam.bank import QuestionBank

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return QuestionBank(self.settings.data_dir / "bank.sqlite")

    @cached_property
    def exams(self):
        from assistant.services.exam.generate import ExamService

        return ExamService(
            retriever=self.retriever,
            lines=self.guide_lines,
            llm=self.llm,
            prompts=self.prompts,
            solver=self.solver,
            bank=self.bank,
            guide_text=self.guide_text,
            eval_dir=self.settings.evals_dir,
        )

    def ensure_index(self, progress=None) -> bool:
        """Ingest when there is no index yet (a first `ask` should not fail on a fresh clone).
        Returns True when it ingested."""
        if self.store.exists():
            return False
        self.ingest.run(progress=progress)
        self.reset_index_caches()
        return True
