"""With a chat model (Ollama), the model may write the situation of a stem from the fact's reworded
cues (prompts/exam_scenario.yaml, JSON-constrained). What it writes is kept only when it names no
option, copies no corpus run and fits the length; otherwise the template stem stands. A base model
(the embedded one) never writes stems: it is small and writes false sentences."""

from __future__ import annotations

import json

from assistant.adapters.llm.base import LLM
from assistant.errors import AssistantError
from assistant.knowledge.service import KnowledgeBase
from assistant.prompts import PromptLibrary
from assistant.services.exam.families import Fact
from assistant.services.exam.stems import Shingles, tidy, words

SCENARIO_SCHEMA = {
    "type": "object",
    "properties": {"scenario": {"type": "string", "minLength": 20, "maxLength": 400}},
    "required": ["scenario"],
}
SITUATION_WORDS = range(15, 51)  # the stem adds its question sentence to this
FAMILIES = frozenset({"service", "concept", "deployment", "remedy", "multi"})


class ScenarioWriter:
    def __init__(self, llm: LLM, prompts: PromptLibrary, kb: KnowledgeBase, shingles: Shingles) -> None:
        self.llm = llm
        self.prompts = prompts
        self.kb = kb
        self.shingles = shingles

    def __call__(self, f: Fact, company: str, options: list[str]) -> str | None:
        """The model's situation for fact `f`, or None (the template is used)."""
        if f.family not in FAMILIES or not f.needs:
            return None
        fact = "; ".join(n.text for n in f.needs)
        prompt = self.prompts.render("exam_scenario", self.llm.style, fact=fact, company=company)
        try:
            text = self.llm.generate_json(prompt, SCENARIO_SCHEMA, max_tokens=160)
            scenario = json.loads(text).get("scenario")
        except (AssistantError, ValueError, AttributeError):
            return None
        if not isinstance(scenario, str):
            return None
        scenario = tidy(scenario.split("?")[0].strip())
        scenario = scenario if scenario.endswith(".") else scenario + "."
        return scenario if self.ok(scenario, options) else None

    def ok(self, scenario: str, options: list[str]) -> bool:
        if words(scenario) not in SITUATION_WORDS or self.shingles.copied(scenario):
            return False
        named = set(self.kb.linker.ids(scenario))
        low = scenario.lower()
        return not any(o.lower() in low or named & set(self.kb.linker.ids(o)) for o in options)
