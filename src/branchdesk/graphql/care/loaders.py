"""Batched reads of care plans and follow-ups, one service call per batch; each returns only what the
caller may read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.care import follow_ups as work
from branchdesk.care import service as care
from branchdesk.care.models import CarePlanRun
from branchdesk.graphql.care.types import CarePlanNode, FollowUpNode
from branchdesk.graphql.loaders import loader

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("care_plan")
async def plans(ctx: Context, ids: list[uuid.UUID]) -> list[CarePlanNode | None]:
    found = {p.id: p for p in await ctx.call(care.plans_by_id, ids)}
    return [CarePlanNode.of(found[i]) if i in found else None for i in ids]


@loader("care_plan_run")
async def runs(ctx: Context, ids: list[uuid.UUID]) -> list[CarePlanRun | None]:
    found = await ctx.call(care.latest_runs, ids)
    return [found.get(i) for i in ids]


@loader("follow_up")
async def follow_ups(ctx: Context, ids: list[uuid.UUID]) -> list[FollowUpNode | None]:
    found = {f.id: f for f in await ctx.call(work.follow_ups_by_id, ids)}
    return [FollowUpNode.of(found[i]) if i in found else None for i in ids]


@loader("client_follow_ups")
async def client_follow_ups(ctx: Context, ids: list[uuid.UUID]) -> list[list[FollowUpNode]]:
    """Each client's follow-ups the caller may see, latest due first: for ``Client.followUps``."""
    found = await ctx.call(work.follow_ups_of_clients, ids)
    return [[FollowUpNode.of(f) for f in found.get(i, [])] for i in ids]


@loader("follow_up_card")
async def cards(ctx: Context, ids: list[uuid.UUID]) -> list[work.ClientCard | None]:
    found = await ctx.call(work.cards_of, ids)
    return [found.get(i) for i in ids]
