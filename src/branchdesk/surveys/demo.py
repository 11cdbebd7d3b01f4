"""Demo surveys for a branch: a satisfaction survey and a needs-analysis survey (客户需求分析), answered
by a share of its clients (set-based, deterministic), and the invitation its resolved complaint sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.surveys import invitations, repository
from branchdesk.surveys import service as surveys
from branchdesk.surveys.rules import QuestionKind, SurveyOrigin, SurveyPurpose

Q = surveys.QuestionDraft
SATISFACTION = surveys.SurveyDraft(
    "网点服务满意度调查",
    "Branch service satisfaction",
    SurveyPurpose.SATISFACTION,
    [
        Q(QuestionKind.SCALE, "您对本次服务的总体满意度如何?", "How satisfied are you with our service?"),
        Q(QuestionKind.NPS, "您有多大可能向亲友推荐我行?", "How likely are you to recommend us to a friend?"),
        Q(
            QuestionKind.MULTIPLE_CHOICE,
            "您认为哪些方面做得好?",
            "What did we do well?",
            required=False,
            options_zh=["办理速度", "服务态度", "专业程度", "网点环境"],
            options_en=["Speed", "Attitude", "Expertise", "Premises"],
        ),
        Q(QuestionKind.TEXT, "您还有什么建议?", "Anything we could do better?", required=False),
    ],
)
NEEDS = surveys.SurveyDraft(
    "客户需求分析问卷",
    "Client needs analysis",
    SurveyPurpose.NEEDS_ANALYSIS,
    [
        Q(
            QuestionKind.SINGLE_CHOICE,
            "您目前最主要的理财目标是?",
            "What is your main financial goal now?",
            options_zh=["子女教育", "养老储备", "购房", "资产增值"],
            options_en=["Children's education", "Retirement", "Buying a home", "Growing wealth"],
        ),
        Q(
            QuestionKind.MULTIPLE_CHOICE,
            "您关注哪些产品?",
            "Which products interest you?",
            options_zh=["定期存款", "理财产品", "基金", "保险", "贷款"],
            options_en=["Time deposits", "Wealth management", "Funds", "Insurance", "Loans"],
        ),
        Q(QuestionKind.SCALE, "您对我行产品的了解程度?", "How well do you know our products?"),
    ],
)


async def seed(session: AsyncSession, system: Principal, now: datetime) -> int:
    """Once per branch (a branch with surveys gets none). Returns how many responses were recorded."""
    page = await surveys.count_surveys(session, system, surveys.SurveyFilters(origin=SurveyOrigin.BRANCH))
    if page:
        return 0
    recorded = 0
    for draft, every, days in ((NEEDS, 5, 300), (SATISFACTION, 3, 150)):
        survey = await surveys.define_survey(session, system, draft)
        recorded += await repository.seed_responses(session, system.branch_id, survey.id, every, days, now)
    for complaint in await repository.resolved_complaints(session, system.branch_id):
        await invitations.invite_after_complaint(session, system, complaint)
    return recorded
