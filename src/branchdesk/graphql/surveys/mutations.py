from __future__ import annotations

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import inputs
from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.queries import client_uuid
from branchdesk.graphql.crm.types import Client
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.feedback.queries import feedback_uuid
from branchdesk.graphql.ids import staff_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.surveys.queries import survey_uuid
from branchdesk.graphql.surveys.types import (
    QuestionKind,
    SubjectType,
    SurveyNode,
    SurveyPurpose,
    SurveyResponseInfo,
)
from branchdesk.platform.errors import NotFound
from branchdesk.surveys import rules
from branchdesk.surveys import service as surveys
from branchdesk.surveys.answers import AnswerDraft


@strawberry.input(description="A question of a survey being defined.")
class SurveyQuestionInput:
    kind: QuestionKind = strawberry.field(description="How it is answered.")
    prompt_zh: str = text("The question in Chinese.", max_length=500)
    prompt_en: str = text("The question in English.", max_length=500)
    required: bool = strawberry.field(default=True, description="A response must answer it.")
    options_zh: list[str] = text(
        "A choice question's options in Chinese (2 to 20), numbered from 1.",
        max_length=200,
        each=True,
        default_factory=list,
    )
    options_en: list[str] = text(
        "The same options in English, in the same order.", max_length=200, each=True, default_factory=list
    )


@strawberry.input(description="A questionnaire for the active branch (or, in the head office, for every branch).")
class DefineSurveyInput:
    title_zh: str = text("Title in Chinese.", max_length=200)
    title_en: str = text("Title in English.", max_length=200)
    purpose: SurveyPurpose = strawberry.field(description="Needs analysis or satisfaction.")
    questions: list[SurveyQuestionInput] = strawberry.field(description="The questions, in the order asked (1 to 50).")


@strawberry.input(description="Publish a head-office survey to every branch.")
class PublishSurveyInput:
    id: strawberry.ID = strawberry.field(description="The head-office survey.")


@strawberry.input(description="One answer: fill the slot of the question's kind.")
class SurveyAnswerInput:
    question: int = strawberry.field(description="The question's position (1 for the first).")
    value: int | None = strawberry.field(
        default=None, description="Scale (1-5), NPS (0-10), or the option number of a single choice."
    )
    choices: list[int] | None = strawberry.field(default=None, description="Option numbers of a multiple choice.")
    text: str | None = inputs.text("A free-text answer.", max_length=2000, default=None)


@strawberry.input(description="A client's response: through an invitation, or for a survey of the branch.")
class RecordSurveyResponseInput:
    answers: list[SurveyAnswerInput] = strawberry.field(description="The answers; leave out unanswered ones.")
    survey_id: strawberry.ID | None = strawberry.field(
        default=None, description="The survey; not needed with an invitation token."
    )
    invitation_token: str | None = text(
        "The token of the invitation the client was sent: its survey, client, subject and rated staff member "
        "apply, and it can be answered once.",
        max_length=100,
        default=None,
    )
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="The client (one you may see); leave out for an anonymous response."
    )
    subject_type: SubjectType | None = strawberry.field(
        default=None, description="For a satisfaction survey: what it rates."
    )
    subject_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of what it rates (a complaint's `Feedback` id)."
    )
    rated_staff_id: strawberry.ID | None = strawberry.field(
        default=None, description="The staff member rated (defaults to a complaint's assignee)."
    )


async def _survey_now(root: SurveyPayload, info: Info) -> SurveyNode | None:
    if root.survey_id is None:
        return None
    found: SurveyNode | None = await info.context.loaders.survey.load(root.survey_id)
    return found


@payload
class SurveyPayload:
    survey: SurveyNode | None = strawberry.field(resolver=_survey_now, description="The survey as it is now.")
    branches: int | None = strawberry.field(
        default=None, description="Publishing: how many branches received the survey now."
    )
    survey_id: strawberry.Private[uuid.UUID | None] = None


async def _response_now(root: SurveyResponsePayload, info: Info) -> SurveyResponseInfo | None:
    if root.response_id is None:
        return None
    found: SurveyResponseInfo | None = await info.context.loaders.survey_response.load(root.response_id)
    return found


async def _client_now(root: SurveyResponsePayload, info: Info) -> Client | None:
    if root.client_id is None:
        return None
    found: Client | None = await info.context.loaders.client.load(root.client_id)
    return found


@payload
class SurveyResponsePayload:
    response: SurveyResponseInfo | None = strawberry.field(resolver=_response_now, description="The response.")
    client: Client | None = strawberry.field(
        resolver=_client_now, description="The client who responded, with their responses (null if anonymous)."
    )
    response_id: strawberry.Private[uuid.UUID | None] = None
    client_id: strawberry.Private[uuid.UUID | None] = None


def _subject(input: RecordSurveyResponseInput) -> tuple[rules.SubjectType | None, uuid.UUID | None]:
    """What the response rates. A complaint is named by its `Feedback` id (which says it is one, so the
    type may be left out); visits and follow-ups by their plain id until their domains land."""
    given = rules.SubjectType(input.subject_type.value) if input.subject_type else None
    if input.subject_id is None:
        return given, None
    if given in (None, rules.SubjectType.COMPLAINT):
        return rules.SubjectType.COMPLAINT, feedback_uuid(input.subject_id, "subjectId")
    try:
        return given, uuid.UUID(str(input.subject_id))
    except ValueError:
        raise NotFound("Subject", "评价对象", field="subjectId") from None


@strawberry.type
class Mutations:
    @p.mutation(
        "survey:define",
        "Define a questionnaire: in a branch, the branch's own; in the head office, one to publish to every "
        "branch. A satisfaction survey asks at least one scale or NPS question.",
    )
    async def define_survey(self, info: Info, input: DefineSurveyInput) -> SurveyPayload:
        async def define(session: AsyncSession, by: Principal) -> dict[str, object]:
            draft = surveys.SurveyDraft(
                title_zh=input.title_zh,
                title_en=input.title_en,
                purpose=rules.SurveyPurpose(input.purpose.value),
                questions=[
                    surveys.QuestionDraft(
                        kind=rules.QuestionKind(q.kind.value),
                        prompt_zh=q.prompt_zh,
                        prompt_en=q.prompt_en,
                        required=q.required,
                        options_zh=list(q.options_zh),
                        options_en=list(q.options_en),
                    )
                    for q in input.questions
                ],
            )
            return {"survey_id": (await surveys.define_survey(session, by, draft)).id}

        return await mutate(info, SurveyPayload, define)

    @p.mutation(
        "survey:define",
        "Publish a head-office survey: every active branch gets its copy (branches that have it keep theirs). "
        "Also takes `survey:publish`, which only the head office holds; a branch's own survey is not publishable.",
    )
    async def publish_survey(self, info: Info, input: PublishSurveyInput) -> SurveyPayload:
        async def publish(session: AsyncSession, by: Principal) -> dict[str, object]:
            survey, branches = await surveys.publish_survey(session, by, survey_uuid(input.id))
            return {"survey_id": survey.id, "branches": branches}

        return await mutate(info, SurveyPayload, publish)

    @p.mutation(
        "survey:respond",
        "Record a response. Each answer must match its question's kind and range and every required question "
        "be answered; errors name the answer (`answers[2].value`). Nothing is recorded unless all are right.",
    )
    async def record_survey_response(self, info: Info, input: RecordSurveyResponseInput) -> SurveyResponsePayload:
        async def record(session: AsyncSession, by: Principal) -> dict[str, object]:
            subject_type, subject_id = _subject(input)
            draft = surveys.ResponseDraft(
                answers=[
                    AnswerDraft(
                        question=a.question,
                        value=a.value,
                        choices=list(a.choices) if a.choices is not None else None,
                        text=a.text,
                    )
                    for a in input.answers
                ],
                survey_id=survey_uuid(input.survey_id, "surveyId") if input.survey_id is not None else None,
                invitation_token=input.invitation_token,
                client_id=client_uuid(input.client_id, "clientId") if input.client_id is not None else None,
                subject_type=subject_type,
                subject_id=subject_id,
                rated_staff_id=staff_uuid(input.rated_staff_id, "ratedStaffId")
                if input.rated_staff_id is not None
                else None,
            )
            response = await surveys.record_response(session, by, draft)
            return {"response_id": response.id, "client_id": response.client_id}

        return await mutate(info, SurveyResponsePayload, record)
