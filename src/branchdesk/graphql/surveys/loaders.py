"""Batched reads of surveys, one service call per batch; each returns only what the caller may read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.surveys.types import SurveyNode, SurveyResponseInfo
from branchdesk.surveys import service as surveys
from branchdesk.surveys.models import SurveyAnswer, SurveyQuestion

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("survey")
async def surveys_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[SurveyNode | None]:
    found = {s.id: s for s in await ctx.call(surveys.surveys_by_id, ids)}
    return [SurveyNode.of(found[i]) if i in found else None for i in ids]


@loader("survey_questions")
async def questions(ctx: Context, ids: list[uuid.UUID]) -> list[list[SurveyQuestion]]:
    found = await ctx.call(surveys.questions_of, ids)
    return [found.get(i, []) for i in ids]


@loader("survey_response")
async def responses(ctx: Context, ids: list[uuid.UUID]) -> list[SurveyResponseInfo | None]:
    found = {r.id: r for r in await ctx.call(surveys.responses_by_id, ids)}
    return [SurveyResponseInfo.of(found[i]) if i in found else None for i in ids]


@loader("survey_answers")
async def answers(ctx: Context, ids: list[uuid.UUID]) -> list[list[SurveyAnswer]]:
    found = await ctx.call(surveys.answers_of, ids)
    return [found.get(i, []) for i in ids]


@loader("client_survey_responses")
async def client_responses(ctx: Context, ids: list[uuid.UUID]) -> list[list[SurveyResponseInfo]]:
    """Each client's survey responses, newest first: for ``Client.surveyResponses``."""
    found = await ctx.call(surveys.responses_of_clients, ids)
    return [[SurveyResponseInfo.of(r) for r in found.get(i, [])] for i in ids]
