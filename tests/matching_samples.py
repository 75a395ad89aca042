"""Hand-written matching and case-study items shared by the tests of grading, export, eval and the UI.

Written by hand (not by the generator) so these tests do not move when generation does.
"""

from __future__ import annotations

from assistant.services.exam.items import ExamItem

NEEDS = [
    "Detect bias in training data before a model is trained",
    "Alert when live requests drift from the training data",
    "Have people label thousands of images",
]
SERVICES = {
    "A": "Amazon SageMaker Model Monitor",
    "B": "Amazon SageMaker Ground Truth",
    "C": "Amazon SageMaker Clarify",
}
SCENARIO = (
    "A regional lender trains a credit-risk model on ten years of loan records and will serve it to branch "
    "staff through an API. Regulators ask for evidence that the model treats applicants fairly, and the "
    "risk team wants an alert when live applications stop looking like the training data."
)


def matching_item(**changes: object) -> ExamItem:
    """Three needs to three services; the key is C, A, B."""
    data = {
        "type": "matching",
        "family": "matching",
        "question": "Match each need to the AWS service that meets it.",
        "premises": NEEDS,
        "options": SERVICES,
        "answer": "C,A,B",
        "explanations": {
            "A": "Model Monitor compares live data with a baseline.",
            "B": "Ground Truth runs labeling jobs with human workers.",
            "C": "Clarify reports bias before and after training.",
        },
        "citations": [{"id": "c-clarify", "section": "Model Evaluation", "quote": "Clarify detects bias"}],
        "phase": "Model Evaluation",
        "difficulty": "medium",
    }
    return ExamItem.from_json(data | changes)


def case_items() -> list[ExamItem]:
    """A two-question case study on one scenario: a single-answer item, then a matching item."""
    case = {"scenario": SCENARIO}
    first = ExamItem.from_json(
        {
            "type": "single",
            "family": "case",
            "case": case,
            "question": "Which AWS service gives the regulators the fairness evidence?",
            "options": {
                "A": "Amazon SageMaker Model Monitor",
                "B": "Amazon SageMaker Clarify",
                "C": "AWS Glue DataBrew",
                "D": "Amazon Kinesis Data Streams",
            },
            "answer": "B",
            "explanations": {"B": "Clarify measures bias metrics."},
            "phase": "Model Evaluation",
        }
    )
    second = matching_item(
        case=case,
        family="case",
        question="Match each of the lender's needs to the AWS service that meets it.",
        premises=["Fairness evidence for the regulators", "Alerts on drifting applications", "Store the records"],
        options={"A": "Amazon SageMaker Model Monitor", "B": "Amazon S3", "C": "Amazon SageMaker Clarify"},
        answer="C,A,B",
        explanations={},
        phase="Model Monitoring",
    )
    return [first, second]
