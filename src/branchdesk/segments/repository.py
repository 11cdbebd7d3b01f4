"""All SQL of rule segments: the compiler from a checked rule to a SQLAlchemy condition on ``clients``
(no string SQL), saved segments and templates, materialising membership and reading it.

Every condition compiles to a two-valued expression (a missing birthday or risk grade is simply "not
matching", never NULL), so ``not`` means what a user expects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    Uuid,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.crm.models import Client
from branchdesk.crm.repository import PROFILE, Reader, in_scope, reachable
from branchdesk.crm.rules import month_days_within
from branchdesk.holdings.models import Holding
from branchdesk.holdings.rules import HoldingStatus
from branchdesk.segments import rules
from branchdesk.segments.models import ClientScore, Segment, SegmentMember, SegmentTemplate


@dataclass(frozen=True)
class Moment:
    """When a rule is evaluated: the branch's calendar day (ages, birthdays) and the instant."""

    today: date
    now: datetime


# --- the compiler --------------------------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _tier_in(branch_id: uuid.UUID, codes: list[str]) -> ColumnElement[bool]:
    return exists().where(ClientScore.tenant_id == branch_id, ClientScore.id == Client.id, ClientScore.tier.in_(codes))


def _holding(branch_id: uuid.UUID, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """The client has an active holding meeting ``conditions``."""
    return exists().where(
        Holding.tenant_id == branch_id,
        Holding.client_id == Client.id,
        Holding.status == HoldingStatus.ACTIVE.value,
        *conditions,
    )


def condition(branch_id: uuid.UUID, rule: rules.Rule, at: Moment, vocabulary: rules.Vocabulary) -> ColumnElement[bool]:
    """The rule as a condition on ``clients`` (and, through EXISTS, the client's score)."""
    match rule:
        case rules.AllOf(parts):
            return and_(true(), *[condition(branch_id, p, at, vocabulary) for p in parts])
        case rules.AnyOf(parts):
            return or_(false(), *[condition(branch_id, p, at, vocabulary) for p in parts])
        case rules.Not(inner):
            return not_(condition(branch_id, inner, at, vocabulary))
        case rules.TierIn(codes):
            return _tier_in(branch_id, list(codes))
        case rules.TierAtLeast(lowest):
            return _tier_in(branch_id, list(vocabulary.tiers[vocabulary.tiers.index(lowest) :]))
        case rules.AumRange(low, high):
            return and_(
                Client.aum_cny >= low if low is not None else true(),
                Client.aum_cny <= high if high is not None else true(),
            )
        case rules.AgeRange(low, high):
            # Aged at least ``low``: born on or before today ``low`` years ago; at most ``high``: born
            # after today ``high + 1`` years ago.
            return and_(
                Client.birthday.is_not(None),
                Client.birthday <= _years_before(at.today, low) if low is not None else true(),
                Client.birthday > _years_before(at.today, high + 1) if high is not None else true(),
            )
        case rules.BirthdayWithin(days):
            return and_(Client.birthday_md.is_not(None), Client.birthday_md.in_(month_days_within(at.today, days)))
        case rules.LastContactOlderThan(days):
            return or_(Client.last_contact_at.is_(None), Client.last_contact_at < at.now - timedelta(days=days))
        case rules.LifecycleIn(stages):
            return Client.lifecycle.in_(list(stages))
        case rules.HasTag(tag):
            return Client.tags.contains([tag])
        case rules.RiskGradeIn(grades):
            return and_(Client.risk_grade.is_not(None), Client.risk_grade.in_(list(grades)))
        case rules.Consents(channel):
            return and_(Client.do_not_contact.is_(False), Client.consents.contains([channel]))
        case rules.ProductHeld(product, held):
            holds = _holding(branch_id, Holding.product_code == product)
            return holds if held else not_(holds)
        case rules.MaturityWithin(days, product):
            window = Holding.matures_on.between(at.today, at.today + timedelta(days=days))
            return _holding(branch_id, window, Holding.product_code == product if product is not None else true())
    raise ValueError(f"no compiler for {type(rule).__name__}")


def matching(
    branch_id: uuid.UUID, rule: rules.Rule, at: Moment, vocabulary: rules.Vocabulary
) -> Select[*tuple[Any, ...]]:
    """The ids of the branch's clients the rule matches."""
    return select(Client.id).where(Client.tenant_id == branch_id, condition(branch_id, rule, at, vocabulary))


def preview_query(
    branch_id: uuid.UUID, reader: Reader, rule: rules.Rule, at: Moment, vocabulary: rules.Vocabulary
) -> Select[*tuple[Any, ...]]:
    """The matching clients ``reader`` may see, as client list rows (the CRM's profile columns)."""
    return select(*PROFILE).where(
        Client.tenant_id == branch_id, in_scope(branch_id, reader), condition(branch_id, rule, at, vocabulary)
    )


# --- segments and templates ----------------------------------------------------------------------


def segments_query(branch_id: uuid.UUID) -> Select[*tuple[Any, ...]]:
    return select(Segment).where(Segment.tenant_id == branch_id)


async def segments_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Segment]:
    if not ids:
        return []
    return list(await session.scalars(segments_query(branch_id).where(Segment.id.in_(ids))))


async def segment_for_update(session: AsyncSession, branch_id: uuid.UUID, segment_id: uuid.UUID) -> Segment | None:
    stmt = segments_query(branch_id).where(Segment.id == segment_id).with_for_update()
    found: Segment | None = await session.scalar(stmt)
    return found


async def name_taken(session: AsyncSession, branch_id: uuid.UUID, name: str, but: uuid.UUID | None = None) -> bool:
    stmt = select(Segment.id).where(Segment.tenant_id == branch_id, Segment.name == name)
    if but is not None:
        stmt = stmt.where(Segment.id != but)
    return (await session.scalar(stmt.limit(1))) is not None


async def active_segments(session: AsyncSession, branch_id: uuid.UUID) -> list[Segment]:
    return list(await session.scalars(segments_query(branch_id).order_by(Segment.id)))


async def add_missing(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Segments the branch does not have by name yet (one statement); returns how many were added."""
    stmt = pg_insert(Segment).values(rows).on_conflict_do_nothing(index_elements=[Segment.tenant_id, Segment.name])
    return len(list(await session.scalars(stmt.returning(Segment.id))))


async def template_named(session: AsyncSession, name: str) -> SegmentTemplate | None:
    found: SegmentTemplate | None = await session.scalar(
        select(SegmentTemplate).where(SegmentTemplate.name == name).with_for_update()
    )
    return found


async def templates(session: AsyncSession) -> list[SegmentTemplate]:
    return list(await session.scalars(select(SegmentTemplate).order_by(SegmentTemplate.name)))


async def adopt_templates(session: AsyncSession, branch_id: uuid.UUID, at: datetime) -> int:
    """Give the branch every published template as a segment of its own, or its newer version (one
    statement). A branch segment already holding a template's name keeps it; the template waits."""
    source = select(
        literal(branch_id, Uuid),
        func.gen_random_uuid(),
        SegmentTemplate.name,
        SegmentTemplate.description,
        SegmentTemplate.rule,
        SegmentTemplate.id,
        SegmentTemplate.version,
        literal(at, DateTime(timezone=True)),
        literal(at, DateTime(timezone=True)),
    ).where(
        ~exists().where(
            Segment.tenant_id == branch_id,
            Segment.name == SegmentTemplate.name,
            or_(Segment.template_id.is_(None), Segment.template_id != SegmentTemplate.id),
        )
    )
    insert = pg_insert(Segment).from_select(
        [
            "tenant_id",
            "id",
            "name",
            "description",
            "rule",
            "template_id",
            "template_version",
            "created_at",
            "updated_at",
        ],
        source,
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[Segment.tenant_id, Segment.template_id],
        set_={
            "name": insert.excluded.name,
            "description": insert.excluded.description,
            "rule": insert.excluded.rule,
            "template_version": insert.excluded.template_version,
            "updated_at": insert.excluded.updated_at,
        },
        where=Segment.template_version.is_distinct_from(insert.excluded.template_version),
    ).returning(Segment.id)
    return len(list(await session.scalars(stmt)))


# --- membership ----------------------------------------------------------------------------------


async def materialise(
    session: AsyncSession, branch_id: uuid.UUID, segment_id: uuid.UUID, members: Select[*tuple[Any, ...]], at: datetime
) -> tuple[int, int, int]:
    """Bring a segment's membership in line with ``members`` (a select of client ids) in one statement:
    those no longer matching leave, those newly matching enter, the count is kept on the segment.
    Returns (entered, left, members)."""
    matched = members.cte("matched")
    current = and_(
        SegmentMember.tenant_id == branch_id, SegmentMember.segment_id == segment_id, SegmentMember.left_at.is_(None)
    )
    left = (
        update(SegmentMember)
        .where(current, SegmentMember.client_id.not_in(select(matched.c.id)))
        .values(left_at=at)
        .returning(SegmentMember.id)
        .cte("gone")
    )
    already = exists().where(current, SegmentMember.client_id == matched.c.id)
    entered = (
        pg_insert(SegmentMember)
        .from_select(
            ["tenant_id", "id", "segment_id", "client_id", "entered_at"],
            select(
                literal(branch_id, Uuid),
                func.gen_random_uuid(),
                literal(segment_id, Uuid),
                matched.c.id,
                literal(at, DateTime(timezone=True)),
            ).where(~already),
        )
        .on_conflict_do_nothing()
        .returning(SegmentMember.id)
        .cte("entered")
    )
    total = select(func.count()).select_from(matched).scalar_subquery()
    stmt = (
        update(Segment)
        .where(Segment.tenant_id == branch_id, Segment.id == segment_id)
        .values(member_count=total, materialised_at=at)
        .returning(
            select(func.count()).select_from(entered).scalar_subquery(),
            select(func.count()).select_from(left).scalar_subquery(),
            Segment.member_count,
        )
    )
    row = (await session.execute(stmt.execution_options(synchronize_session=False))).one()
    return int(row[0]), int(row[1]), int(row[2])


async def reload(session: AsyncSession, segment: Segment) -> None:
    """The segment's count and time as materialising left them."""
    await session.refresh(segment, ["member_count", "materialised_at"])


def members_query(branch_id: uuid.UUID, segment_id: uuid.UUID, reader: Reader) -> Select[*tuple[Any, ...]]:
    """A segment's current members that ``reader`` may see: (entered_at, id, client_id) rows."""
    stmt = select(SegmentMember.entered_at, SegmentMember.id, SegmentMember.client_id).where(
        SegmentMember.tenant_id == branch_id, SegmentMember.segment_id == segment_id, SegmentMember.left_at.is_(None)
    )
    if reader.scope.value != "branch":
        visible = reachable(branch_id, reader)
        stmt = stmt.where(SegmentMember.client_id.in_(visible))
    return stmt


async def members_by_id(session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: list[uuid.UUID]) -> list[Any]:
    stmt = select(SegmentMember.entered_at, SegmentMember.id, SegmentMember.client_id).where(
        SegmentMember.tenant_id == branch_id,
        SegmentMember.id.in_(ids),
        SegmentMember.left_at.is_(None),
        SegmentMember.client_id.in_(reachable(branch_id, reader)),
    )
    return list((await session.execute(stmt)).all())


async def memberships_of(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]
) -> list[SegmentMember]:
    """The current segments of clients."""
    if not client_ids:
        return []
    stmt = select(SegmentMember).where(
        SegmentMember.tenant_id == branch_id, SegmentMember.client_id.in_(client_ids), SegmentMember.left_at.is_(None)
    )
    return list(await session.scalars(stmt))
