"""Batched reads of the client timeline, one service call per batch; only clients in the caller's scope."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.crm.interactions import service as interactions
from branchdesk.graphql.interactions.types import Interaction
from branchdesk.graphql.loaders import loader
from branchdesk.platform.pagination import Page, PageRequest

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("interaction")
async def by_id(ctx: Context, ids: list[uuid.UUID]) -> list[Interaction | None]:
    found = {i.id: i for i in await ctx.call(interactions.interactions_by_id, ids)}
    return [Interaction.of(found[i]) if i in found else None for i in ids]


@loader("client_interactions")
async def timelines(
    ctx: Context, keys: list[tuple[uuid.UUID, PageRequest]]
) -> list[Page[interactions.InteractionEntry]]:
    """Keys are (client, page): one statement per distinct page asked for (a list asks for one)."""
    pages: dict[tuple[uuid.UUID, PageRequest], Page[interactions.InteractionEntry]] = {}
    for request in dict.fromkeys(r for _, r in keys):
        clients = [c for c, r in keys if r == request]
        found = await ctx.call(interactions.timelines, clients, request)
        empty = Page[interactions.InteractionEntry].empty(request)
        pages |= {(c, request): found.get(c, empty) for c in clients}
        if request.after is None and request.before is None:  # a first page counted the whole timeline
            for c in clients:
                ctx.loaders.client_interaction_count.prime(c, (found[c].total or 0) if c in found else 0)
    return [pages[key] for key in keys]


@loader("client_interaction_count")
async def counts(ctx: Context, ids: list[uuid.UUID]) -> list[int]:
    found = await ctx.call(interactions.timeline_counts, ids)
    return [found.get(i, 0) for i in ids]
