from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.directives import service as directives
from branchdesk.directives.permissions import DIRECTIVE_PUBLISH, DIRECTIVE_READ
from branchdesk.graphql import permissions as p
from branchdesk.graphql.directives.queries import directive_uuid
from branchdesk.graphql.directives.types import (
    Directive,
    DirectiveCategory,
    DirectiveQuestion,
    DirectiveTarget,
)
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text
from branchdesk.graphql.tenants.types import BranchLevel
from branchdesk.platform.errors import NotFound


@strawberry.input(description="A directive's content and reach; a correction restates all of it.")
class DirectiveContentInput:
    title_zh: str = text("The title in Chinese.", max_length=200)
    title_en: str = text("The title in English.", max_length=200)
    body_zh: str = text("The text in Chinese.", max_length=20_000)
    body_en: str = text("The text in English.", max_length=20_000)
    category: DirectiveCategory = strawberry.field(description="What it is about.")
    effective_on: date = strawberry.field(description="The day it takes effect.")
    deadline: datetime = strawberry.field(description="Attest by then (on or after the effective date).")
    roles: list[str] = text("The branch roles that must attest, e.g. `teller`.", max_length=50, each=True)
    target: DirectiveTarget = strawberry.field(description="Which branches it reaches.")
    level: BranchLevel | None = strawberry.field(
        default=None, description="With target LEVEL: the level (below head office)."
    )
    region: str | None = text(
        "With target REGION: the code of the branch whose tree it reaches.", max_length=16, default=None
    )
    branches: list[str] | None = text(
        "With target LIST: the branch codes (1 to 500).", max_length=16, each=True, default=None
    )
    attachments: list[str] | None = text(
        "References to attached documents (at most 20).", max_length=500, each=True, default=None
    )

    def draft(self) -> directives.DirectiveDraft:
        return directives.DirectiveDraft(
            title_zh=self.title_zh,
            title_en=self.title_en,
            body_zh=self.body_zh,
            body_en=self.body_en,
            category=self.category,
            effective_on=self.effective_on,
            deadline=self.deadline,
            roles=list(self.roles),
            target=self.target,
            level=self.level,
            region=self.region,
            branches=list(self.branches or []),
            attachments=list(self.attachments or []),
        )


@strawberry.input
class PublishDirectiveInput:
    content: DirectiveContentInput = strawberry.field(description="What it says and whom it reaches.")


@strawberry.input
class SupersedeDirectiveInput:
    id: strawberry.ID = strawberry.field(description="The current version to correct.")
    content: DirectiveContentInput = strawberry.field(description="The corrected directive, in full.")


@strawberry.input
class AttestDirectiveInput:
    id: strawberry.ID = strawberry.field(description="The directive (its current version).")


@strawberry.input
class AskAboutDirectiveInput:
    directive_id: strawberry.ID = strawberry.field(description="The directive asked about.")
    question: str = text("The question, for head office.", max_length=2000)


@strawberry.input
class AnswerDirectiveQuestionInput:
    question_id: strawberry.ID = strawberry.field(description="The branch's question.")
    answer: str = text("Head office's answer; the asker is told.", max_length=2000)


@payload
class DirectivePayload:
    directive: Directive | None = None


@payload
class DirectiveQuestionPayload:
    question: DirectiveQuestion | None = None
    directive: Directive | None = strawberry.field(
        default=None, description="The directive, with its questions as they are now."
    )


@strawberry.type
class Mutations:
    @p.mutation(
        DIRECTIVE_PUBLISH,
        "Head office publishes a directive to every branch, a level, a region or a list; the members holding "
        "the named roles are told in their inbox and must attest it by the deadline.",
    )
    async def publish_directive(self, info: Info, input: PublishDirectiveInput) -> DirectivePayload:
        async def publish(session: AsyncSession, by: Principal) -> dict[str, object]:
            published = await directives.publish(session, by, input.content.draft())
            return {"directive": Directive.of(directives.DirectiveRow(published))}

        return await mutate(info, DirectivePayload, publish)

    @p.mutation(
        DIRECTIVE_PUBLISH,
        "Correct a directive: a new version supersedes the current one (never edited) and asks for attestation "
        "again; attestations of the old version stay as they were.",
    )
    async def supersede_directive(self, info: Info, input: SupersedeDirectiveInput) -> DirectivePayload:
        async def supersede(session: AsyncSession, by: Principal) -> dict[str, object]:
            corrected = await directives.supersede(session, by, directive_uuid(input.id), input.content.draft())
            return {"directive": Directive.of(directives.DirectiveRow(corrected))}

        return await mutate(info, DirectivePayload, supersede)

    @p.mutation(
        DIRECTIVE_READ,
        "Attest a directive: read and understood, in one click. Recorded once with its time and never changed; "
        "after the deadline it is recorded as late, not refused.",
    )
    async def attest_directive(self, info: Info, input: AttestDirectiveInput) -> DirectivePayload:
        async def attest(session: AsyncSession, by: Principal) -> dict[str, object]:
            return {"directive": Directive.of(await directives.attest(session, by, directive_uuid(input.id)))}

        return await mutate(info, DirectivePayload, attest)

    @p.mutation(DIRECTIVE_READ, "Ask head office a question about a directive reaching the active branch.")
    async def ask_about_directive(self, info: Info, input: AskAboutDirectiveInput) -> DirectiveQuestionPayload:
        async def ask(session: AsyncSession, by: Principal) -> dict[str, object]:
            directive_id = directive_uuid(input.directive_id, "directiveId")
            question = await directives.ask(session, by, directive_id, input.question)
            [row] = await directives.directives_by_id(session, by, [directive_id])
            return {
                "question": DirectiveQuestion.of(question, by.branch.code if by.branch and by.branch.code else ""),
                "directive": Directive.of(row),
            }

        return await mutate(info, DirectiveQuestionPayload, ask)

    @p.mutation(DIRECTIVE_PUBLISH, "Head office answers a branch's question about a directive; the asker is told.")
    async def answer_directive_question(
        self, info: Info, input: AnswerDirectiveQuestionInput
    ) -> DirectiveQuestionPayload:
        async with info.context.runtime.db.platform_session() as platform:

            async def answer(session: AsyncSession, by: Principal) -> dict[str, object]:
                question_id = node_uuid(
                    input.question_id,
                    "DirectiveQuestion",
                    NotFound("Directive question", "通知提问", field="questionId"),
                )
                question, code = await directives.answer(session, by, platform, question_id, input.answer)
                [row] = await directives.directives_by_id(session, by, [question.directive_id])
                return {"question": DirectiveQuestion.of(question, code), "directive": Directive.of(row)}

            return await mutate(info, DirectiveQuestionPayload, answer)
