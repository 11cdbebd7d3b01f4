"""What a satisfaction response rates — a visit, a complaint or a follow-up — must be one of the branch's:
another branch's, or an id of nothing, is not found, named by its field, and nothing is recorded."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from branchdesk.platform.errors import DomainError
from branchdesk.surveys import service as surveys
from branchdesk.surveys.answers import AnswerDraft
from branchdesk.surveys.models import SurveyResponse
from branchdesk.surveys.rules import SubjectType
from branchdesk.visits import service as visits
from branchdesk.visits.rules import Purpose, ServiceLine
from tests.feedback.conftest import acting
from tests.surveys.conftest import define
from tests.visits.conftest import make_floor, register

pytestmark = pytest.mark.external

ANSWERS = [AnswerDraft(1, value=5), AnswerDraft(2, value=9)]


async def _rate(rt, branch, number, survey_id, subject_type, subject_id):
    async with acting(rt, branch, number) as (session, by):
        draft = surveys.ResponseDraft(list(ANSWERS), survey_id, subject_type=subject_type, subject_id=subject_id)
        return await surveys.record_response(session, by, draft)


async def _responses(rt, branch, survey_id) -> int:
    async with rt.db.session(branch.id) as session:
        return int(await session.scalar(select(func.count()).where(SurveyResponse.survey_id == survey_id)))


async def test_a_response_rates_only_a_visit_or_follow_up_of_the_branch(rt, world, crm_branch):
    # given a satisfaction survey, a visit registered in the branch, and a visit in another branch
    survey = await define(rt, crm_branch.branch, crm_branch.head)
    async with acting(rt, crm_branch.branch, crm_branch.lobby) as (session, by):
        draft = visits.VisitDraft(purpose=Purpose.CASH, line=ServiceLine.COUNTER)
        here = await visits.register_visit(session, by, draft)
    elsewhere = await register(rt, await make_floor(rt, world))

    # when the lobby manager records a response rating this branch's visit, it is kept with its subject
    rated = await _rate(rt, crm_branch.branch, crm_branch.lobby, survey.id, SubjectType.VISIT, here.id)
    assert (rated.subject_type, rated.subject_id) == ("visit", here.id)

    # but another branch's visit, an unknown follow-up, or a visit named as a follow-up is not found
    for subject_type, subject_id in [
        (SubjectType.VISIT, elsewhere.id),
        (SubjectType.FOLLOW_UP, uuid.uuid4()),
        (SubjectType.FOLLOW_UP, here.id),
    ]:
        with pytest.raises(DomainError) as refused:
            await _rate(rt, crm_branch.branch, crm_branch.lobby, survey.id, subject_type, subject_id)
        assert (refused.value.code, refused.value.field) == ("NOT_FOUND", "subjectId"), subject_type
    # and only the one response was recorded
    assert await _responses(rt, crm_branch.branch, survey.id) == 1
