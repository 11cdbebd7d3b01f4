"""Batched reads of tiers, scores and segments, one service call per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from branchdesk.graphql.loaders import loader
from branchdesk.graphql.segments.types import SegmentMember, SegmentNode, TierChange
from branchdesk.segments import service as segments
from branchdesk.segments.models import ClientScore
from branchdesk.segments.scoring import service as scoring

if TYPE_CHECKING:
    from branchdesk.graphql.context import Context


@loader("value_tier")
async def value_tiers(ctx: Context, codes: list[str]) -> list[scoring.Tier | None]:
    """Tiers by code, as the caller's branch applies them (the whole ladder is one small read)."""
    found = {t.code: t for t in await ctx.call(scoring.tiers)}
    return [found.get(c) for c in codes]


@loader("client_score")
async def client_scores(ctx: Context, ids: list[uuid.UUID]) -> list[ClientScore | None]:
    """Clients' current scores (for clients the caller reached through a scoped read or a routing card):
    one read serves both ``Client.tier`` and ``Client.valueScore``."""
    found = await ctx.call(scoring.scores_of, ids)
    return [found.get(i) for i in ids]


@loader("segment")
async def segments_by_id(ctx: Context, ids: list[uuid.UUID]) -> list[SegmentNode | None]:
    found = {s.id: s for s in await ctx.call(segments.segments_by_id, ids)}
    return [SegmentNode.of(found[i]) if i in found else None for i in ids]


@loader("tier_change")
async def tier_changes(ctx: Context, ids: list[uuid.UUID]) -> list[TierChange | None]:
    found = {c.id: c for c in await ctx.call(scoring.changes_by_id, ids)}
    return [TierChange.of(found[i]) if i in found else None for i in ids]


@loader("segment_member")
async def segment_members(ctx: Context, ids: list[uuid.UUID]) -> list[SegmentMember | None]:
    found = {m.id: m for m in await ctx.call(segments.members_by_id, ids)}
    return [SegmentMember.of(found[i]) if i in found else None for i in ids]
