"""The fixed vocabulary of exam topics ("phases") used by evals, exams and the review view.

The seven lifecycle phases come straight from the guide; the last two group the pipeline/MLOps material
and the exam-technique tips so every question has exactly one home for per-phase scores.
"""

from __future__ import annotations

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


def normalize_phase(name: str) -> str:
    """Map a user-typed phase ("training", "4", "Model Training") to its canonical name."""
    key = name.strip().lower()
    for i, phase in enumerate(PHASES, start=1):
        if key in {phase.lower(), str(i)} or (key and key in phase.lower()):
            return phase
    known = ", ".join(PHASES)
    msg = f"Unknown phase {name!r}. Known phases: {known}"
    raise ValueError(msg)
