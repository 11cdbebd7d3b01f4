"""Checking a response's answers against the survey's questions: each answer matches its question's
kind and range, required questions are answered, and every problem names its path (``answers[2].value``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from branchdesk.platform.errors import DomainError
from branchdesk.surveys import errors
from branchdesk.surveys.models import SurveyQuestion
from branchdesk.surveys.rules import LABELS, RANGES, QuestionKind

EXPECTED = {
    QuestionKind.SINGLE_CHOICE: ("value", "`value` (an option number)", "value（选项序号）"),
    QuestionKind.MULTIPLE_CHOICE: ("choices", "`choices` (option numbers)", "choices（选项序号列表）"),
    QuestionKind.SCALE: ("value", "`value` (1 to 5)", "value（1 至 5）"),
    QuestionKind.NPS: ("value", "`value` (0 to 10)", "value（0 至 10）"),
    QuestionKind.TEXT: ("text", "`text`", "text（文字）"),
}
MAX_TEXT = 2000


@dataclass
class AnswerDraft:
    question: int  # the question's position, from 1
    value: int | None = None
    choices: list[int] | None = None
    text: str | None = None

    @property
    def empty(self) -> bool:
        return self.value is None and not self.choices and not (self.text or "").strip()


def _kind_error(question: SurveyQuestion, path: str) -> DomainError:
    kind = QuestionKind(question.kind)
    slot, expected, expected_zh = EXPECTED[kind]
    en, zh = LABELS[QuestionKind][kind.value]
    return DomainError(
        errors.ANSWER_KIND,
        field=f"{path}.{slot}",
        position=question.position,
        kind=en.lower(),
        kind_zh=zh,
        expected=f"{expected} / {expected_zh}",
    )


def _range_error(question: SurveyQuestion, field: str, low: int, high: int) -> DomainError:
    return DomainError(errors.ANSWER_RANGE, field=field, position=question.position, low=low, high=high)


def _check_one(
    question: SurveyQuestion, answer: AnswerDraft, path: str
) -> tuple[dict[str, Any] | None, DomainError | None]:
    kind = QuestionKind(question.kind)
    row: dict[str, Any] = {
        "question_id": question.id,
        "position": question.position,
        "kind": kind.value,
        "value": None,  # every row names every column: they are inserted in one multi-row statement
        "choices": None,
        "text": None,
    }
    options = len(question.options_zh)
    if kind is QuestionKind.MULTIPLE_CHOICE:
        if answer.value is not None or answer.text is not None or not answer.choices:
            return None, _kind_error(question, path)
        if len(set(answer.choices)) != len(answer.choices) or not all(1 <= c <= options for c in answer.choices):
            return None, _range_error(question, f"{path}.choices", 1, options)
        return row | {"choices": sorted(answer.choices)}, None
    if kind is QuestionKind.TEXT:
        text = (answer.text or "").strip()
        if answer.value is not None or answer.choices or not 1 <= len(text) <= MAX_TEXT:
            return None, _kind_error(question, path)
        return row | {"text": text}, None
    if answer.value is None or answer.choices or answer.text is not None:
        return None, _kind_error(question, path)
    low, high = RANGES.get(kind, (1, options))
    if not low <= answer.value <= high:
        return None, _range_error(question, f"{path}.value", low, high)
    return row | {"value": answer.value}, None


def check_answers(
    questions: list[SurveyQuestion], answers: list[AnswerDraft]
) -> tuple[list[dict[str, Any]], list[DomainError]]:
    """The answer rows to write (without ids) and every problem found, in the order of ``answers``."""
    by_position = {q.position: q for q in questions}
    rows: list[dict[str, Any]] = []
    problems: list[DomainError] = []
    answered: set[int] = set()
    for i, answer in enumerate(answers):
        path = f"answers[{i}]"
        question = by_position.get(answer.question)
        if question is None or answer.question in answered:
            problems.append(
                DomainError(
                    errors.UNKNOWN_QUESTION, field=f"{path}.question", position=answer.question, count=len(questions)
                )
            )
            continue
        if answer.empty:
            continue  # left blank: counted as unanswered below
        answered.add(answer.question)
        row, problem = _check_one(question, answer, path)
        if problem is not None:
            problems.append(problem)
        elif row is not None:
            rows.append(row)
    blank = {a.question: i for i, a in enumerate(answers) if a.empty}
    for question in questions:
        if question.required and question.position not in answered:
            index = blank.get(question.position)
            where = f"answers[{index}]" if index is not None else "answers"
            problems.append(DomainError(errors.ANSWER_REQUIRED, field=where, position=question.position))
    return rows, problems
