"""Batched reads of feedback, one service call per batch; each returns only what the caller may read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from branchdesk.feedback import service as feedback
from branchdesk.feedback.models import FeedbackCategory
from branchdesk.graphql.feedback.types import FeedbackNode
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("feedback")
async def feedback_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[FeedbackNode | None]:
    found = {f.id: f for f in await ctx.call(feedback.feedback_by_id, ids)}
    return [FeedbackNode.of(found[i]) if i in found else None for i in ids]


@loader("feedback_category")
async def categories(ctx: Context, ids: list[uuid.UUID]) -> list[FeedbackCategory | None]:
    found = {c.id: c for c in await ctx.call(feedback.categories_by_id, ids)}
    return [found.get(i) for i in ids]


@loader("client_feedback")
async def client_feedback(ctx: Context, ids: list[uuid.UUID]) -> list[list[FeedbackNode]]:
    """Each client's feedback, newest first: for ``Client.feedback``."""
    found = await ctx.call(feedback.feedback_of_clients, ids)
    return [[FeedbackNode.of(f) for f in found.get(i, [])] for i in ids]


@loader("complaint_history")
async def history(ctx: Context, ids: list[uuid.UUID]) -> list[list[Any]]:
    found = await ctx.call(feedback.history_of, ids)
    return [found.get(i, []) for i in ids]


@loader("complaint_escalations")
async def escalations(ctx: Context, ids: list[uuid.UUID]) -> list[list[Any]]:
    found = await ctx.call(feedback.escalations_of, ids)
    return [found.get(i, []) for i in ids]
