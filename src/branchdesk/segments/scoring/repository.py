"""All SQL of value tiers and scoring.

A branch is rescored by ONE statement (:func:`rescore`): a CTE computes every client's tier, RFM
quintiles and lifecycle stage with window functions; data-modifying CTEs then record the changes of tier
and stage (only where they differ), upsert ``client_scores`` (``ON CONFLICT … DO UPDATE … WHERE … IS
DISTINCT FROM …``: an unchanged row is not rewritten) and keep ``clients.lifecycle`` in step. Every part
sees the same snapshot, so the history compares against the scores as they were before the run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    Uuid,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.crm.models import Client, Interaction
from branchdesk.crm.repository import Reader, reachable
from branchdesk.segments.models import BranchTierThreshold, ClientScore, ClientScoreChange, ScoringPolicy, ValueTier


@dataclass(frozen=True)
class Rescored:
    scores_written: int  # rows inserted or changed in client_scores
    tier_changes: int
    lifecycle_changes: int


# --- the ladder ----------------------------------------------------------------------------------


async def tiers(session: AsyncSession) -> list[ValueTier]:
    return list(await session.scalars(select(ValueTier).order_by(ValueTier.rank)))


async def ladder(session: AsyncSession, branch_id: uuid.UUID) -> list[Any]:
    """(tier, the branch's own threshold or None), lowest first: head office's tiers and the branch's
    thresholds in one statement."""
    own = and_(BranchTierThreshold.tenant_id == branch_id, BranchTierThreshold.tier_code == ValueTier.code)
    stmt = select(ValueTier, BranchTierThreshold.min_aum_cny).outerjoin(BranchTierThreshold, own)
    return list((await session.execute(stmt.order_by(ValueTier.rank))).all())


async def replace_tiers(session: AsyncSession, rows: list[dict[str, Any]], at: datetime) -> None:
    """Head office's new ladder: tiers not named go (with the branches' thresholds for them)."""
    codes = [row["code"] for row in rows]
    await session.execute(delete(ValueTier).where(ValueTier.code.not_in(codes)))
    # Ranks are unique: move the kept ones out of the way first.
    await session.execute(update(ValueTier).values(rank=ValueTier.rank + 1000))
    stmt = pg_insert(ValueTier).values([row | {"updated_at": at} for row in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=[ValueTier.code],
        set_={
            "rank": stmt.excluded.rank,
            "name_zh": stmt.excluded.name_zh,
            "name_en": stmt.excluded.name_en,
            "min_aum_cny": stmt.excluded.min_aum_cny,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await session.execute(stmt)


async def replace_thresholds(session: AsyncSession, branch_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    await session.execute(delete(BranchTierThreshold).where(BranchTierThreshold.tenant_id == branch_id))
    if rows:
        await session.execute(pg_insert(BranchTierThreshold).values(rows))


async def policy(session: AsyncSession) -> ScoringPolicy:
    found: ScoringPolicy | None = await session.get(ScoringPolicy, 1)
    assert found is not None, "the migration seeds the scoring policy"
    return found


# --- scoring -------------------------------------------------------------------------------------


def _quintile(order: Any) -> ColumnElement[int]:
    """1 to 5 by position within the branch: ``1 + 5 * (rank - 1) // count``. Ties share the rank of
    the first of them, so equal values get equal scores."""
    position = func.rank().over(order_by=order) - 1
    return (1 + (5 * position) // func.count().over()).cast(Integer)


def stage_of(dormant_since: datetime, new_since: datetime) -> ColumnElement[str]:
    """A client's lifecycle stage from its own row: prospect (never held anything), new (recorded
    recently), dormant (no interaction and no holding movement since ``dormant_since``; lost when it no
    longer holds anything), else active."""
    activity = func.greatest(Client.last_contact_at, Client.last_movement_at)
    return case(
        (and_(Client.aum_cny == 0, Client.last_movement_at.is_(None)), "prospect"),
        (Client.created_at >= new_since, "new"),
        (or_(activity.is_(None), activity < dormant_since), case((Client.aum_cny == 0, "lost"), else_="dormant")),
        else_="active",
    )


def computed_scores(
    branch_id: uuid.UUID, now: datetime, dormant_since: datetime, new_since: datetime, year_ago: datetime
) -> Select[*tuple[Any, ...]]:
    """Every client of the branch with the tier, quintiles and stage they have as of ``now``.

    Each client's facts are read first (the year's interactions counted on the timeline's index, per
    client: the plan stays linear whatever the statistics say), then ranked within the branch."""
    ladder = (
        select(
            ValueTier.code,
            ValueTier.rank,
            func.coalesce(BranchTierThreshold.min_aum_cny, ValueTier.min_aum_cny).label("min_aum"),
        )
        .outerjoin(
            BranchTierThreshold,
            and_(BranchTierThreshold.tenant_id == branch_id, BranchTierThreshold.tier_code == ValueTier.code),
        )
        .cte("ladder")
    )
    tier = (
        select(ladder.c.code)
        .where(ladder.c.min_aum <= Client.aum_cny)
        .order_by(ladder.c.rank.desc())
        .limit(1)
        .scalar_subquery()
    )
    lowest = select(ladder.c.code).order_by(ladder.c.rank).limit(1).scalar_subquery()
    frequency = (
        select(func.count())
        .where(
            Interaction.tenant_id == branch_id,
            Interaction.client_id == Client.id,
            Interaction.occurred_at >= year_ago,
            Interaction.occurred_at <= now,
        )
        .scalar_subquery()
    )
    activity = func.greatest(Client.last_contact_at, Client.last_movement_at)
    tier_before = (
        select(ClientScore.tier)
        .where(ClientScore.tenant_id == branch_id, ClientScore.id == Client.id)
        .scalar_subquery()
    )
    facts = (
        select(
            Client.id.label("client_id"),
            func.coalesce(tier, lowest).label("tier"),
            tier_before.label("tier_before"),
            stage_of(dormant_since, new_since).label("lifecycle"),
            Client.lifecycle.label("lifecycle_before"),
            activity.label("last_activity_at"),
            frequency.label("interactions_12m"),
            Client.aum_cny.label("aum_cny"),
        )
        .where(Client.tenant_id == branch_id)
        .subquery("facts")
    )
    return select(
        facts.c.client_id,
        facts.c.tier,
        facts.c.tier_before,
        facts.c.lifecycle_before,
        _quintile(facts.c.last_activity_at.asc().nulls_first()).label("recency"),
        _quintile(facts.c.interactions_12m.asc()).label("frequency"),
        _quintile(facts.c.aum_cny.asc()).label("monetary"),
        facts.c.lifecycle,
        facts.c.last_activity_at,
        facts.c.interactions_12m,
        facts.c.aum_cny,
    )


async def rescore(
    session: AsyncSession,
    branch_id: uuid.UUID,
    *,
    now: datetime,
    dormant_since: datetime,
    new_since: datetime,
    year_ago: datetime,
    reason: str,
) -> Rescored:
    """Rescore the branch in one statement (see the module's note); returns what changed."""
    computed = computed_scores(branch_id, now, dormant_since, new_since, year_ago).cte("computed")
    tier_changes = select(
        literal(branch_id, Uuid),
        func.gen_random_uuid(),
        computed.c.client_id,
        literal("tier", String),
        computed.c.tier_before,
        computed.c.tier,
        literal(now, DateTime(timezone=True)),
        literal(reason, String),
    ).where(computed.c.tier_before.is_distinct_from(computed.c.tier))
    stage_changes = select(
        literal(branch_id, Uuid),
        func.gen_random_uuid(),
        computed.c.client_id,
        literal("lifecycle", String),
        computed.c.lifecycle_before,
        computed.c.lifecycle,
        literal(now, DateTime(timezone=True)),
        literal(reason, String),
    ).where(computed.c.lifecycle_before.is_distinct_from(computed.c.lifecycle))
    history_columns = ["tenant_id", "id", "client_id", "kind", "from_value", "to_value", "changed_at", "reason"]
    history = (
        pg_insert(ClientScoreChange)
        .from_select(history_columns, tier_changes.union_all(stage_changes))
        .returning(ClientScoreChange.kind)
        .cte("history")
    )
    kept = ["tier", "recency", "frequency", "monetary", "lifecycle", "last_activity_at", "interactions_12m", "aum_cny"]
    upsert = pg_insert(ClientScore).from_select(
        ["tenant_id", "id", *kept, "scored_at"],
        select(
            literal(branch_id, Uuid),
            computed.c.client_id,
            *[computed.c[c] for c in kept],
            literal(now, DateTime(timezone=True)),
        ),
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[ClientScore.tenant_id, ClientScore.id],
        set_={**{c: upsert.excluded[c] for c in kept}, "scored_at": upsert.excluded.scored_at},
        where=tuple_(*[ClientScore.__table__.c[c] for c in kept]).is_distinct_from(
            tuple_(*[upsert.excluded[c] for c in kept])
        ),
    )
    written = upsert.returning(ClientScore.id).cte("written")
    # The stage follows from the client's own row: recomputed in place, no join back to the scores.
    stage = stage_of(dormant_since, new_since)
    stages = (
        update(Client)
        .where(Client.tenant_id == branch_id, Client.lifecycle.is_distinct_from(stage))
        .values(lifecycle=stage)
        .returning(Client.id)
        .cte("stages")
    )
    stmt = select(
        select(func.count()).select_from(written).scalar_subquery(),
        select(func.count()).select_from(history).where(history.c.kind == "tier").scalar_subquery(),
        select(func.count()).select_from(stages).scalar_subquery(),
    )
    row = (await session.execute(stmt)).one()
    return Rescored(int(row[0]), int(row[1]), int(row[2]))


# --- reading -------------------------------------------------------------------------------------


async def scores_of(session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]) -> list[ClientScore]:
    if not client_ids:
        return []
    stmt = select(ClientScore).where(ClientScore.tenant_id == branch_id, ClientScore.id.in_(client_ids))
    return list(await session.scalars(stmt))


def changes_query(
    branch_id: uuid.UUID,
    reader: Reader,
    kind: str,
    since: datetime,
    until: datetime | None,
    to_value: str | None,
) -> Select[*tuple[Any, ...]]:
    """Changes of ``kind`` since a time (to a value), of the clients ``reader`` reaches."""
    visible = reachable(branch_id, reader)
    stmt = select(ClientScoreChange).where(
        ClientScoreChange.tenant_id == branch_id,
        ClientScoreChange.kind == kind,
        ClientScoreChange.changed_at >= since,
        ClientScoreChange.client_id.in_(visible),
    )
    if until is not None:
        stmt = stmt.where(ClientScoreChange.changed_at < until)
    if to_value is not None:
        stmt = stmt.where(ClientScoreChange.to_value == to_value)
    return stmt


def clients_in_tiers(branch_id: uuid.UUID, tiers: list[str]) -> Select[*tuple[Any, ...]]:
    """The ids of the branch's clients whose current tier is one of ``tiers`` (a sub-select)."""
    return select(ClientScore.id).where(ClientScore.tenant_id == branch_id, ClientScore.tier.in_(tiers))


async def changes_by_id(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: list[uuid.UUID]
) -> list[ClientScoreChange]:
    visible = reachable(branch_id, reader)
    stmt = select(ClientScoreChange).where(
        ClientScoreChange.tenant_id == branch_id,
        ClientScoreChange.id.in_(ids),
        ClientScoreChange.client_id.in_(visible),
    )
    return list(await session.scalars(stmt))
