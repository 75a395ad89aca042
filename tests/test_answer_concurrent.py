"""One AnswerService answers two different questions at the same time (the web UI shares one instance
between requests): each answer must be right for its own question. Offline: named fakes only."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from assistant.prompts import PromptLibrary
from assistant.services.answer import AnswerService
from assistant.services.support import SupportChecker
from assistant.types import Chunk
from tests.conftest import REPO
from tests.fakes import FakeEncoder, FakeLLM, FakeRetriever

BIAS = Chunk("c-bias", "guide.md", "Evaluation", "SageMaker Clarify detects bias in training data and models.", 0, 59)
STORE = Chunk("c-store", "guide.md", "Features", "A feature store keeps processed features for reuse later.", 60, 117)
QUESTIONS = {
    "Which service detects bias in training data?": ("SageMaker Clarify detects bias in training data [1].", BIAS),
    "What does a feature store keep for reuse?": ("A feature store keeps processed features for reuse [1].", STORE),
}


def _reply(prompt: str) -> str:
    """The fake model answers whichever question its prompt asks (never the other one)."""
    return next(reply for question, (reply, _) in QUESTIONS.items() if question in prompt)


def test_two_questions_at_once_each_get_their_own_answer() -> None:
    # Both streams start before either sentence is checked, so per-request state kept on the shared
    # service (the question's vector) would be overwritten by the other request.
    llm = FakeLLM(responder=_reply, rendezvous=threading.Barrier(len(QUESTIONS), timeout=10))
    service = AnswerService(
        retriever=FakeRetriever([BIAS, STORE]),  # type: ignore[arg-type]
        llm=llm,
        prompts=PromptLibrary(REPO / "prompts"),
        checker=SupportChecker(FakeEncoder()),
        solver=None,  # type: ignore[arg-type]  # no multiple-choice question here
        guide_text=f"{BIAS.text}\n{STORE.text}",
    )
    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        answers = dict(zip(QUESTIONS, pool.map(service.ask, QUESTIONS)))
    for question, (reply, chunk) in QUESTIONS.items():
        answer = answers[question]
        assert not answer.refused and answer.replaced == 0, (question, answer.text)
        assert answer.text == reply.replace(" [1].", ". [1]"), (question, answer.text)
        assert [c.id for c in answer.citations] == [chunk.id]
