"""GraphQL types of value tiers, client scores, tier changes and rule segments."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from branchdesk.crm import rules as crm_rules
from branchdesk.graphql.crm.types import Client, ClientConnection, ContactChannel, LifecycleStage, RiskGrade
from branchdesk.graphql.inputs import text
from branchdesk.graphql.labels import localized
from branchdesk.graphql.nodes import LoadedNode
from branchdesk.graphql.relay import (
    Before,
    CountedConnection,
    Cursor,
    First,
    Last,
    OrderDirection,
    connection,
    page_request,
)
from branchdesk.segments import service as segments
from branchdesk.segments.models import ClientScore, ClientScoreChange, Segment, SegmentTemplate
from branchdesk.segments.scoring import service as scoring

RULE_NOTE = "The rule in the JSON form of `SegmentRuleInput` (the same field names, nested the same way)."


@strawberry.type(
    name="ValueTier", description="A value tier (客户等级) as the branch applies it: 普通, 金卡, 白金, 私人银行…"
)
class ValueTier:
    code: str = strawberry.field(description="Stable code, e.g. `platinum`: what filters and rules take.")
    rank: int = strawberry.field(description="0 for the lowest tier; higher is more valuable.")
    name_zh: str = strawberry.field(description="Name in Chinese, e.g. 白金.")
    name_en: str = strawberry.field(description="Name in English.")
    name: str = strawberry.field(description="The name in the caller's language (Accept-Language).")
    min_aum_cny: Decimal = strawberry.field(
        description="A client whose AUM (CNY) reaches this is in the tier (unless a higher tier's is reached too): "
        "the branch's own threshold where it set one."
    )
    head_office_min_aum_cny: Decimal = strawberry.field(description="Head office's threshold for every branch.")
    overridden: bool = strawberry.field(description="The branch set its own threshold for this tier.")

    @classmethod
    def of(cls, tier: scoring.Tier, locale: str) -> ValueTier:
        return cls(
            code=tier.code,
            rank=tier.rank,
            name_zh=tier.name_zh,
            name_en=tier.name_en,
            name=localized(tier.name_en, tier.name_zh, locale),
            min_aum_cny=tier.min_aum_cny,
            head_office_min_aum_cny=tier.head_office_min_aum_cny,
            overridden=tier.overridden,
        )


async def tier_named(info: Info, code: str | None) -> ValueTier | None:
    """The tier of a code, as the caller's branch applies it (null for a tier head office removed)."""
    if code is None:
        return None
    found: scoring.Tier | None = await info.context.loaders.value_tier.load(code)
    return ValueTier.of(found, info.context.locale) if found is not None else None


@strawberry.type(description="Head office's lifecycle rules for every branch.")
class ScoringPolicy:
    dormant_months: int = strawberry.field(
        description="A client with no interaction and no holding movement for this many months is dormant "
        "(lost if they hold nothing any more)."
    )
    new_months: int = strawberry.field(description="A client recorded within this many months is new.")

    @classmethod
    def of(cls, found: scoring.Policy) -> ScoringPolicy:
        return cls(dormant_months=found.dormant_months, new_months=found.new_months)


@strawberry.type(
    description="A client's value score from the last scoring run: RFM quintiles within the branch (5 is best) "
    "and what they were computed from."
)
class ClientValueScore:
    recency: int = strawberry.field(description="1 to 5: how recent the last interaction or holding movement is.")
    frequency: int = strawberry.field(description="1 to 5: how many interactions in the last 12 months.")
    monetary: int = strawberry.field(description="1 to 5: assets under management.")
    rfm: str = strawberry.field(description="The three quintiles together, e.g. `545`.")
    lifecycle: LifecycleStage = strawberry.field(description="The stage the run found.")  # type: ignore[valid-type]
    last_activity_at: datetime | None = strawberry.field(
        description="The latest interaction or holding movement; null when there was none."
    )
    interactions_last_12_months: int = strawberry.field(description="Interactions in the 12 months before the run.")
    aum_cny: Decimal = strawberry.field(description="AUM (CNY) the run saw.")
    scored_at: datetime = strawberry.field(description="When a run last changed any of these values.")

    @classmethod
    def of(cls, found: ClientScore) -> ClientValueScore:
        return cls(
            recency=found.recency,
            frequency=found.frequency,
            monetary=found.monetary,
            rfm=f"{found.recency}{found.frequency}{found.monetary}",
            lifecycle=crm_rules.LifecycleStage(found.lifecycle),
            last_activity_at=found.last_activity_at,
            interactions_last_12_months=found.interactions_12m,
            aum_cny=found.aum_cny,
            scored_at=found.scored_at,
        )


@strawberry.type(description="A change of a client's value tier: from, to, when and why (the scoring run).")
class TierChange(LoadedNode):
    node_loader = "tier_change"
    id: relay.NodeID[str]
    from_code: str | None = strawberry.field(description="The tier's code before; null for the client's first score.")
    to_code: str = strawberry.field(description="The tier's code after.")
    changed_at: datetime = strawberry.field(description="When the scoring run found it.")
    reason: str = strawberry.field(description="Which run: nightly, after a holdings feed, or from the CLI.")
    client_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, found: ClientScoreChange) -> TierChange:
        assert found.to_value is not None
        return cls(
            id=str(found.id),
            from_code=found.from_value,
            to_code=found.to_value,
            changed_at=found.changed_at,
            reason=found.reason,
            client_id=found.client_id,
        )

    @strawberry.field(description="The tier before, as the branch applies it now; null for a first score.")
    async def from_tier(self, info: Info) -> ValueTier | None:
        return await tier_named(info, self.from_code)

    @strawberry.field(description="The tier after; null if head office has since removed it.")
    async def to_tier(self, info: Info) -> ValueTier | None:
        return await tier_named(info, self.to_code)

    @strawberry.field(description="The client (null when outside your data scope).")
    async def client(self, info: Info) -> Client | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found


@strawberry.type(name="TierChangeConnection", description="A page of tier changes.")
class TierChangeConnection(CountedConnection[TierChange]):
    pass


@strawberry.type(description="A client's current stay in a segment.")
class SegmentMember(LoadedNode):
    node_loader = "segment_member"
    id: relay.NodeID[str]
    entered_at: datetime = strawberry.field(description="When a scoring run (or saving the rule) first matched them.")
    client_id: strawberry.Private[uuid.UUID]

    @classmethod
    def of(cls, found: segments.Member) -> SegmentMember:
        return cls(id=str(found.id), entered_at=found.entered_at, client_id=found.client_id)

    @strawberry.field(description="The client.")
    async def client(self, info: Info) -> Client | None:
        found: Client | None = await info.context.loaders.client.load(self.client_id)
        return found


@strawberry.type(name="SegmentMemberConnection", description="A page of a segment's members.")
class SegmentMemberConnection(CountedConnection[SegmentMember]):
    pass


@strawberry.type(
    name="Segment",
    description="A rule segment (客户细分) of the branch: a tree of conditions over its clients, materialised by "
    "each scoring run (members enter and leave with dates).",
)
class SegmentNode(LoadedNode):
    node_loader = "segment"
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The segment's name, unique in the branch, e.g. 沉睡客户.")
    description: str | None = strawberry.field(description="What the segment is for.")
    rule: JSON = strawberry.field(description=RULE_NOTE)
    from_template: bool = strawberry.field(description="Adopted from a head-office template (kept in step with it).")
    member_count: int = strawberry.field(description="How many clients of the branch matched at the last run.")
    materialised_at: datetime | None = strawberry.field(description="When membership was last brought up to date.")
    created_at: datetime = strawberry.field(description="When the segment was defined.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def of(cls, found: Segment) -> SegmentNode:
        return cls(
            id=str(found.id),
            name=found.name,
            description=found.description,
            rule=cast(JSON, found.rule),
            from_template=found.template_id is not None,
            member_count=found.member_count,
            materialised_at=found.materialised_at,
            created_at=found.created_at,
            updated_at=found.updated_at,
        )

    @strawberry.field(
        description="The current members you may see (your `client:read` data scope), by when they entered."
    )
    async def members(
        self, info: Info, first: First = None, after: Cursor = None, last: Last = None, before: Before = None
    ) -> SegmentMemberConnection:
        return await members_connection(info, uuid.UUID(self.id), first, after, last, before)


async def members_connection(
    info: Info, segment_id: uuid.UUID, first: int | None, after: str | None, last: int | None, before: str | None
) -> SegmentMemberConnection:
    ctx = info.context
    request = page_request(ctx.settings, first, after, last, before)
    page = await ctx.call(segments.list_members, segment_id, request)
    total = lambda: ctx.call(segments.count_members, segment_id)  # noqa: E731
    return connection(page, SegmentMember.of, SegmentMemberConnection, total=total)


@strawberry.type(name="SegmentConnection", description="A page of segments.")
class SegmentConnection(CountedConnection[SegmentNode]):
    pass


@strawberry.enum(description="What a segment list is sorted by.")
class SegmentOrderField(Enum):
    NAME = strawberry.enum_value("name", description="Name; ties by id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was defined; ties by id.")


@strawberry.input(description="How a segment list is sorted.")
class SegmentOrder:
    field: SegmentOrderField = SegmentOrderField.NAME
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(description="A segment head office publishes to every branch (adopted at each branch's next run).")
class SegmentTemplateInfo:
    name: str = strawberry.field(description="The name branches see it under.")
    description: str | None = strawberry.field(description="What it is for.")
    rule: JSON = strawberry.field(description=RULE_NOTE)
    version: int = strawberry.field(description="Raised by each republication; branches follow the latest.")
    updated_at: datetime = strawberry.field(description="When it was last published.")

    @classmethod
    def of(cls, found: SegmentTemplate) -> SegmentTemplateInfo:
        return cls(
            name=found.name,
            description=found.description,
            rule=cast(JSON, found.rule),
            version=found.version,
            updated_at=found.updated_at,
        )


@strawberry.type(description="What a rule would match, before it is saved.")
class SegmentPreview:
    count: int = strawberry.field(description="How many of the branch's clients it matches.")
    clients: ClientConnection = strawberry.field(
        description="The first page of those you may read (your `client:read` data scope), by name."
    )


# --- the rule, as input ---------------------------------------------------------------------------


@strawberry.input(description="A tier condition: give `in` or `atLeast`.")
class TierConditionInput:
    in_: list[str] | None = text(
        "The client's tier is one of these codes (see `tiers`).", max_length=30, each=True, name="in", default=None
    )
    at_least: str | None = text("The client's tier is this one or a higher one.", max_length=30, default=None)


@strawberry.input(description="An AUM range in CNY, both ends included; give min, max or both.")
class AmountRangeInput:
    min: Decimal | None = strawberry.field(default=None, description="At least this much.")
    max: Decimal | None = strawberry.field(default=None, description="At most this much.")


@strawberry.input(description="An age range in whole years, both ends included; give min, max or both.")
class AgeRangeInput:
    min: int | None = strawberry.field(default=None, description="At least this old.")
    max: int | None = strawberry.field(default=None, description="At most this old.")


@strawberry.input(description="Whether the client holds a product of the catalogue.")
class ProductHeldInput:
    product: str = text("The product's code.", max_length=40)
    held: bool = strawberry.field(default=True, description="True: holds it; false: does not.")


@strawberry.input(description="A holding of the client matures within N days.")
class MaturityInput:
    days: int = strawberry.field(description="From today, 0 to 366.")
    product: str | None = text("Only holdings of this product (its code).", max_length=40, default=None)


@strawberry.input(
    description="A segment's rule: a tree of conditions. Each node holds exactly ONE of its fields: `and`, `or` "
    "and `not` combine nodes; the others are conditions on the client. A mistake is reported in the payload's "
    "`errors` with the path in the tree as the field, e.g. `rule.and[1].not.aum.min`."
)
class SegmentRuleInput:
    and_: list[SegmentRuleInput] | None = strawberry.field(name="and", default=None, description="All of these.")
    or_: list[SegmentRuleInput] | None = strawberry.field(name="or", default=None, description="Any of these.")
    not_: SegmentRuleInput | None = strawberry.field(name="not", default=None, description="Not this.")
    tier: TierConditionInput | None = strawberry.field(default=None, description="The client's value tier.")
    aum: AmountRangeInput | None = strawberry.field(default=None, description="Assets under management (CNY).")
    age: AgeRangeInput | None = strawberry.field(default=None, description="Age in years (clients with a birthday).")
    birthday_within_days: int | None = strawberry.field(
        default=None, description="The birthday falls today or within the next N days (0 to 366)."
    )
    product_held: ProductHeldInput | None = strawberry.field(
        default=None, description="Holds (or does not hold) a product."
    )
    maturity_within_days: MaturityInput | None = strawberry.field(
        default=None, description="A holding matures within N days."
    )
    last_contact_older_than_days: int | None = strawberry.field(
        default=None, description="No interaction in the last N days (or never)."
    )
    lifecycle: list[LifecycleStage] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The client's lifecycle stage is one of these."
    )
    tag: str | None = text("The client has this tag.", max_length=40, default=None)
    risk_grade: list[RiskGrade] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The client's risk tolerance is one of these."
    )
    consent: ContactChannel | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The client consents to this channel (and did not ask not to be contacted)."
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__strawberry_definition__"):
        return rule_json(value)
    return value


def rule_json(given: Any) -> dict[str, Any]:
    """An input object in the rule's JSON form: the GraphQL field names, only the fields given."""
    found: dict[str, Any] = {}
    for field in given.__strawberry_definition__.fields:
        value = getattr(given, field.python_name)
        if value is not None:
            found[field.graphql_name or _camel(field.python_name)] = _plain(value)
    return found


def _camel(name: str) -> str:
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)


async def client_tier(info: Info, client_id: uuid.UUID) -> ValueTier | None:
    """A client's current tier (``Client.tier``, ``ClientRoutingCard.tier``); null until first scored."""
    found: ClientScore | None = await info.context.loaders.client_score.load(client_id)
    return await tier_named(info, found.tier) if found is not None else None


async def client_value_score(info: Info, client_id: uuid.UUID) -> ClientValueScore | None:
    found: ClientScore | None = await info.context.loaders.client_score.load(client_id)
    return ClientValueScore.of(found) if found is not None else None
