"""Batched reads of meetings, one service call per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.handoffs.types import HandoffNode
from branchdesk.graphql.loaders import loader
from branchdesk.graphql.meetings.types import MeetingNode
from branchdesk.meetings import service as meetings
from branchdesk.meetings.models import MeetingAttendee

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("meeting")
async def meeting_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[MeetingNode | None]:
    found = {m.id: m for m in await ctx.call(meetings.meetings_by_id, ids)}
    return [MeetingNode.of(found[i]) if i in found else None for i in ids]


@loader("meeting_attendees")
async def attendees(ctx: Context, ids: list[uuid.UUID]) -> list[list[MeetingAttendee]]:
    found = await ctx.call(meetings.attendees_of, ids)
    return [found.get(i, []) for i in ids]


@loader("meeting_action_items")
async def action_items(ctx: Context, ids: list[uuid.UUID]) -> list[list[HandoffNode]]:
    found = await ctx.call(meetings.action_items_of, ids)
    return [[HandoffNode.of(h) for h in found.get(i, [])] for i in ids]
