"""Batched reads of handoffs and comments, one service call per batch; each returns only what the caller
may see."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.handoffs.types import CommentNode, HandoffNode
from branchdesk.graphql.loaders import loader
from branchdesk.handoffs import comments
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import HandoffEscalation, HandoffType

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("handoff")
async def handoff_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[HandoffNode | None]:
    found = {h.id: h for h in await ctx.call(handoffs.handoffs_by_id, ids)}
    return [HandoffNode.of(found[i]) if i in found else None for i in ids]


@loader("handoff_type")
async def types(ctx: Context, ids: list[uuid.UUID]) -> list[HandoffType | None]:
    found = {t.id: t for t in await ctx.call(handoffs.types_by_id, ids)}
    return [found.get(i) for i in ids]


@loader("handoff_escalation")
async def escalations(ctx: Context, ids: list[uuid.UUID]) -> list[HandoffEscalation | None]:
    found = await ctx.call(handoffs.escalations_of, ids)
    return [found.get(i) for i in ids]


@loader("client_handoffs")
async def client_handoffs(ctx: Context, ids: list[uuid.UUID]) -> list[list[HandoffNode]]:
    """Each client's handoffs the caller sees, newest first: for ``Client.handoffs``."""
    found = await ctx.call(handoffs.handoffs_of_clients, ids)
    return [[HandoffNode.of(h) for h in found.get(i, [])] for i in ids]


@loader("client_open_work")
async def open_work(ctx: Context, ids: list[uuid.UUID]) -> list[int]:
    """Open handoffs per client: a routing card's ``openWork``."""
    found = await ctx.call(handoffs.open_work, ids)
    return [found.get(i, 0) for i in ids]


@loader("comment")
async def comment_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[CommentNode | None]:
    found = {c.id: c for c in await ctx.call(comments.comments_by_id, ids)}
    return [CommentNode.of(found[i]) if i in found else None for i in ids]
