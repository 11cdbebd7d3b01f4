from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.relay import Before, Cursor, First, Last, connection, page_request
from branchdesk.graphql.surveys.types import (
    ResultGrouping,
    SurveyConnection,
    SurveyFilter,
    SurveyNode,
    SurveyOrder,
    SurveyPeriod,
    SurveyResults,
)
from branchdesk.platform.errors import NotFound
from branchdesk.surveys import results, rules
from branchdesk.surveys import service as surveys


def survey_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Survey", NotFound("Survey", "问卷", field=field))


def filters_of(given: SurveyFilter | None) -> surveys.SurveyFilters:
    if given is None:
        return surveys.SurveyFilters()
    return surveys.SurveyFilters(
        purpose=rules.SurveyPurpose(given.purpose.value) if given.purpose else None,
        origin=rules.SurveyOrigin(given.origin.value) if given.origin else None,
    )


@strawberry.type
class Queries:
    @p.field(
        "survey:read",
        "Surveys of the active branch (its own and those head office published to it), newest first unless "
        "`orderBy` says otherwise.",
    )
    async def surveys(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[SurveyFilter | None, strawberry.argument(description="Which surveys.")] = None,
        order_by: SurveyOrder | None = None,
    ) -> SurveyConnection | None:
        ctx = info.context
        order = order_by or SurveyOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        wanted = filters_of(filter)
        page = await ctx.call(surveys.list_surveys, request, wanted)
        return connection(page, SurveyNode.of, SurveyConnection, total=lambda: ctx.call(surveys.count_surveys, wanted))

    @p.field("survey:read", "One survey of the active branch by id; null when there is no such survey here.")
    async def survey(self, info: Info, id: strawberry.ID) -> SurveyNode | None:
        found: SurveyNode | None = await info.context.loaders.survey.load(survey_uuid(id))
        return found

    @p.field(
        "survey:read",
        "A survey's results over a period: CSAT (share of 4-5 answers to its scale questions) and NPS (% "
        "promoters 9-10 minus % detractors 0-6), overall and per branch, staff member rated or month, and "
        "each question's answer distribution. A head-office survey read in the head office with "
        "`survey.results:read_all` counts every branch's responses (audited); otherwise the branch's own.",
    )
    async def survey_results(
        self,
        info: Info,
        survey_id: Annotated[strawberry.ID, strawberry.argument(description="The survey.")],
        period: Annotated[SurveyPeriod, strawberry.argument(description="Which days' responses count.")],
        group_by: Annotated[
            ResultGrouping,
            strawberry.argument(description="Group the scores per branch, staff member rated or month."),
        ],
    ) -> SurveyResults | None:
        ctx = info.context
        grouping = rules.ResultGrouping(group_by.value)
        wanted = survey_uuid(survey_id, "surveyId")
        if ctx.principal().in_head_office:
            async with ctx.runtime.db.platform_session() as platform:
                found = await ctx.call(results.survey_results, wanted, period.start, period.end, grouping, platform)
        else:
            found = await ctx.call(results.survey_results, wanted, period.start, period.end, grouping)
        return SurveyResults.of(found, grouping, ctx.locale)
