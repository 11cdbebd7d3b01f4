"""A branch of its own for survey tests (the CRM tests' branch: a head, two customer managers, a teller,
a lobby manager, IT support) and small factories that go through the services."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from branchdesk.crm import records
from branchdesk.crm import service as crm
from branchdesk.crm.rules import ContactChannel
from branchdesk.feedback import service as feedback
from branchdesk.feedback.rules import ComplaintAction
from branchdesk.surveys import service as surveys
from branchdesk.surveys.answers import AnswerDraft
from branchdesk.surveys.rules import QuestionKind, SubjectType, SurveyPurpose
from branchdesk.tenants import repository as tenants
from tests.crm.conftest import as_staff, crm_branch  # noqa: F401  (fixtures shared with the CRM tests)
from tests.feedback.conftest import acting, submit

SATISFACTION = [
    surveys.QuestionDraft(QuestionKind.SCALE, "您对本次服务满意吗?", "How satisfied are you with the service?"),
    surveys.QuestionDraft(QuestionKind.NPS, "您向亲友推荐我行的可能性?", "How likely are you to recommend us?"),
    surveys.QuestionDraft(
        QuestionKind.MULTIPLE_CHOICE,
        "哪些方面做得好?",
        "What went well?",
        required=False,
        options_zh=["速度", "态度", "专业"],
        options_en=["Speed", "Attitude", "Expertise"],
    ),
    surveys.QuestionDraft(QuestionKind.TEXT, "其他意见", "Anything else?", required=False),
]


async def define(
    rt: Any, branch: Any, employee_number: str, purpose: SurveyPurpose = SurveyPurpose.SATISFACTION
) -> Any:
    async with acting(rt, branch, employee_number) as (session, by):
        draft = surveys.SurveyDraft(f"满意度调查 {secrets.token_hex(3)}", "Satisfaction", purpose, list(SATISFACTION))
        return await surveys.define_survey(session, by, draft)


async def new_client(
    rt: Any, branch: Any, employee_number: str, consents: list[ContactChannel], do_not_contact: bool = False
) -> Any:
    async with acting(rt, branch, employee_number) as (session, by):
        draft = crm.ClientDraft(
            client_number=f"S{secrets.token_hex(5).upper()}",
            name="李娜",
            phone="139" + f"{secrets.randbelow(10**8):08d}",
            consents=consents,
            do_not_contact=do_not_contact,
        )
        return await records.create_client(session, by, draft)


async def respond(
    rt: Any,
    branch: Any,
    employee_number: str,
    survey_id: uuid.UUID,
    scale: int | None,
    nps: int | None,
    *,
    rated: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    choices: list[int] | None = None,
) -> Any:
    answers = [AnswerDraft(1, value=scale), AnswerDraft(2, value=nps)]
    if choices:
        answers.append(AnswerDraft(3, choices=choices))
    async with acting(rt, branch, employee_number) as (session, by):
        draft = surveys.ResponseDraft(answers, survey_id, client_id=client_id, rated_staff_id=rated)
        return await surveys.record_response(session, by, draft)


async def resolved_complaint(
    rt: Any, branch: Any, head: str, client_id: uuid.UUID | None, assignee: str | None = None
) -> Any:
    """A complaint taken through its workflow to resolved by the branch head."""
    made = await submit(rt, branch, head, client_id=client_id)
    async with acting(rt, branch, head) as (session, by):
        if assignee is not None:
            staff = await tenants.staff_by_employee_number(session, assignee)
            await feedback.assign(session, by, made.id, staff.id)
        for action in (ComplaintAction.ACKNOWLEDGE, ComplaintAction.START_INVESTIGATION):
            await feedback.transition(session, by, made.id, action)
        return await feedback.transition(session, by, made.id, ComplaintAction.RESOLVE, resolution="已致歉并改进")


__all__ = ["SubjectType", "define", "new_client", "resolved_complaint", "respond"]
