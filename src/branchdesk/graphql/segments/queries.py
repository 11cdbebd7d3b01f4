from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from branchdesk.graphql import permissions as p
from branchdesk.graphql.crm.types import Client, ClientConnection
from branchdesk.graphql.ids import node_uuid
from branchdesk.graphql.inputs import text_argument
from branchdesk.graphql.relay import Before, Cursor, First, Last, OrderDirection, connection, page_request
from branchdesk.graphql.segments.types import (
    ScoringPolicy,
    SegmentConnection,
    SegmentMemberConnection,
    SegmentNode,
    SegmentOrder,
    SegmentPreview,
    SegmentRuleInput,
    SegmentTemplateInfo,
    TierChange,
    TierChangeConnection,
    ValueTier,
    members_connection,
    rule_json,
)
from branchdesk.platform.errors import NotFound
from branchdesk.segments import service as segments
from branchdesk.segments.rules import ChangeKind
from branchdesk.segments.scoring import service as scoring


def segment_uuid(global_id: strawberry.ID | str, field: str = "id") -> uuid.UUID:
    return node_uuid(global_id, "Segment", NotFound("Segment", "客户细分", field=field))


@strawberry.type
class Queries:
    @p.field(
        p.SIGNED_IN,
        "The value tiers, lowest first, as the active branch applies them (its own thresholds where it set them).",
    )
    async def tiers(self, info: Info) -> list[ValueTier] | None:
        return [ValueTier.of(t, info.context.locale) for t in await info.context.call(scoring.tiers)]

    @p.field(p.SIGNED_IN, "Head office's lifecycle rules (when a client counts as new, dormant or lost).")
    async def scoring_policy(self, info: Info) -> ScoringPolicy | None:
        return ScoringPolicy.of(await info.context.call(scoring.scoring_policy))

    @p.field(
        "client:read",
        "Changes of clients' value tiers since a moment, newest first: e.g. who moved up to 白金 this month "
        '(`to: "platinum"`). Only clients your data scope reaches.',
    )
    async def tier_changes(
        self,
        info: Info,
        since: Annotated[datetime, strawberry.argument(description="Changes at or after this moment.")],
        to: Annotated[str | None, text_argument("Only changes into this tier (its code).", max_length=30)] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Only changes before this moment.")] = None,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
    ) -> TierChangeConnection | None:
        ctx = info.context
        request = page_request(ctx.settings, first, after, last, before, direction=OrderDirection.DESC)
        page = await ctx.call(scoring.list_changes, request, ChangeKind.TIER, since, until, to)
        return connection(
            page,
            TierChange.of,
            TierChangeConnection,
            total=lambda: ctx.call(scoring.count_changes, ChangeKind.TIER, since, until, to),
        )

    @p.field("segment:read", "The branch's rule segments, by name unless `orderBy` says otherwise.")
    async def segments(
        self,
        info: Info,
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
        order_by: SegmentOrder | None = None,
    ) -> SegmentConnection | None:
        ctx = info.context
        order = order_by or SegmentOrder()
        request = page_request(
            ctx.settings, first, after, last, before, order_by=str(order.field.value), direction=order.direction
        )
        page = await ctx.call(segments.list_segments, request)
        return connection(page, SegmentNode.of, SegmentConnection, total=lambda: ctx.call(segments.count_segments))

    @p.field("segment:read", "One segment by id; null when there is no such segment in the branch.")
    async def segment(self, info: Info, id: strawberry.ID) -> SegmentNode | None:
        found: SegmentNode | None = await info.context.loaders.segment.load(segment_uuid(id))
        return found

    @p.field(
        "segment:read",
        "A segment's current members that your `client:read` data scope reaches, by when they entered (paged by "
        "index, however large the segment).",
    )
    async def segment_members(
        self,
        info: Info,
        segment_id: Annotated[strawberry.ID, strawberry.argument(description="The segment.")],
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
    ) -> SegmentMemberConnection | None:
        return await members_connection(info, segment_uuid(segment_id, "segmentId"), first, after, last, before)

    @p.field("segment:read", "Head office's segment templates, by name (every branch adopts them).")
    async def segment_templates(self, info: Info) -> list[SegmentTemplateInfo] | None:
        return [SegmentTemplateInfo.of(t) for t in await info.context.call(segments.templates)]

    @p.field(
        "segment:manage",
        "What a rule would match before it is saved: the count of the branch's clients and the first page of "
        "those you may read. A mistake in the rule is an error naming its path, e.g. `rule.and[1].not.aum.min`.",
    )
    async def preview_segment(
        self,
        info: Info,
        rule: Annotated[SegmentRuleInput, strawberry.argument(description="The rule to try.")],
        first: First = None,
        after: Cursor = None,
        last: Last = None,
        before: Before = None,
    ) -> SegmentPreview | None:
        ctx = info.context
        request = page_request(ctx.settings, first, after, last, before)
        found = await ctx.call(segments.preview_segment, rule_json(rule), request)
        return SegmentPreview(count=found.count, clients=connection(found.page, Client.of, ClientConnection))
