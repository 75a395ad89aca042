"""End to end in a real browser (Debian's Chromium, driven by Playwright) against the real app, the
real guide and the real embedded model. Every request the page makes is intercepted: anything not
addressed to 127.0.0.1/localhost is blocked and fails the test. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from assistant.services.answer import Answer, Citation, Event
from assistant.types import Chunk, Passage
from assistant.ui.app import build_app, launch
from tests.conftest import REPO, free_port
from tests.matching_samples import SCENARIO, SERVICES, case_items, matching_item

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
MAX_OPTIONS = 6

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install it with `make browser` (apt-get install chromium)."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The playwright package is missing. Install the dev dependencies: `make setup`.")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def app_url(guide_container) -> Iterator[str]:
    c = guide_container
    if "backend" not in c.__dict__:
        c.settings.llm.backend = "embedded"
    c.backend  # noqa: B018 - load the model before serving, as `assistant serve` does
    port = free_port()
    app = build_app(c)
    launch(app, c.settings, port=port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


class Page:
    """A page whose every request is checked: off-machine requests are blocked and recorded."""

    def __init__(self, browser: Any, url: str) -> None:
        self.blocked: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.goto(url)
        self.page.wait_for_selector("#question textarea", timeout=60_000)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob"} or (parts.hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def shot(self, name: str, *, full: bool = False) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        return path

    def close(self) -> None:
        self.context.close()
        assert not self.blocked, f"the page tried to reach other hosts: {self.blocked}"


def _watch_chat(page: Any) -> None:
    """Record every distinct state of the last chat message, to see the answer arrive in steps."""
    page.evaluate(
        """() => {
        window.__states = [];
        const chat = document.querySelector('#chat');
        new MutationObserver(() => {
            const bots = chat.querySelectorAll('[data-testid="bot"]');
            const last = bots.length ? bots[bots.length - 1].innerText : '';
            if (last && window.__states[window.__states.length - 1] !== last) window.__states.push(last);
        }).observe(chat, {subtree: true, childList: true, characterData: true});
    }"""
    )


def test_chat_citation_and_exam_in_a_real_browser(browser, app_url, guide_container, monkeypatch) -> None:
    p = Page(browser, app_url)
    page = p.page
    page.wait_for_selector("#backend-banner :text('Answers by')", timeout=60_000)
    assert "embedded model" in page.inner_text("#backend-banner")

    _watch_chat(page)
    page.fill("#question textarea", "What happens in the model training phase?")
    page.click("#ask")
    page.wait_for_selector("#chat .answer-status", timeout=30_000)  # streaming: the status line shows first
    page.wait_for_selector("#chat .answer-meta", timeout=300_000)
    states = page.evaluate("window.__states")
    assert len(states) >= 3, f"the answer should arrive in steps, saw {states}"
    assert page.locator("#chat a.cite").count() >= 1
    p.shot("browser-01-chat-answer")

    cite = page.locator("#chat a.cite").first
    target = cite.get_attribute("href").lstrip("#")
    cite.click()
    source = page.locator(f"[id='{target}']")
    source.wait_for(state="visible", timeout=10_000)
    assert page.locator("#chat details.sources[open]").count() >= 1
    assert source.locator("mark").first.is_visible(), "the quoted span is highlighted"
    assert "flash" in (source.get_attribute("class") or ""), "the page script scrolled to and flashed the passage"
    assert source.locator(".src-path").inner_text().strip()
    time.sleep(0.5)
    p.shot("browser-02-citation-open")

    page.get_by_role("tab", name="Practice exam").click()
    page.fill("#exam-n input[type=number]", "3")
    page.locator("#exam-n input[type=number]").press("Enter")
    page.click("#generate")
    time.sleep(2)
    p.shot("browser-03-exam-generating")
    # Wait for the question inputs themselves: the status line says "n of 3 questions ready" while
    # generating, before the questions are rendered, so it cannot tell when they are there.
    for i in range(3):
        _question_input(page, i).wait_for(state="visible", timeout=180_000)
    assert _shown_questions(page) == 3
    for i in range(3):
        _answer(page, i)
    p.shot("browser-04-exam-answered", full=True)
    page.click("#submit-exam")
    page.wait_for_selector("#exam-score h2", timeout=60_000)
    assert "Score:" in page.inner_text("#exam-score")
    page.wait_for_selector("#exam-chart img", timeout=60_000)  # the chart image arrives after the score
    assert page.locator("#exam-chart img").count() == 1
    assert page.locator("#exam-review .qres").count() == 3
    page.locator("#exam-score").scroll_into_view_if_needed()
    time.sleep(1)
    p.shot("browser-05-exam-scored", full=True)

    page.get_by_role("tab", name="Review").click()
    page.wait_for_selector("#review-summary :text('answers recorded')", timeout=30_000)
    time.sleep(1)
    p.shot("browser-06-review")
    page.get_by_role("tab", name="About").click()
    page.wait_for_selector("#corpus table", timeout=30_000)
    time.sleep(1)
    p.shot("browser-07-about")
    p.close()


def _question_input(page: Any, i: int) -> Any:
    """The visible input of question i, whichever its type (single, multi, ordering, matching)."""
    return page.locator(f":is(#q{i}-single, #q{i}-multi, #q{i}-order, #q{i}-match0):visible")


def _shown_questions(page: Any) -> int:
    kinds = ("single", "multi", "order", "match0")
    inputs = [page.locator(f"#q{i}-{kind}") for i in range(20) for kind in kinds]
    return sum(1 for loc in inputs if loc.is_visible())


def _answer(page: Any, i: int) -> None:
    """Answer question i with whatever input its type shows (not necessarily correctly)."""
    single, multi, order = (page.locator(f"#q{i}-{kind}") for kind in ("single", "multi", "order"))
    if page.locator(f"#q{i}-match0").is_visible():  # matching: the first option in every premise's dropdown
        j = 0
        while page.locator(f"#q{i}-match{j}").is_visible():
            page.locator(f"#q{i}-match{j} input").first.click()
            page.locator("ul[role='listbox'] li").first.click()
            page.keyboard.press("Escape")
            j += 1
    elif single.is_visible():
        single.locator("label").first.click()
    elif multi.is_visible():
        multi.locator("label").nth(0).click()
        multi.locator("label").nth(1).click()
    else:  # ordering: pick every step, in the listed order (the selection order is the answer)
        field = order.locator("input").first
        for _ in range(MAX_OPTIONS):
            field.click()
            remaining = page.locator("ul[role='listbox'] li[aria-selected='false']")
            if remaining.count() == 0:
                break
            remaining.first.click()
        page.keyboard.press("Escape")


def test_matching_and_case_study_taken_and_scored_in_a_real_browser(browser, app_url, tmp_path) -> None:
    """A case study (a single-answer and a matching question on one scenario) and a stand-alone
    matching item, loaded from a file, answered with the page's own inputs, then scored."""
    from assistant.services.exam.export import export

    first, second = case_items()
    path = export([first, matching_item(), second], "json", tmp_path / "case-and-matching.json")
    p = Page(browser, app_url)
    page = p.page
    page.get_by_role("tab", name="Practice exam").click()
    with page.expect_file_chooser() as chooser:
        page.click("#load-file")
    chooser.value.set_files(str(path))
    page.wait_for_selector("#q0-single", state="visible", timeout=60_000)
    # The case's two questions come first, its scenario once in full above them.
    assert page.locator(".qslot .case:visible").count() == 2  # the full scenario, then the folded copy
    assert SCENARIO in page.locator("div.case").first.inner_text()
    assert page.locator("details.case").count() == 1
    page.locator("#q0-single label", has_text="B. Amazon SageMaker Clarify").click()
    _match(page, 1, ["C. Amazon SageMaker Clarify", "A. Amazon SageMaker Model Monitor", "B. Amazon S3"])
    # the stand-alone matching item: premise 1 right, 2 and 3 swapped
    _match(page, 2, [f"C. {SERVICES['C']}", f"B. {SERVICES['B']}", f"A. {SERVICES['A']}"])
    assert not page.locator("#q2-match3").is_visible()  # three premises: three dropdowns
    p.shot("browser-09-matching-case-answered", full=True)
    page.click("#submit-exam")
    page.wait_for_selector("#exam-score h2", timeout=60_000)
    score = page.inner_text("#exam-score")
    assert "Score: 2 / 3" in score and "4 of 6 pairs right" in score
    review = page.locator("#exam-review")
    assert review.locator(".qres").count() == 3 and review.locator(".case").count() == 1
    assert "1 of 3 pairs right" in review.inner_text() and "3 of 3 pairs right" in review.inner_text()
    page.locator("#exam-score").scroll_into_view_if_needed()
    time.sleep(1)
    p.shot("browser-10-matching-case-scored", full=True)
    p.close()


def _match(page: Any, i: int, labels: list[str]) -> None:
    """Pick, for each premise of matching question i, the option with that label in its dropdown."""
    for j, label in enumerate(labels):
        page.locator(f"#q{i}-match{j} input").first.click()
        page.locator("ul[role='listbox'] li", has_text=label).first.click()
        page.keyboard.press("Escape")
        assert label in (page.locator(f"#q{i}-match{j} input").first.input_value() or ""), label


# ---------------------------------------------------------------- prompt-injected content


class FakeHostileAnswers:
    """A fake answer service replaying what a prompt-injected document could make a model say."""

    PAYLOAD = (
        "Training fits the model. ![x](http://evil.example/pixel.png) <img src=https://evil.example/i.png> "
        '<span style="background:url(https://evil.example/bg.png)">s</span> [click](https://evil.example/l) '
        "https://evil.example/bare www.evil.example"
    )

    def stream(self, question: str, history: Any = ()) -> Iterator[Event]:
        text = f"{self.PAYLOAD}\n\n![y](https://evil.example/2.png)"
        ch = Chunk("c1", "guide.md", "Guide > Training", text, 0, len(text), "Guide")
        cite = Citation(1, "c1", ch.section, ch.source, "Training fits the model.", 0, 24)
        yield Event("delta", self.PAYLOAD + " [1]")
        answer = Answer(
            question, question, self.PAYLOAD + " [1]", [cite], False, [Passage(ch, 1.0, 0.9)], "fake", "fake"
        )
        yield Event("done", answer=answer)


def test_injected_markup_makes_the_browser_fetch_nothing(browser, guide_container) -> None:
    import gradio as gr

    from assistant.ui.chat import ChatTab

    class Container:
        settings = guide_container.settings
        corpus_docs = guide_container.corpus_docs  # the chat tab's examples are built from the corpus
        topics = guide_container.topics
        answers = FakeHostileAnswers()

    with gr.Blocks() as demo:
        ChatTab(Container()).build()
    demo.queue()
    port = free_port()
    launch(demo, guide_container.settings, port=port, block=False, quiet=True)
    try:
        p = Page(browser, f"http://127.0.0.1:{port}/")
        p.page.fill("#question textarea", "tell me")
        p.page.click("#ask")
        p.page.wait_for_selector("#chat .answer-meta", timeout=30_000)
        p.page.click("#chat a.cite")
        time.sleep(1)
        assert p.page.locator("#chat img").count() == 0
        assert p.page.locator("#chat a[href^='http']").count() == 0
        p.shot("browser-08-injection-inert")
        p.close()  # fails if anything off-machine was requested
    finally:
        demo.close()
