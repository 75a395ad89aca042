"""Deprecated: topics come from the corpus now (`assistant.services.topics`, `Container.topics`).

`PHASES` stays only until the exam fact planner and generator (services/exam/plan.py, generate.py) stop
using it; nothing else may: it is the one guide's phase list, and the app must work for any guide.
"""

from __future__ import annotations

from assistant.services.topics import markdown_headings, match_topic, topic_key

__all__ = ["PHASES", "markdown_headings", "match_topic", "topic_key"]

PHASES: tuple[str, ...] = (
    "Business Problem Definition",
    "Data Collection and Integration",
    "Data Preprocessing and Feature Engineering",
    "Model Training",
    "Model Evaluation",
    "Model Deployment",
    "Model Monitoring and Maintenance",
    "ML Pipelines and MLOps",
    "Exam Strategy",
)
