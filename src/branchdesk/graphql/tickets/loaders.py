"""Batched reads of tickets and incidents, one service call per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.tickets.types import IncidentNode, SupportTicketNode
from branchdesk.tickets import service as tickets
from branchdesk.tickets.models import IncidentParticipant, IncidentUpdate

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("ticket")
async def ticket_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[SupportTicketNode | None]:
    found = {t.id: t for t in await ctx.call(tickets.tickets_by_id, ids)}
    return [SupportTicketNode.of(found[i]) if i in found else None for i in ids]


@loader("incident")
async def incident_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[IncidentNode | None]:
    found = {i.id: i for i in await ctx.call(tickets.incidents_by_id, ids)}
    return [IncidentNode.of(found[i]) if i in found else None for i in ids]


@loader("incident_updates")
async def updates(ctx: Context, ids: list[uuid.UUID]) -> list[list[IncidentUpdate]]:
    found = await ctx.call(tickets.updates_of, ids)
    return [found.get(i, []) for i in ids]


@loader("incident_participants")
async def participants(ctx: Context, ids: list[uuid.UUID]) -> list[list[IncidentParticipant]]:
    found = await ctx.call(tickets.participants_of, ids)
    return [found.get(i, []) for i in ids]
