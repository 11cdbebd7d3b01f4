"""Batched reads of visits, one service call per batch; each returns only what the caller may read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.visits.types import VisitNode
from branchdesk.visits import service as visits
from branchdesk.visits.models import QueueTicket

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("visit")
async def visits_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[VisitNode | None]:
    found = {v.id: v for v in await ctx.call(visits.visits_by_id, ids)}
    return [VisitNode.of(found[i]) if i in found else None for i in ids]


@loader("visit_tickets")
async def tickets(ctx: Context, ids: list[uuid.UUID]) -> list[list[QueueTicket]]:
    found = await ctx.call(visits.tickets_of, ids)
    return [found.get(i, []) for i in ids]


@loader("client_visits")
async def client_visits(ctx: Context, ids: list[uuid.UUID]) -> list[list[VisitNode]]:
    """Each client's visits, newest first: for ``Client.visits``."""
    found = await ctx.call(visits.visits_of_clients, ids)
    return [[VisitNode.of(v) for v in found.get(i, [])] for i in ids]
