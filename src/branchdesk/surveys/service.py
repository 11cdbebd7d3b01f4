"""Surveys: defining a questionnaire (a branch's own, or head office's published to every branch),
reading them, and recording a client's response with every answer checked against its question.

Results are ``results``; the invitations a resolved complaint sends are ``invitations``.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_READ
from branchdesk.feedback import service as feedback
from branchdesk.platform import audit, references
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.surveys import errors, repository
from branchdesk.surveys.answers import AnswerDraft, check_answers
from branchdesk.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse
from branchdesk.surveys.permissions import SURVEY_DEFINE, SURVEY_PUBLISH, SURVEY_READ, SURVEY_RESPOND
from branchdesk.surveys.rules import (
    CHOICES,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    RANGES,
    SUBJECT_TABLES,
    InvitationStatus,
    QuestionKind,
    SubjectType,
    SurveyOrigin,
    SurveyPurpose,
)
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import BranchLevel, BranchStatus

SURVEY_ORDERS: dict[str, Key] = {
    "created_at": (Survey.created_at, Survey.id),
    "title": (Survey.title_zh, Survey.id),
}


@dataclass
class QuestionDraft:
    kind: QuestionKind
    prompt_zh: str
    prompt_en: str
    required: bool = True
    options_zh: list[str] = field(default_factory=list)
    options_en: list[str] = field(default_factory=list)


@dataclass
class SurveyDraft:
    title_zh: str
    title_en: str
    purpose: SurveyPurpose
    questions: list[QuestionDraft]


@dataclass
class ResponseDraft:
    answers: list[AnswerDraft]
    survey_id: uuid.UUID | None = None
    invitation_token: str | None = None
    client_id: uuid.UUID | None = None
    subject_type: SubjectType | None = None
    subject_id: uuid.UUID | None = None
    rated_staff_id: uuid.UUID | None = None


@dataclass(frozen=True)
class SurveyFilters:
    purpose: SurveyPurpose | None = None
    origin: SurveyOrigin | None = None


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


# --- defining -------------------------------------------------------------------------------------


def _check_draft(draft: SurveyDraft) -> list[DomainError]:
    problems: list[DomainError] = []
    if not (1 <= len(draft.title_zh.strip()) <= 200 and 1 <= len(draft.title_en.strip()) <= 200):
        field_name = "titleZh" if not 1 <= len(draft.title_zh.strip()) <= 200 else "titleEn"
        problems.append(DomainError(errors.TITLE_LENGTH, field=field_name))
    if not 1 <= len(draft.questions) <= MAX_QUESTIONS:
        problems.append(DomainError(errors.NO_QUESTIONS, field="questions", max=MAX_QUESTIONS))
    for i, question in enumerate(draft.questions):
        path = f"questions[{i}]"
        if not (1 <= len(question.prompt_zh.strip()) <= 500 and 1 <= len(question.prompt_en.strip()) <= 500):
            problems.append(DomainError(errors.PROMPT_LENGTH, field=f"{path}.promptZh"))
        named = [(zh.strip(), en.strip()) for zh, en in zip(question.options_zh, question.options_en, strict=False)]
        if question.kind in CHOICES:
            fine = (
                2 <= len(question.options_zh) <= MAX_OPTIONS
                and len(question.options_zh) == len(question.options_en)
                and all(1 <= len(zh) <= 200 and 1 <= len(en) <= 200 for zh, en in named)
            )
        else:
            fine = not question.options_zh and not question.options_en
        if not fine:
            problems.append(DomainError(errors.OPTIONS, field=f"{path}.optionsZh", max=MAX_OPTIONS))
    scored = any(q.kind in RANGES for q in draft.questions)
    if draft.purpose is SurveyPurpose.SATISFACTION and draft.questions and not scored:
        problems.append(DomainError(errors.SATISFACTION_SCORE, field="questions"))
    return problems


async def define_survey(session: AsyncSession, by: Principal, draft: SurveyDraft) -> Survey:
    """A questionnaire of the active branch; defined in the head office, it can then be published."""
    by.require(SURVEY_DEFINE)
    problems = _check_draft(draft)
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    survey = Survey(
        id=new_id(),
        tenant_id=by.branch_id,
        title_zh=draft.title_zh.strip(),
        title_en=draft.title_en.strip(),
        purpose=draft.purpose.value,
        origin=(SurveyOrigin.HEAD_OFFICE if by.in_head_office else SurveyOrigin.BRANCH).value,
        created_by=by.staff_id,
        created_at=now,
    )
    session.add(survey)
    await session.flush()
    for position, question in enumerate(draft.questions, start=1):
        session.add(
            SurveyQuestion(
                id=new_id(),
                tenant_id=by.branch_id,
                survey_id=survey.id,
                position=position,
                kind=question.kind.value,
                prompt_zh=question.prompt_zh.strip(),
                prompt_en=question.prompt_en.strip(),
                required=question.required,
                options_zh=[o.strip() for o in question.options_zh],
                options_en=[o.strip() for o in question.options_en],
            )
        )
    await session.flush()
    details = {"purpose": survey.purpose, "questions": len(draft.questions), "origin": survey.origin}
    await audit.record(session, by.branch_id, by.author, "survey.defined", "survey", survey.id, details)
    return survey


async def publish_survey(session: AsyncSession, by: Principal, survey_id: uuid.UUID) -> tuple[Survey, int]:
    """Head office copies its survey into every active branch (those that have it already keep it), in
    the caller's one transaction. Returns the survey and how many branches received it now. Whoever
    defines surveys learns whether one is publishable (a branch's own is not); publishing it takes
    ``survey:publish``, which only the head office can hold."""
    by.require(SURVEY_DEFINE)
    found = await repository.surveys_by_id(session, by.branch_id, [survey_id])
    if not found:
        raise NotFound("Survey", "问卷", field="id")
    survey = found[0]
    if survey.origin != SurveyOrigin.HEAD_OFFICE or survey.source_id is not None or not by.in_head_office:
        raise DomainError(errors.NOT_PUBLISHABLE, field="id")
    by.require(SURVEY_PUBLISH)
    questions = [
        {
            "position": q.position,
            "kind": q.kind,
            "prompt_zh": q.prompt_zh,
            "prompt_en": q.prompt_en,
            "required": q.required,
            "options_zh": q.options_zh,
            "options_en": q.options_en,
        }
        for q in await repository.questions_of(session, by.branch_id, [survey.id])
    ]
    now = utcnow()
    copy = {
        "title_zh": survey.title_zh,
        "title_en": survey.title_en,
        "purpose": survey.purpose,
        "origin": SurveyOrigin.HEAD_OFFICE.value,
        "source_id": survey.id,
        "created_by": by.staff_id,
        "published_at": now,
        "created_at": now,
    }
    published = 0
    for branch in await tenants.all_branches(session):
        if (
            branch.id == by.branch_id
            or branch.level is BranchLevel.HEAD_OFFICE
            or branch.status is not BranchStatus.ACTIVE
        ):
            continue
        async with across(session, by, branch.id) as there:
            if await repository.copy_survey(session, branch.id, {**copy, "id": new_id()}, questions):
                published += 1
                details = {"source_id": str(survey.id)}
                await audit.record(session, branch.id, there.author, "survey.published", "survey", survey.id, details)
    survey.published_at = now
    await session.flush()
    await audit.record(
        session, by.branch_id, by.author, "survey.published", "survey", survey.id, {"branches": published}
    )
    return survey, published


# --- reading --------------------------------------------------------------------------------------


def _filters(given: SurveyFilters) -> repository.Filters:
    return repository.Filters(
        purpose=given.purpose.value if given.purpose else None, origin=given.origin.value if given.origin else None
    )


async def list_surveys(session: AsyncSession, by: Principal, page: PageRequest, filters: SurveyFilters) -> Page[Survey]:
    """The branch's surveys (its own and those head office published to it), newest first by default."""
    by.require(SURVEY_READ)
    stmt = repository.surveys_query(by.branch_id, _filters(filters))
    return await keyset(session, stmt, SURVEY_ORDERS[page.order_by or "created_at"], page, lambda row: row)


async def count_surveys(session: AsyncSession, by: Principal, filters: SurveyFilters) -> int:
    by.require(SURVEY_READ)
    return await count(session, repository.surveys_query(by.branch_id, _filters(filters)))


async def surveys_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Survey]:
    """The branch's surveys by id: for those who read surveys or record responses; never an error."""
    if not (by.can(SURVEY_READ) or by.can(SURVEY_RESPOND)):
        return []
    return await repository.surveys_by_id(session, by.branch_id, ids)


async def questions_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[SurveyQuestion]]:
    if not (by.can(SURVEY_READ) or by.can(SURVEY_RESPOND)):
        return {}
    found: dict[uuid.UUID, list[SurveyQuestion]] = {}
    for question in await repository.questions_of(session, by.branch_id, ids):
        found.setdefault(question.survey_id, []).append(question)
    return found


async def responses_of_clients(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[SurveyResponse]]:
    """Each client's responses, newest first (the caller reached the clients through a scoped read)."""
    if not by.can(SURVEY_READ):
        return {}
    found: dict[uuid.UUID, list[SurveyResponse]] = {}
    for response in await repository.responses_of_clients(session, by.branch_id, client_ids):
        assert response.client_id is not None
        found.setdefault(response.client_id, []).append(response)
    return found


async def responses_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[SurveyResponse]:
    if not (by.can(SURVEY_READ) or by.can(SURVEY_RESPOND)):
        return []
    return await repository.responses_by_id(session, by.branch_id, ids)


async def answers_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[SurveyAnswer]]:
    if not (by.can(SURVEY_READ) or by.can(SURVEY_RESPOND)):
        return {}
    found: dict[uuid.UUID, list[SurveyAnswer]] = {}
    for answer in await repository.answers_of(session, by.branch_id, ids):
        found.setdefault(answer.response_id, []).append(answer)
    return found


# --- responding -----------------------------------------------------------------------------------


async def _check_client(session: AsyncSession, by: Principal, client_id: uuid.UUID) -> None:
    """As for feedback: a client in the caller's data scope, or (for those who read only routing cards)
    any client of the branch they can guide; anything else is not found."""
    if by.data_scope(CLIENT_READ) is not None:
        found = bool(await crm.clients_by_id(session, by, [client_id]))
    elif by.can(CLIENT_CARD_READ):
        found = bool(await crm.routing_cards(session, by, [client_id]))
    else:
        found = False
    if not found:
        raise NotFound("Client", "客户", field="clientId")


async def _rated_by_subject(session: AsyncSession, by: Principal, draft: ResponseDraft) -> uuid.UUID | None:
    """Check what a satisfaction response rates (it must exist in the branch); returns the staff member it
    rates by default (a complaint's assignee)."""
    if draft.subject_type is None or draft.subject_id is None:
        return None
    if draft.subject_type is SubjectType.COMPLAINT:
        found = await feedback.feedback_by_id(session, by, [draft.subject_id])
        if not found or found[0].state is None:
            raise NotFound("Complaint", "投诉", field="subjectId")
        return found[0].assignee_id
    if not await references.present(session, SUBJECT_TABLES[draft.subject_type], by.branch_id, draft.subject_id):
        raise NotFound(*_SUBJECT_LABELS[draft.subject_type], field="subjectId")
    return None


_SUBJECT_LABELS = {SubjectType.VISIT: ("Visit", "到访"), SubjectType.FOLLOW_UP: ("Follow-up", "跟进")}


async def _invitation(session: AsyncSession, by: Principal, draft: ResponseDraft) -> SurveyInvitation:
    assert draft.invitation_token is not None
    invitation = await repository.invitation_by_token_for_update(
        session, by.branch_id, token_hash(draft.invitation_token)
    )
    if invitation is None:
        raise NotFound("Survey invitation", "问卷邀请", field="invitationToken")
    if invitation.status != InvitationStatus.SENT or invitation.survey_id is None:
        raise DomainError(errors.INVITATION_USED, field="invitationToken")
    return invitation


async def record_response(session: AsyncSession, by: Principal, draft: ResponseDraft) -> SurveyResponse:
    """Record a response: through an invitation (its survey, client, subject and rated staff member), or
    for a client in the caller's scope, or anonymous. Every answer is checked against its question, all
    problems reported together with their paths; nothing is written unless all are right. What the
    response names is looked up first, so another branch's client, complaint or member is not found
    whatever else is wrong."""
    by.require(SURVEY_RESPOND)
    client_id: uuid.UUID | None
    subject_type: str | None
    subject_id: uuid.UUID | None
    invitation = await _invitation(session, by, draft) if draft.invitation_token is not None else None
    if invitation is not None:
        survey_id, client_id = invitation.survey_id, invitation.client_id
        subject_type, subject_id = invitation.subject_type, invitation.subject_id
        rated = invitation.rated_staff_id
    else:
        if draft.client_id is not None:
            await _check_client(session, by, draft.client_id)
        rated = await _rated_by_subject(session, by, draft)
        if draft.rated_staff_id is not None:
            if await tenants.membership(session, by.branch_id, draft.rated_staff_id) is None:
                raise NotFound("Staff member", "员工", field="ratedStaffId")
            rated = draft.rated_staff_id
        survey_id, client_id, subject_id = draft.survey_id, draft.client_id, draft.subject_id
        subject_type = draft.subject_type.value if draft.subject_type else None
    if survey_id is None:
        raise DomainError(errors.SURVEY_REQUIRED, field="surveyId")
    surveys = await repository.surveys_by_id(session, by.branch_id, [survey_id])
    if not surveys:
        raise NotFound("Survey", "问卷", field="surveyId")
    survey = surveys[0]
    questions = await repository.questions_of(session, by.branch_id, [survey.id])
    rows, problems = check_answers(questions, draft.answers)
    half_named = (draft.subject_type is None) != (draft.subject_id is None)
    not_rating = subject_type is not None and survey.purpose != SurveyPurpose.SATISFACTION
    if invitation is None and (half_named or not_rating):
        problems.append(DomainError(errors.SUBJECT_NOT_RATED, field="subjectType"))
    if problems:
        raise InvalidInput(problems)
    now = utcnow()
    branch = await tenants.branch_by_id(session, by.branch_id)
    response = SurveyResponse(
        id=new_id(),
        tenant_id=by.branch_id,
        survey_id=survey.id,
        client_id=client_id,
        invitation_id=invitation.id if invitation else None,
        subject_type=subject_type,
        subject_id=subject_id,
        rated_staff_id=rated,
        responded_at=now,
        responded_on=_local_day(now, branch.timezone),
        recorded_by=by.staff_id,
    )
    session.add(response)
    await session.flush()
    for row in rows:
        row |= {"tenant_id": by.branch_id, "id": new_id(), "response_id": response.id, "survey_id": survey.id}
    await repository.record_answers(session, rows)
    if invitation is not None:
        invitation.status, invitation.answered_at = InvitationStatus.ANSWERED.value, now
        await session.flush()
    details = {"survey_id": str(survey.id), "answers": len(rows), "anonymous": client_id is None}
    await audit.record(session, by.branch_id, by.author, "survey.responded", "survey_response", response.id, details)
    return response


def _local_day(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()
