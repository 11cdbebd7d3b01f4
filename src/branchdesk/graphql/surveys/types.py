"""GraphQL types of surveys: the questionnaire and its questions, a client's response, and results."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from branchdesk.graphql.labels import graphql_enum, localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import CountedConnection, OrderDirection
from branchdesk.graphql.tenants.types import Branch, StaffMember, member_or_none
from branchdesk.surveys import results, rules
from branchdesk.surveys.models import Survey as SurveyRow
from branchdesk.surveys.models import SurveyAnswer, SurveyQuestion, SurveyResponse

if TYPE_CHECKING:
    from branchdesk.graphql.crm.types import Client

SurveyPurpose = graphql_enum(rules.SurveyPurpose, "SurveyPurpose", "What a survey is for.")
SurveyOrigin = graphql_enum(rules.SurveyOrigin, "SurveyOrigin", "Who defined a survey.")
QuestionKind = graphql_enum(rules.QuestionKind, "SurveyQuestionKind", "How a survey question is answered.")
SubjectType = graphql_enum(rules.SubjectType, "SurveySubjectType", "What a satisfaction response rates.")
ResultGrouping = graphql_enum(rules.ResultGrouping, "SurveyResultGrouping", "How survey results are grouped.")


@strawberry.type(description="One option of a choice question, numbered from 1.")
class SurveyOption:
    number: int = strawberry.field(description="What an answer gives as `value` or in `choices`.")
    label_zh: str = strawberry.field(description="The option in Chinese.")
    label_en: str = strawberry.field(description="The option in English.")
    label: str = strawberry.field(description="The option in the caller's language.")


@strawberry.type(name="SurveyQuestion", description="A question of a survey, in the order asked.")
class SurveyQuestionInfo:
    position: int = strawberry.field(description="1 for the first question; what an answer's `question` names.")
    kind: QuestionKind = strawberry.field(description="How it is answered.")  # type: ignore[valid-type]
    prompt_zh: str = strawberry.field(description="The question in Chinese.")
    prompt_en: str = strawberry.field(description="The question in English.")
    prompt: str = strawberry.field(description="The question in the caller's language.")
    required: bool = strawberry.field(description="A response must answer it.")
    options: list[SurveyOption] = strawberry.field(description="The options of a choice question; empty otherwise.")

    @classmethod
    def of(cls, found: SurveyQuestion, locale: str) -> SurveyQuestionInfo:
        return cls(
            position=found.position,
            kind=rules.QuestionKind(found.kind),
            prompt_zh=found.prompt_zh,
            prompt_en=found.prompt_en,
            prompt=localized(found.prompt_en, found.prompt_zh, locale),
            required=found.required,
            options=[
                SurveyOption(number=i, label_zh=zh, label_en=en, label=localized(en, zh, locale))
                for i, (zh, en) in enumerate(zip(found.options_zh, found.options_en, strict=True), start=1)
            ],
        )


@strawberry.type(
    name="Survey",
    description="A client questionnaire (客户需求分析 or 满意度): the branch's own, or head office's published to it.",
)
class SurveyNode(LoadedNode):
    node_loader = "survey"
    id: relay.NodeID[str]
    title_zh: str = strawberry.field(description="Title in Chinese.")
    title_en: str = strawberry.field(description="Title in English.")
    purpose: SurveyPurpose = strawberry.field(description="Needs analysis or satisfaction.")  # type: ignore[valid-type]
    origin: SurveyOrigin = strawberry.field(description="The branch's own, or head office's.")  # type: ignore[valid-type]
    published_at: datetime | None = strawberry.field(
        description="When head office published it to the branches; null for a branch's own survey."
    )
    created_at: datetime = strawberry.field(description="When it was defined (or reached this branch).")
    title_pair: strawberry.Private[tuple[str, str]]

    @classmethod
    def of(cls, found: SurveyRow) -> SurveyNode:
        return cls(
            id=str(found.id),
            title_zh=found.title_zh,
            title_en=found.title_en,
            purpose=rules.SurveyPurpose(found.purpose),
            origin=rules.SurveyOrigin(found.origin),
            published_at=found.published_at,
            created_at=found.created_at,
            title_pair=(found.title_en, found.title_zh),
        )

    @strawberry.field(description="The title in the caller's language.")
    def title(self, info: Info) -> str:
        return localized(*self.title_pair, info.context.locale)

    @strawberry.field(description="The questions, in the order asked.")
    async def questions(self, info: Info) -> list[SurveyQuestionInfo]:
        found: list[SurveyQuestion] = await info.context.loaders.survey_questions.load(uuid.UUID(self.id))
        return [SurveyQuestionInfo.of(q, info.context.locale) for q in found]


@strawberry.type(name="SurveyConnection", description="A page of surveys.")
class SurveyConnection(CountedConnection[SurveyNode]):
    pass


@strawberry.type(description="One answer of a response.")
class SurveyAnswerInfo:
    question: int = strawberry.field(description="The question's position.")
    kind: QuestionKind = strawberry.field(description="The question's kind.")  # type: ignore[valid-type]
    value: int | None = strawberry.field(description="A scale or NPS score, or the option of a single choice.")
    choices: list[int] | None = strawberry.field(description="The options of a multiple choice.")
    text: str | None = strawberry.field(description="A free-text answer.")

    @classmethod
    def of(cls, found: SurveyAnswer) -> SurveyAnswerInfo:
        return cls(
            question=found.position,
            kind=rules.QuestionKind(found.kind),
            value=found.value,
            choices=list(found.choices) if found.choices is not None else None,
            text=found.text,
        )


@strawberry.type(name="SurveyResponse", description="A client's (or an anonymous) response to a survey.")
class SurveyResponseInfo:
    responded_at: datetime = strawberry.field(description="When it was answered.")
    anonymous: bool = strawberry.field(description="No client is named.")
    subject_type: SubjectType | None = strawberry.field(description="What it rates, for a satisfaction survey.")  # type: ignore[valid-type]
    subject_id: strawberry.ID | None = strawberry.field(
        description="The id of what it rates (a `Feedback` id for a complaint)."
    )
    through_invitation: bool = strawberry.field(description="Answered through an invitation the client was sent.")
    response_id: strawberry.Private[uuid.UUID]
    survey_id: strawberry.Private[uuid.UUID]
    client_id: strawberry.Private[uuid.UUID | None]
    rated_staff_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def of(cls, found: SurveyResponse) -> SurveyResponseInfo:
        return cls(
            responded_at=found.responded_at,
            anonymous=found.client_id is None,
            subject_type=rules.SubjectType(found.subject_type) if found.subject_type else None,
            subject_id=strawberry.ID(_subject_id(found)) if found.subject_id else None,
            through_invitation=found.invitation_id is not None,
            response_id=found.id,
            survey_id=found.survey_id,
            client_id=found.client_id,
            rated_staff_id=found.rated_staff_id,
        )

    @strawberry.field(description="The survey answered.")
    async def survey(self, info: Info) -> SurveyNode | None:
        found: SurveyNode | None = await info.context.loaders.survey.load(self.survey_id)
        return found

    @strawberry.field(description="The client; null when anonymous or outside your data scope.")
    async def client(self, info: Info) -> Annotated[Client, strawberry.lazy("branchdesk.graphql.crm.types")] | None:
        if self.client_id is None:
            return None
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found

    @strawberry.field(description="The staff member rated (a complaint's assignee, a visit's server); null if none.")
    async def rated_staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.rated_staff_id)

    @strawberry.field(description="The answers, in question order.")
    async def answers(self, info: Info) -> list[SurveyAnswerInfo]:
        found: list[SurveyAnswer] = await info.context.loaders.survey_answers.load(self.response_id)
        return [SurveyAnswerInfo.of(a) for a in found]


def _subject_id(found: SurveyResponse) -> str:
    """A complaint is named by its `Feedback` global id; other subjects by their plain id for now."""
    if found.subject_type == rules.SubjectType.COMPLAINT:
        return relay.to_base64("Feedback", str(found.subject_id))
    return str(found.subject_id)


@strawberry.type(description="Satisfaction scores of a group of responses.")
class SurveyScore:
    responses: int = strawberry.field(description="Responses counted.")
    scale_answers: int = strawberry.field(description="Answers to scale (1-5) questions.")
    satisfied: int = strawberry.field(description="Scale answers of 4 or 5.")
    csat: float | None = strawberry.field(
        description="CSAT: percent of scale answers that are satisfied (4-5); null without scale answers."
    )
    nps_answers: int = strawberry.field(description="Answers to NPS (0-10) questions.")
    promoters: int = strawberry.field(description="NPS answers of 9 or 10.")
    detractors: int = strawberry.field(description="NPS answers of 0 to 6.")
    nps: float | None = strawberry.field(
        description="NPS: percent promoters minus percent detractors (-100 to 100); null without NPS answers."
    )

    @classmethod
    def of(cls, found: results.Score) -> SurveyScore:
        return cls(
            responses=found.responses,
            scale_answers=found.scale_answers,
            satisfied=found.satisfied,
            csat=found.csat,
            nps_answers=found.nps_answers,
            promoters=found.promoters,
            detractors=found.detractors,
            nps=found.nps,
        )


@strawberry.type(description="The scores of one group: a branch, a staff member rated, or a month.")
class SurveyResultGroup:
    score: SurveyScore = strawberry.field(description="The group's scores.")
    month: date | None = strawberry.field(description="Grouped by month: its first day.")
    staff_number: str | None = strawberry.field(
        description="Grouped by staff member: the rated member's employee number, whichever branch they are in "
        "(head office's results across branches name members of every branch); null for responses rating nobody."
    )
    staff_name: str | None = strawberry.field(
        description="Grouped by staff member: the rated member's name, whichever branch they are in."
    )
    branch_id: strawberry.Private[uuid.UUID | None]
    staff_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Grouped by branch: the branch (null if you may not see it).")
    async def branch(self, info: Info) -> Branch | None:
        if self.branch_id is None:
            return None
        found: Branch | None = await info.context.loaders.branch.load(self.branch_id)
        return found

    @strawberry.field(
        description="Grouped by staff member: the one rated (null for responses rating nobody, or a member of "
        "another branch: `staffNumber` and `staffName` name them)."
    )
    async def staff(self, info: Info) -> StaffMember | None:
        return await member_or_none(info, self.staff_id)


@strawberry.type(description="How often one value (or option) was given to a question.")
class SurveyAnswerCount:
    value: int | None = strawberry.field(description="The score or option number; null for free-text answers.")
    label: str | None = strawberry.field(description="The option's label, for a choice question.")
    answers: int = strawberry.field(description="How many answers gave it.")


@strawberry.type(description="The distribution of a question's answers.")
class SurveyQuestionDistribution:
    question: SurveyQuestionInfo = strawberry.field(description="The question.")
    counts: list[SurveyAnswerCount] = strawberry.field(description="Per value given, lowest first.")


@strawberry.type(description="A survey's results over a period: scores per group, overall, and distributions.")
class SurveyResults:
    survey: SurveyNode = strawberry.field(description="The survey.")
    across_branches: bool = strawberry.field(
        description="Counts every branch's responses (a head-office survey read in the head office)."
    )
    total: SurveyScore = strawberry.field(description="Scores of all responses of the period.")
    groups: list[SurveyResultGroup] = strawberry.field(description="Scores per group, in key order.")
    distributions: list[SurveyQuestionDistribution] = strawberry.field(description="Per question, in order.")

    @classmethod
    def of(cls, found: results.Results, grouping: rules.ResultGrouping, locale: str) -> SurveyResults:
        def group(score: results.Score) -> SurveyResultGroup:
            key = score.key
            number, name = (
                found.rated.get(key, (None, None)) if grouping is rules.ResultGrouping.STAFF else (None, None)
            )
            return SurveyResultGroup(
                score=SurveyScore.of(score),
                month=key if grouping is rules.ResultGrouping.MONTH else None,
                staff_number=number,
                staff_name=name,
                branch_id=key if grouping is rules.ResultGrouping.BRANCH else None,
                staff_id=key if grouping is rules.ResultGrouping.STAFF else None,
            )

        def spread(d: results.Distribution) -> SurveyQuestionDistribution:
            options = dict(enumerate(zip(d.question.options_en, d.question.options_zh, strict=True), start=1))
            return SurveyQuestionDistribution(
                question=SurveyQuestionInfo.of(d.question, locale),
                counts=[
                    SurveyAnswerCount(
                        value=value,
                        label=localized(*options[value], locale) if value in options and options else None,
                        answers=answers,
                    )
                    for value, answers in d.counts
                ],
            )

        return cls(
            survey=SurveyNode.of(found.survey),
            across_branches=found.across_branches,
            total=SurveyScore.of(found.total),
            groups=[group(g) for g in found.groups],
            distributions=[spread(d) for d in found.distributions],
        )


@strawberry.enum(description="What a survey list is sorted by.")
class SurveyOrderField(Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was defined; ties by id.")
    TITLE = strawberry.enum_value("title", description="Its Chinese title; ties by id.")


@strawberry.input(description="How a survey list is sorted.")
class SurveyOrder:
    field: SurveyOrderField = SurveyOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Which surveys a list shows (all given conditions hold).")
class SurveyFilter:
    purpose: SurveyPurpose | None = strawberry.field(default=None, description="Only this purpose.")  # type: ignore[valid-type]
    origin: SurveyOrigin | None = strawberry.field(default=None, description="Only the branch's own, or head office's.")  # type: ignore[valid-type]


@strawberry.input(description="A period of the branch's calendar days, both included.")
class SurveyPeriod:
    start: date = strawberry.field(description="The first day.")
    end: date = strawberry.field(description="The last day (the same as or after the first).")
