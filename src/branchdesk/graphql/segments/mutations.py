from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from branchdesk.access.principal import Principal
from branchdesk.graphql import permissions as p
from branchdesk.graphql.errors import mutate, payload
from branchdesk.graphql.inputs import text
from branchdesk.graphql.segments.queries import segment_uuid
from branchdesk.graphql.segments.types import (
    ScoringPolicy,
    SegmentNode,
    SegmentRuleInput,
    SegmentTemplateInfo,
    ValueTier,
    rule_json,
)
from branchdesk.segments import service as segments
from branchdesk.segments.scoring import service as scoring


@strawberry.input(description="One tier of head office's ladder.")
class TierInput:
    code: str = text("Stable code: lower case letters, digits and _, e.g. `platinum`.", max_length=30)
    name_zh: str = text("Name in Chinese, e.g. 白金.", max_length=50)
    name_en: str = text("Name in English.", max_length=50)
    min_aum_cny: Decimal = strawberry.field(description="AUM (CNY) from which a client is in the tier.")


@strawberry.input(description="Head office's ladder for every branch, lowest tier first.")
class DefineTiersInput:
    tiers: list[TierInput] = strawberry.field(
        description="2 to 10 tiers, lowest first: the first starts at 0, each next one needs more AUM."
    )


@strawberry.input(description="The branch's own threshold for one of head office's tiers.")
class TierThresholdInput:
    tier: str = text("The tier's code.", max_length=30)
    min_aum_cny: Decimal | None = strawberry.field(
        default=None, description="AUM (CNY) from which a client is in the tier here; null: head office's again."
    )


@strawberry.input(description="The branch's thresholds (tiers not named keep theirs).")
class OverrideTiersInput:
    thresholds: list[TierThresholdInput] = strawberry.field(description="The thresholds to set.")


@strawberry.input(description="Head office's lifecycle rules.")
class SetScoringPolicyInput:
    dormant_months: int = strawberry.field(description="Dormant after this many months without activity (1 to 60).")
    new_months: int = strawberry.field(description="New for this many months after being recorded (1 to 24).")


@strawberry.input(description="A new segment of the branch.")
class DefineSegmentInput:
    name: str = text("Its name, unique in the branch, e.g. 沉睡客户.", max_length=100)
    description: str | None = text("What it is for.", max_length=500, default=None)
    rule: SegmentRuleInput = strawberry.field(description="Which clients belong to it.")


@strawberry.input(description="Changes to a segment; fields left out stay as they are.")
class UpdateSegmentInput:
    id: strawberry.ID = strawberry.field(description="The segment.")
    name: str | None = text("A new name.", max_length=100, default=None)
    description: str | None = text("A new description.", max_length=500, default=None)
    rule: SegmentRuleInput | None = strawberry.field(
        default=None, description="A new rule: membership is brought up to date at once."
    )


@strawberry.input(description="A segment template for every branch.")
class PublishSegmentTemplateInput:
    name: str = text("The name branches see it under; publishing a name again makes a new version.", max_length=100)
    description: str | None = text("What it is for.", max_length=500, default=None)
    rule: SegmentRuleInput = strawberry.field(description="Which clients belong to it.")


@payload
class TiersPayload:
    tiers: list[ValueTier] | None = strawberry.field(default=None, description="The ladder as it is now.")


@payload
class ScoringPolicyPayload:
    policy: ScoringPolicy | None = strawberry.field(default=None, description="The rules as they are now.")


async def _segment_now(root: SegmentPayload, info: Info) -> SegmentNode | None:
    if root.segment_id is None:
        return None
    found: SegmentNode | None = await info.context.loaders.segment.load(root.segment_id)
    return found


@payload
class SegmentPayload:
    segment: SegmentNode | None = strawberry.field(
        resolver=_segment_now, description="The segment after the change, its membership up to date."
    )
    segment_id: strawberry.Private[uuid.UUID | None] = None


@payload
class SegmentTemplatePayload:
    template: SegmentTemplateInfo | None = strawberry.field(default=None, description="The template as published.")


def _ladder(info: Info, found: list[scoring.Tier]) -> dict[str, Any]:
    return {"tiers": [ValueTier.of(t, info.context.locale) for t in found]}


@strawberry.type
class Mutations:
    @p.mutation(
        "tier:define",
        "Head office: the value tiers for every branch, lowest first. Clients move at each branch's next scoring "
        "run; branch thresholds of the tiers that remain are kept.",
    )
    async def define_tiers(self, info: Info, input: DefineTiersInput) -> TiersPayload:
        async def define(session: AsyncSession, by: Principal) -> dict[str, Any]:
            drafts = [scoring.TierDraft(t.code, t.name_zh, t.name_en, t.min_aum_cny) for t in input.tiers]
            return _ladder(info, await scoring.define_tiers(session, by, drafts))

        return await mutate(info, TiersPayload, define)

    @p.mutation(
        "tier:override",
        "The branch's own thresholds for head office's tiers (they must still rise with the tiers from 0).",
    )
    async def override_tiers(self, info: Info, input: OverrideTiersInput) -> TiersPayload:
        async def override(session: AsyncSession, by: Principal) -> dict[str, Any]:
            wanted = {t.tier: t.min_aum_cny for t in input.thresholds}
            return _ladder(info, await scoring.override_tiers(session, by, wanted))

        return await mutate(info, TiersPayload, override)

    @p.mutation("tier:define", "Head office: when a client counts as new, and as dormant (or lost).")
    async def set_scoring_policy(self, info: Info, input: SetScoringPolicyInput) -> ScoringPolicyPayload:
        async def set_policy(session: AsyncSession, by: Principal) -> dict[str, Any]:
            found = await scoring.set_scoring_policy(session, by, input.dormant_months, input.new_months)
            return {"policy": ScoringPolicy.of(found)}

        return await mutate(info, ScoringPolicyPayload, set_policy)

    @p.mutation(
        "segment:manage",
        "Define a segment of the branch; its members are found at once and kept up to date by each scoring run.",
    )
    async def define_segment(self, info: Info, input: DefineSegmentInput) -> SegmentPayload:
        async def define(session: AsyncSession, by: Principal) -> dict[str, Any]:
            found = await segments.define_segment(session, by, input.name, input.description, rule_json(input.rule))
            return {"segment_id": found.id}

        return await mutate(info, SegmentPayload, define)

    @p.mutation("segment:manage", "Rename, describe or change the rule of a segment of the branch.")
    async def update_segment(self, info: Info, input: UpdateSegmentInput) -> SegmentPayload:
        async def update(session: AsyncSession, by: Principal) -> dict[str, Any]:
            rule = rule_json(input.rule) if input.rule is not None else None
            found = await segments.update_segment(
                session, by, segment_uuid(input.id), name=input.name, description=input.description, rule=rule
            )
            return {"segment_id": found.id}

        return await mutate(info, SegmentPayload, update)

    @p.mutation(
        "segment:publish",
        "Head office: publish a segment template; every branch adopts it (or its new version) at its next scoring "
        "run, unless it has a segment of its own by that name.",
    )
    async def publish_segment_template(self, info: Info, input: PublishSegmentTemplateInput) -> SegmentTemplatePayload:
        async def publish(session: AsyncSession, by: Principal) -> dict[str, Any]:
            found = await segments.publish_template(session, by, input.name, input.description, rule_json(input.rule))
            return {"template": SegmentTemplateInfo.of(found)}

        return await mutate(info, SegmentTemplatePayload, publish)
