"""All SQL of care plans and follow-ups. Every statement filters by ``tenant_id`` (row-level security
does too).

The planner's statement (:func:`plan_statement`) is one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per
plan, written as data-modifying CTEs: the candidates (the plan's trigger joined to the day table the
service computed from the calendar), each with the reason it may not be made (do-not-contact, consent,
quiet hours, the weekly cap across all plans), the follow-ups inserted, the skips recorded and the run's
counts — one round trip, whatever the number of clients.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Date, SmallInteger, String, Uuid

from branchdesk.care.models import CarePlan, CarePlanRun, CareSettings, CareSkip, FollowUp
from branchdesk.care.rules import RISK_ASSESSMENT_VALID_DAYS, BirthdayCalendar, Trigger
from branchdesk.crm.models import Client

# --- plans ---------------------------------------------------------------------------------------


def plans_query(branch_id: uuid.UUID, state: str | None = None, trigger: str | None = None) -> Select[Any]:
    stmt = select(CarePlan).where(CarePlan.tenant_id == branch_id)
    if state is not None:
        stmt = stmt.where(CarePlan.state == state)
    if trigger is not None:
        stmt = stmt.where(CarePlan.trigger == trigger)
    return stmt


async def plans_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[CarePlan]:
    if not ids:
        return []
    stmt = select(CarePlan).where(CarePlan.tenant_id == branch_id, CarePlan.id.in_(ids))
    return list(await session.scalars(stmt))


async def plan_for_update(session: AsyncSession, branch_id: uuid.UUID, plan_id: uuid.UUID) -> CarePlan | None:
    stmt = select(CarePlan).where(CarePlan.tenant_id == branch_id, CarePlan.id == plan_id).with_for_update()
    found: CarePlan | None = await session.scalar(stmt)
    return found


async def plan_named(session: AsyncSession, branch_id: uuid.UUID, name: str) -> CarePlan | None:
    found: CarePlan | None = await session.scalar(
        select(CarePlan).where(CarePlan.tenant_id == branch_id, CarePlan.name == name)
    )
    return found


async def active_plans(session: AsyncSession, branch_id: uuid.UUID) -> list[CarePlan]:
    """The branch's active plans, highest priority first (they are planned first and win the weekly cap)."""
    stmt = (
        select(CarePlan)
        .where(CarePlan.tenant_id == branch_id, CarePlan.state == "active")
        .order_by(CarePlan.priority, CarePlan.created_at, CarePlan.id)
    )
    return list(await session.scalars(stmt))


async def latest_runs(session: AsyncSession, branch_id: uuid.UUID, plan_ids: list[uuid.UUID]) -> list[CarePlanRun]:
    """Each plan's latest run."""
    if not plan_ids:
        return []
    stmt = (
        select(CarePlanRun)
        .where(CarePlanRun.tenant_id == branch_id, CarePlanRun.plan_id.in_(plan_ids))
        .ext(distinct_on(CarePlanRun.plan_id))
        .order_by(CarePlanRun.plan_id, CarePlanRun.ran_at.desc(), CarePlanRun.id.desc())
    )
    return list(await session.scalars(stmt))


async def skips(
    session: AsyncSession, branch_id: uuid.UUID, plan_id: uuid.UUID, client_ids: list[uuid.UUID] | None = None
) -> list[CareSkip]:
    stmt = select(CareSkip).where(CareSkip.tenant_id == branch_id, CareSkip.plan_id == plan_id)
    if client_ids is not None:
        stmt = stmt.where(CareSkip.client_id.in_(client_ids))
    return list(await session.scalars(stmt.order_by(CareSkip.due_on, CareSkip.client_id)))


# --- settings ------------------------------------------------------------------------------------


async def settings_of(session: AsyncSession, branch_id: uuid.UUID) -> CareSettings | None:
    found: CareSettings | None = await session.scalar(select(CareSettings).where(CareSettings.tenant_id == branch_id))
    return found


async def save_settings(session: AsyncSession, values: dict[str, Any]) -> CareSettings:
    changed = {k: v for k, v in values.items() if k not in ("tenant_id", "id")}
    stmt = (
        pg_insert(CareSettings)
        .values(values)
        .on_conflict_do_update(index_elements=["tenant_id"], set_=changed)
        .returning(CareSettings)
    )
    row: CareSettings = (await session.scalars(stmt, execution_options={"populate_existing": True})).one()
    return row


# --- the planner ---------------------------------------------------------------------------------

# How each trigger finds a client's anchor date among the day table ``occ`` (all in the branch's zone).
_LOCAL = "AT TIME ZONE :zone)::date"
_SOURCES: dict[Trigger | BirthdayCalendar, str] = {
    Trigger.BIRTHDAY: "FROM occ JOIN clients c ON c.tenant_id = :tenant AND c.birthday_md = occ.md",
    Trigger.ONBOARDING: (
        "FROM clients c JOIN occ ON (c.created_at " + _LOCAL + " = occ.anchor "
        "WHERE c.tenant_id = :tenant AND c.created_at >= :since AND c.created_at < :until "
        "AND c.lifecycle <> 'prospect'"
    ),
    Trigger.AFTER_INTERACTION: (
        "FROM interactions i JOIN clients c ON c.tenant_id = i.tenant_id AND c.id = i.client_id "
        "JOIN occ ON (i.occurred_at " + _LOCAL + " = occ.anchor "
        "WHERE i.tenant_id = :tenant AND i.occurred_at >= :since AND i.occurred_at < :until AND i.kind <> 'note' "
        # a callback's own interaction calls for no callback of its own; NOT IN over the non-null ids is one
        # hashed subplan (NOT EXISTS became a nested loop over every follow-up of the branch per interaction)
        "AND i.id NOT IN (SELECT fx.interaction_id FROM follow_ups fx "
        "WHERE fx.tenant_id = :tenant AND fx.interaction_id IS NOT NULL)"
    ),
    Trigger.AFTER_COMPLAINT: (
        "FROM feedback fb JOIN clients c ON c.tenant_id = fb.tenant_id AND c.id = fb.client_id "
        "JOIN occ ON (fb.resolved_at " + _LOCAL + " = occ.anchor "
        "WHERE fb.tenant_id = :tenant AND fb.resolved_at >= :since AND fb.resolved_at < :until "
        "AND fb.state IN ('resolved', 'closed')"
    ),
    Trigger.DORMANCY: (
        "FROM clients c JOIN occ ON (coalesce(c.last_contact_at, c.created_at) " + _LOCAL + " = occ.anchor "
        "WHERE c.tenant_id = :tenant AND coalesce(c.last_contact_at, c.created_at) >= :since "
        "AND coalesce(c.last_contact_at, c.created_at) < :until AND c.lifecycle NOT IN ('prospect', 'lost')"
    ),
    Trigger.KYC_EXPIRY: "FROM occ JOIN clients c ON c.tenant_id = :tenant AND c.kyc_expires_on = occ.anchor",
    Trigger.RISK_EXPIRY: (
        "FROM occ JOIN clients c ON c.tenant_id = :tenant "
        f"AND c.risk_assessed_on = occ.anchor - {RISK_ASSESSMENT_VALID_DAYS}"
    ),
    Trigger.SEGMENT_ENTRY: (
        "FROM segment_members sm JOIN clients c ON c.tenant_id = sm.tenant_id AND c.id = sm.client_id "
        "JOIN occ ON (sm.entered_at " + _LOCAL + " = occ.anchor "
        "WHERE sm.tenant_id = :tenant AND sm.segment_id = :segment AND sm.left_at IS NULL "
        "AND sm.entered_at >= :since AND sm.entered_at < :until"
    ),
    Trigger.MATURITY: (
        "FROM occ JOIN holdings h ON h.tenant_id = :tenant AND h.matures_on = occ.anchor AND h.status = 'active' "
        "JOIN clients c ON c.tenant_id = h.tenant_id AND c.id = h.client_id"
    ),
    Trigger.TIER_RHYTHM: (
        "FROM occ JOIN client_scores cs ON cs.tenant_id = :tenant AND cs.tier = :tier "
        "JOIN clients c ON c.tenant_id = cs.tenant_id AND c.id = cs.id"
    ),
    # A lunar birthday plan: the clients whose lunar birthday a day celebrates, and (to be skipped with
    # the reason) those with none on their solar birthday; each half by its own index.
    BirthdayCalendar.LUNAR: (
        "FROM occ JOIN LATERAL ("
        " SELECT cl.* FROM clients cl WHERE cl.tenant_id = :tenant AND cl.lunar_birthday_md = occ.lunar_md"
        " UNION ALL"
        " SELECT cl.* FROM clients cl WHERE cl.tenant_id = :tenant AND cl.birthday_md = occ.md"
        " AND cl.lunar_birthday_md IS NULL) c ON true"
    ),
}
# Reasons only one source has, judged before consent (the follow-up would not exist at all).
_FIRST_REASONS: dict[Trigger | BirthdayCalendar, str] = {
    BirthdayCalendar.LUNAR: "WHEN c.lunar_birthday_md IS NULL THEN 'no_lunar_birthday'"
}

_CANDIDATES = """
WITH occ AS (
  SELECT * FROM unnest(CAST(:anchors AS date[]), CAST(:occurrences AS date[]), CAST(:due_ons AS date[]),
    CAST(:month_days AS smallint[]), CAST(:lunar_keys AS smallint[])) AS o(anchor, occurrence, due_on, md, lunar_md)
),
found AS (
  SELECT DISTINCT ON (c.id, occ.occurrence)
    c.id AS client_id, occ.occurrence, occ.due_on,
    coalesce(CAST(:role_holder AS uuid), c.owner_id) AS assignee_id,
    CASE {first_reasons}
         WHEN c.do_not_contact THEN 'do_not_contact'
         WHEN NOT (:channel = ANY(c.consents)) THEN 'no_consent'
         WHEN :quiet THEN 'quiet_hours' END AS reason
  {source}
  ORDER BY c.id, occ.occurrence
),
fresh AS (
  SELECT found.* FROM found
  WHERE NOT EXISTS (
    SELECT 1 FROM follow_ups f
    WHERE f.tenant_id = :tenant AND f.plan_id = :plan AND f.client_id = found.client_id
      AND f.occurrence = found.occurrence)
),
judged AS (
  SELECT fresh.client_id, fresh.occurrence, fresh.due_on, fresh.assignee_id,
    CASE WHEN fresh.reason IS NULL AND (
        (SELECT count(*) FROM follow_ups w
         WHERE w.tenant_id = :tenant AND w.client_id = fresh.client_id AND w.state <> 'cancelled'
           AND w.due_on >= CAST(date_trunc('week', fresh.due_on) AS date)
           AND w.due_on < CAST(date_trunc('week', fresh.due_on) AS date) + 7)
        + count(*) FILTER (WHERE fresh.reason IS NULL) OVER (
            PARTITION BY fresh.client_id, date_trunc('week', fresh.due_on)
            ORDER BY fresh.due_on, fresh.occurrence ROWS UNBOUNDED PRECEDING)
      ) > :cap THEN 'weekly_cap' ELSE fresh.reason END AS reason
  FROM fresh
)"""

_PLAN = (
    _CANDIDATES
    + """,
made AS (
  INSERT INTO follow_ups (tenant_id, id, plan_id, client_id, occurrence, due_on, assignee_id, channel, title,
    priority, contact_from, contact_until, state, attempts, created_at, updated_at)
  SELECT :tenant, gen_random_uuid(), :plan, j.client_id, j.occurrence, j.due_on, j.assignee_id, :channel, :title,
    :priority, :contact_from, :contact_until, 'open', 0, :now, :now
  FROM judged j WHERE j.reason IS NULL
  ON CONFLICT (tenant_id, plan_id, client_id, occurrence) DO NOTHING
  RETURNING 1
),
skipped AS (
  INSERT INTO care_skips (tenant_id, id, plan_id, client_id, occurrence, due_on, reason, recorded_at)
  SELECT :tenant, gen_random_uuid(), :plan, j.client_id, j.occurrence, j.due_on, j.reason, :now
  FROM judged j WHERE j.reason IS NOT NULL
  ON CONFLICT (tenant_id, plan_id, client_id, occurrence)
  DO UPDATE SET reason = excluded.reason, due_on = excluded.due_on, recorded_at = excluded.recorded_at
  RETURNING 1
),
counted AS (
  SELECT coalesce(jsonb_object_agg(reason, n), '{{}}'::jsonb) AS skipped
  FROM (SELECT reason, count(*) AS n FROM judged WHERE reason IS NOT NULL GROUP BY reason) r
)
INSERT INTO care_plan_runs (tenant_id, id, plan_id, run_on, ran_at, created, skipped)
SELECT :tenant, gen_random_uuid(), :plan, :run_on, :now, (SELECT count(*) FROM made),
  counted.skipped || jsonb_build_object('recorded', (SELECT count(*) FROM skipped))
FROM counted
RETURNING created, skipped"""
)

_SIMULATE = (
    _CANDIDATES
    + """
SELECT j.client_id, j.occurrence, j.due_on, j.assignee_id, j.reason FROM judged j
ORDER BY j.due_on, j.client_id, j.occurrence"""
)

_ARRAYS = (
    bindparam("anchors", type_=ARRAY(Date)),
    bindparam("occurrences", type_=ARRAY(Date)),
    bindparam("due_ons", type_=ARRAY(Date)),
    bindparam("month_days", type_=ARRAY(SmallInteger)),
    bindparam("lunar_keys", type_=ARRAY(SmallInteger)),
    bindparam("role_holder", type_=Uuid),
)
_SEGMENT = bindparam("segment", type_=Uuid)
_TIER = bindparam("tier", type_=String)


def _statement(sql: str, source: Trigger | BirthdayCalendar) -> Any:
    extras: dict[Trigger | BirthdayCalendar, tuple[Any, ...]] = {
        Trigger.SEGMENT_ENTRY: (_SEGMENT,),
        Trigger.TIER_RHYTHM: (_TIER,),
    }
    extra = extras.get(source, ())
    filled = sql.format(source=_SOURCES[source], first_reasons=_FIRST_REASONS.get(source, ""))
    return text(filled).bindparams(*_ARRAYS, *extra)


# Built once per source (a trigger, or the lunar birthday): the same for every branch and run.
PLAN_STATEMENTS = {t: _statement(_PLAN, t) for t in _SOURCES}
SIMULATE_STATEMENTS = {t: _statement(_SIMULATE, t) for t in _SOURCES}


@dataclass(frozen=True)
class PlanPass:
    """The parameters of one plan's statement (see ``_CANDIDATES`` for their use)."""

    tenant: uuid.UUID
    plan: uuid.UUID
    trigger: Trigger
    zone: str
    anchors: list[date]
    occurrences: list[date]
    due_ons: list[date]
    month_days: list[int | None]
    lunar_keys: list[int | None]
    since: datetime  # anchors stored as instants lie in since…until
    until: datetime
    role_holder: uuid.UUID | None
    channel: str
    quiet: bool
    cap: int
    title: str
    priority: int
    contact_from: Any
    contact_until: Any
    run_on: date
    now: datetime
    segment: uuid.UUID | None = None
    tier: str | None = None
    birthday_calendar: BirthdayCalendar = BirthdayCalendar.SOLAR

    @property
    def source(self) -> Trigger | BirthdayCalendar:
        """The statement's key: the trigger, or the lunar calendar for a lunar birthday plan."""
        if self.trigger is Trigger.BIRTHDAY and self.birthday_calendar is BirthdayCalendar.LUNAR:
            return BirthdayCalendar.LUNAR
        return self.trigger

    def parameters(self) -> dict[str, Any]:
        skip = ("trigger", "birthday_calendar")
        values = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in skip}
        if self.trigger is not Trigger.SEGMENT_ENTRY:
            del values["segment"]
        if self.trigger is not Trigger.TIER_RHYTHM:
            del values["tier"]
        return values


async def plan_pass(session: AsyncSession, given: PlanPass) -> tuple[int, dict[str, int]]:
    """Run one plan's statement: (follow-ups created, skipped per reason and ``recorded``)."""
    row = (await session.execute(PLAN_STATEMENTS[given.source], given.parameters())).one()
    return int(row.created), {k: int(v) for k, v in row.skipped.items()}


async def simulate_pass(session: AsyncSession, given: PlanPass) -> list[Any]:
    """What :func:`plan_pass` would do, without writing: (client, occurrence, due on, assignee, reason)."""
    return list((await session.execute(SIMULATE_STATEMENTS[given.source], given.parameters())).all())


# --- follow-ups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    assignee_id: uuid.UUID | None = None
    state: str | None = None
    due_from: date | None = None
    due_until: date | None = None
    plan_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


def follow_ups_query(branch_id: uuid.UUID, filters: Filters) -> Select[Any]:
    stmt = select(FollowUp).where(FollowUp.tenant_id == branch_id)
    if filters.assignee_id is not None:
        stmt = stmt.where(FollowUp.assignee_id == filters.assignee_id)
    if filters.state is not None:
        stmt = stmt.where(FollowUp.state == filters.state)
    if filters.due_from is not None:
        stmt = stmt.where(FollowUp.due_on >= filters.due_from)
    if filters.due_until is not None:
        stmt = stmt.where(FollowUp.due_on <= filters.due_until)
    if filters.plan_id is not None:
        stmt = stmt.where(FollowUp.plan_id == filters.plan_id)
    if filters.client_id is not None:
        stmt = stmt.where(FollowUp.client_id == filters.client_id)
    return stmt


async def follow_ups_by_id(
    session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID], assignee_id: uuid.UUID | None = None
) -> list[FollowUp]:
    """By id; with ``assignee_id``, only those assigned to them."""
    if not ids:
        return []
    stmt = select(FollowUp).where(FollowUp.tenant_id == branch_id, FollowUp.id.in_(ids))
    if assignee_id is not None:
        stmt = stmt.where(FollowUp.assignee_id == assignee_id)
    return list(await session.scalars(stmt))


async def follow_up_for_update(session: AsyncSession, branch_id: uuid.UUID, follow_up_id: uuid.UUID) -> FollowUp | None:
    stmt = select(FollowUp).where(FollowUp.tenant_id == branch_id, FollowUp.id == follow_up_id).with_for_update()
    found: FollowUp | None = await session.scalar(stmt)
    return found


async def follow_ups_of_clients(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID], assignee_id: uuid.UUID | None
) -> list[FollowUp]:
    if not client_ids:
        return []
    stmt = select(FollowUp).where(FollowUp.tenant_id == branch_id, FollowUp.client_id.in_(client_ids))
    if assignee_id is not None:
        stmt = stmt.where(FollowUp.assignee_id == assignee_id)
    stmt = stmt.order_by(FollowUp.client_id, FollowUp.due_on.desc(), FollowUp.id.desc())
    return list(await session.scalars(stmt))


async def cards(
    session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID], assignee_id: uuid.UUID | None
) -> list[Any]:
    """(id, client number, name, preferred language) of clients; with ``assignee_id`` only those with a
    follow-up assigned to them (what is handed over, not the book)."""
    if not client_ids:
        return []
    stmt = select(Client.id, Client.client_number, Client.name, Client.preferred_language).where(
        Client.tenant_id == branch_id, Client.id.in_(client_ids)
    )
    if assignee_id is not None:
        held = select(FollowUp.id).where(
            FollowUp.tenant_id == branch_id, FollowUp.client_id == Client.id, FollowUp.assignee_id == assignee_id
        )
        stmt = stmt.where(held.exists())
    return list((await session.execute(stmt)).all())


# What "my day" shows of a follow-up (every column but the completion's links), read as plain rows.
MY_DAY_COLUMNS = (
    FollowUp.id,
    FollowUp.occurrence,
    FollowUp.due_on,
    FollowUp.channel,
    FollowUp.title,
    FollowUp.priority,
    FollowUp.contact_from,
    FollowUp.contact_until,
    FollowUp.state,
    FollowUp.outcome,
    FollowUp.attempts,
    FollowUp.note,
    FollowUp.completed_at,
    FollowUp.escalated_at,
    FollowUp.created_at,
    FollowUp.updated_at,
    FollowUp.plan_id,
    FollowUp.client_id,
    FollowUp.assignee_id,
    FollowUp.covering_for_id,
)


async def my_day(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, today: date, until: date, limit: int
) -> list[Any]:
    """A staff member's open follow-ups due up to ``until``: overdue, today's and upcoming, at most
    ``limit`` of each, by priority then due date, each with its client's number, name and language.
    One statement: the open-by-assignee index, then the clients by primary key."""
    bucket = func.sign(FollowUp.due_on - today)
    ranked = (
        select(
            *MY_DAY_COLUMNS,
            func.row_number()
            .over(partition_by=bucket, order_by=(FollowUp.priority, FollowUp.due_on, FollowUp.id))
            .label("n"),
        )
        .where(
            FollowUp.tenant_id == branch_id,
            FollowUp.assignee_id == staff_id,
            FollowUp.state == "open",
            FollowUp.due_on <= until,
        )
        .subquery()
    )
    order = (ranked.c.priority, ranked.c.due_on, ranked.c.id)
    # The LIMIT changes no answer (three days' buckets of ``limit``): it tells the planner how few rows
    # come out of the window, which it cannot know, so that the clients are read by primary key.
    shown = select(ranked).where(ranked.c.n <= limit).order_by(*order).limit(3 * limit).subquery()
    stmt = (
        select(
            *(shown.c[c.key] for c in MY_DAY_COLUMNS),
            Client.client_number,
            Client.name.label("client_name"),
            Client.preferred_language,
        )
        .join(Client, (Client.tenant_id == branch_id) & (Client.id == shown.c.client_id))
        .order_by(shown.c.priority, shown.c.due_on, shown.c.id)
    )
    return list((await session.execute(stmt)).all())


async def completion(
    session: AsyncSession, branch_id: uuid.UUID, zone: str, first: date, last: date, today: date, by_plan: bool
) -> list[Any]:
    """Per staff member (or plan): follow-ups due in the range (cancelled left out), done, done on time,
    still open and overdue."""
    key = FollowUp.plan_id if by_plan else FollowUp.assignee_id
    stmt = (
        select(
            key.label("key"),
            func.count().label("due"),
            func.count().filter(FollowUp.state == "done").label("done"),
            func.count()
            .filter(FollowUp.state == "done", func.timezone(zone, FollowUp.completed_at) < FollowUp.due_on + 1)
            .label("on_time"),
            func.count().filter(FollowUp.state == "open", FollowUp.due_on < today).label("overdue"),
        )
        .where(
            FollowUp.tenant_id == branch_id,
            FollowUp.due_on >= first,
            FollowUp.due_on <= last,
            FollowUp.state != "cancelled",
        )
        .group_by(key)
        .order_by(key)
    )
    return list((await session.execute(stmt)).all())


async def due_by_assignee(session: AsyncSession, branch_id: uuid.UUID, day: date) -> list[Any]:
    """(assignee, how many, most urgent rank) of open follow-ups due on ``day``."""
    stmt = (
        select(FollowUp.assignee_id, func.count().label("n"), func.min(FollowUp.priority).label("top"))
        .where(FollowUp.tenant_id == branch_id, FollowUp.state == "open", FollowUp.due_on == day)
        .group_by(FollowUp.assignee_id)
        .order_by(FollowUp.assignee_id)
    )
    return list((await session.execute(stmt)).all())


async def mark_escalated(session: AsyncSession, branch_id: uuid.UUID, due_before: date, at: datetime) -> list[Any]:
    """Mark every open follow-up due on or before ``due_before`` not escalated yet: (id, assignee, title,
    due on) of those marked now. A concurrent run marks none of them twice."""
    stmt = (
        update(FollowUp)
        .where(
            FollowUp.tenant_id == branch_id,
            FollowUp.state == "open",
            FollowUp.due_on <= due_before,
            FollowUp.escalated_at.is_(None),
        )
        .values(escalated_at=at)
        .returning(FollowUp.id, FollowUp.assignee_id, FollowUp.title, FollowUp.due_on)
    )
    return list((await session.execute(stmt)).all())


async def open_assignees(session: AsyncSession, branch_id: uuid.UUID, due_until: date) -> list[uuid.UUID]:
    stmt = (
        select(FollowUp.assignee_id)
        .where(FollowUp.tenant_id == branch_id, FollowUp.state == "open", FollowUp.due_on <= due_until)
        .distinct()
    )
    return list(await session.scalars(stmt))


async def hand_over(
    session: AsyncSession, branch_id: uuid.UUID, covers: dict[uuid.UUID, uuid.UUID], due_until: date, at: datetime
) -> list[Any]:
    """Move the open follow-ups (due up to ``due_until``) of each absent staff member to their cover,
    remembering whose they were: one statement. (id, new assignee, absent) of those moved."""
    if not covers:
        return []
    pairs = (
        select(
            func.unnest(bindparam("absent", list(covers), type_=ARRAY(Uuid))).label("absent"),
            func.unnest(bindparam("cover", list(covers.values()), type_=ARRAY(Uuid))).label("cover"),
        )
    ).subquery()
    stmt = (
        update(FollowUp)
        .where(
            FollowUp.tenant_id == branch_id,
            FollowUp.state == "open",
            FollowUp.due_on <= due_until,
            FollowUp.assignee_id == pairs.c.absent,
        )
        .values(
            assignee_id=pairs.c.cover,
            covering_for_id=func.coalesce(FollowUp.covering_for_id, FollowUp.assignee_id),
            updated_at=at,
        )
        .returning(FollowUp.id, FollowUp.assignee_id, FollowUp.covering_for_id)
    )
    return list((await session.execute(stmt)).all())


async def reassign(
    session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID], to: uuid.UUID, at: datetime
) -> list[uuid.UUID]:
    stmt = (
        update(FollowUp)
        .where(FollowUp.tenant_id == branch_id, FollowUp.id.in_(ids), FollowUp.state == "open")
        .values(assignee_id=to, covering_for_id=None, updated_at=at)
        .returning(FollowUp.id)
    )
    return list(await session.scalars(stmt))


async def feed(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, first: date, last: date) -> list[Any]:
    """A staff member's open follow-ups due in the range, with the client number, for a calendar feed."""
    stmt = (
        select(FollowUp, Client.client_number)
        .join(Client, (Client.tenant_id == FollowUp.tenant_id) & (Client.id == FollowUp.client_id))
        .where(
            FollowUp.tenant_id == branch_id,
            FollowUp.assignee_id == staff_id,
            FollowUp.state == "open",
            FollowUp.due_on >= first,
            FollowUp.due_on <= last,
        )
        .order_by(FollowUp.due_on, FollowUp.priority, FollowUp.id)
    )
    return list((await session.execute(stmt)).all())
