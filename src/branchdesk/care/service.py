"""Care plans and the planner.

The branch head defines plans (``care:plan``): a trigger and its offsets, the channel, who takes the
follow-up, its priority, where a due date on a day off moves, and the contact hours. The planner turns
each active plan into follow-ups for a branch and a day with one statement per plan (see
``repository``): the business calendar is applied to the few dozen days of the window here, in Python,
and the statement joins that day table to the clients. Running it again, or two at once, or after an
outage (it looks :data:`CATCH_UP_DAYS` back) creates each follow-up once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.registry import ROLES
from branchdesk.calendars import service as calendars
from branchdesk.calendars.calculator import BusinessCalendar
from branchdesk.care import errors, kinds, repository, rules  # noqa: F401  (kinds: declared on import)
from branchdesk.care.models import CarePlan, CarePlanRun, CareSettings, CareSkip
from branchdesk.care.permissions import CARE_PLAN, CARE_READ
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.segments import service as segments
from branchdesk.tenants import service as tenants

CATCH_UP_DAYS = 7  # a planner down for up to a week makes up what it missed
LOOKAHEAD_DAYS = 7  # follow-ups exist a week ahead, so "my day" shows what is coming
SIMULATION_DAYS = 30
MAX_OFFSETS = 10
DEFAULT_SETTINGS = {"quiet_start": time(21), "quiet_end": time(8), "weekly_cap": 2, "escalate_after_days": 2}
# Wide enough for every window the planner asks about around a day (see rules.calendar_span).
CALENDAR_MARGIN = timedelta(days=rules.MAX_OFFSET + 120)

PLAN_ORDERS: dict[str, Key] = {
    "name": (CarePlan.name, CarePlan.id),
    "priority": (CarePlan.priority, CarePlan.id),
    "created_at": (CarePlan.created_at, CarePlan.id),
}


@dataclass
class PlanDraft:
    name: str
    trigger: rules.Trigger
    channel: rules.Channel
    title: str
    offsets: list[int] | None = None
    assign_to: rules.Assignee = rules.Assignee.OWNER
    assignee_role: str | None = None
    priority: rules.Priority = rules.Priority.NORMAL
    shift: rules.Shift = rules.Shift.NEXT
    contact_from: time = time(9)
    contact_until: time = time(18)
    retry_days: int = 2
    max_retries: int = 2
    segment_id: uuid.UUID | None = None  # segment_entry
    tier: str | None = None  # tier_rhythm
    every_months: int | None = None  # tier_rhythm
    birthday_calendar: rules.BirthdayCalendar = rules.BirthdayCalendar.SOLAR  # birthday


@dataclass(frozen=True)
class PlanResult:
    plan_id: uuid.UUID
    created: int
    skipped: dict[str, int]


@dataclass(frozen=True)
class SimulatedFollowUp:
    client_id: uuid.UUID
    occurrence: date
    due_on: date
    assignee_id: uuid.UUID
    skip_reason: str | None


@dataclass(frozen=True)
class Simulation:
    plan_id: uuid.UUID
    first: date
    last: date
    would_create: int
    skipped: dict[str, int]
    items: list[SimulatedFollowUp] = field(default_factory=list)


# --- settings ------------------------------------------------------------------------------------


async def settings(session: AsyncSession, by: Principal) -> CareSettings:
    """The branch's care settings (the defaults until it sets its own)."""
    found = await repository.settings_of(session, by.branch_id)
    if found is not None:
        return found
    return CareSettings(tenant_id=by.branch_id, id=by.branch_id, updated_at=utcnow(), **DEFAULT_SETTINGS)


async def set_settings(
    session: AsyncSession, by: Principal, quiet_start: time, quiet_end: time, weekly_cap: int, escalate_after_days: int
) -> CareSettings:
    by.require(CARE_PLAN)
    if not (1 <= weekly_cap <= 20 and 1 <= escalate_after_days <= 30):
        field_name = "weeklyCap" if not 1 <= weekly_cap <= 20 else "escalateAfterDays"
        raise DomainError(errors.SETTINGS_VALUE, field=field_name)
    values = {
        "tenant_id": by.branch_id,
        "id": new_id(),
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
        "weekly_cap": weekly_cap,
        "escalate_after_days": escalate_after_days,
        "updated_at": utcnow(),
    }
    saved = await repository.save_settings(session, values)
    details = {k: str(v) for k, v in values.items() if k not in ("tenant_id", "id", "updated_at")}
    await audit.record(session, by.branch_id, by.author, "care.settings_set", "care_settings", saved.id, details)
    return saved


# --- plans ---------------------------------------------------------------------------------------


async def _check_trigger(session: AsyncSession, by: Principal, draft: PlanDraft) -> list[DomainError]:
    """The segment of a segment-entry plan (one the caller may see) and the tier and rhythm of a tier rhythm."""
    problems: list[DomainError] = []
    if draft.segment_id is not None and not await segments.segments_by_id(session, by, [draft.segment_id]):
        raise NotFound("Segment", "客户细分", field="segmentId")
    if (draft.trigger is rules.Trigger.SEGMENT_ENTRY) != (draft.segment_id is not None):
        problems.append(DomainError(errors.PLAN_SEGMENT, field="segmentId"))
    rhythm = draft.trigger is rules.Trigger.TIER_RHYTHM
    given = draft.tier is not None or draft.every_months is not None
    if rhythm or given:
        tiers = (await segments.vocabulary(session, by)).tiers
        if not rhythm or draft.tier not in tiers or draft.every_months not in rules.RHYTHM_MONTHS:
            field_name = "tier" if draft.tier not in tiers else "everyMonths"
            problems.append(DomainError(errors.PLAN_RHYTHM, field=field_name, tiers=", ".join(tiers)))
    return problems


def _check_draft(draft: PlanDraft) -> tuple[dict[str, object], list[DomainError]]:
    problems: list[DomainError] = []
    name, title = draft.name.strip(), draft.title.strip()
    if not 1 <= len(name) <= 100:
        problems.append(DomainError(errors.PLAN_NAME, field="name"))
    if not 1 <= len(title) <= 200:
        problems.append(DomainError(errors.PLAN_TITLE, field="title"))
    offsets = sorted(set(draft.offsets)) if draft.offsets else list(rules.DEFAULT_OFFSETS[draft.trigger])
    if draft.offsets is not None and (
        not 1 <= len(draft.offsets) <= MAX_OFFSETS
        or len(offsets) != len(draft.offsets)
        or any(abs(o) > rules.MAX_OFFSET for o in offsets)
    ):
        rule, rule_zh = rules.LABELS[rules.Trigger][draft.trigger.value]
        problems.append(
            DomainError(
                errors.PLAN_OFFSETS,
                field="offsets",
                most=MAX_OFFSETS,
                limit=rules.MAX_OFFSET,
                rule=rule,
                rule_zh=rule_zh,
            )
        )
    role = (draft.assignee_role or "").strip() or None
    if (draft.assign_to is rules.Assignee.ROLE) != (role is not None):
        problems.append(DomainError(errors.PLAN_ROLE, field="assigneeRole"))
    elif role is not None and role not in ROLES:
        problems.append(DomainError(errors.UNKNOWN_ROLE, field="assigneeRole", role=role[:40]))
    if draft.contact_from >= draft.contact_until:
        problems.append(DomainError(errors.CONTACT_HOURS, field="contactUntil"))
    if draft.birthday_calendar is not rules.BirthdayCalendar.SOLAR and draft.trigger is not rules.Trigger.BIRTHDAY:
        problems.append(DomainError(errors.PLAN_CALENDAR, field="birthdayCalendar"))
    if not (1 <= draft.retry_days <= 30 and 0 <= draft.max_retries <= 10):
        problems.append(
            DomainError(errors.RETRIES, field="retryDays" if not 1 <= draft.retry_days <= 30 else "maxRetries")
        )
    values: dict[str, object] = {
        "name": name,
        "trigger": draft.trigger.value,
        "offsets": offsets,
        "channel": draft.channel.value,
        "title": title,
        "assign_to": draft.assign_to.value,
        "assignee_role": role,
        "priority": rules.RANK[draft.priority],
        "shift": draft.shift.value,
        "contact_from": draft.contact_from,
        "contact_until": draft.contact_until,
        "retry_days": draft.retry_days,
        "max_retries": draft.max_retries,
        "segment_id": draft.segment_id,
        "tier": draft.tier,
        "every_months": draft.every_months,
        "birthday_calendar": draft.birthday_calendar.value,
    }
    return values, problems


async def _branch_today(session: AsyncSession, by: Principal) -> date:
    return (await calendars.branch_today(session, by))[1]


async def define_plan(session: AsyncSession, by: Principal, draft: PlanDraft) -> CarePlan:
    """A new care plan, active from today (the planner makes its first follow-ups on its next run)."""
    by.require(CARE_PLAN)
    trigger_problems = await _check_trigger(session, by, draft)
    values, problems = _check_draft(draft)
    problems += trigger_problems
    if problems:
        raise InvalidInput(problems)
    if await repository.plan_named(session, by.branch_id, str(values["name"])) is not None:
        raise DomainError(errors.PLAN_NAME_TAKEN, field="name", name=values["name"])
    now = utcnow()
    plan = CarePlan(
        id=new_id(),
        tenant_id=by.branch_id,
        state=rules.PlanState.ACTIVE.value,
        effective_from=await _branch_today(session, by),
        created_by=by.staff_id,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(plan)
    await session.flush()
    details = {"name": plan.name, "trigger": plan.trigger, "channel": plan.channel}
    await audit.record(session, by.branch_id, by.author, "care.plan_defined", "care_plan", plan.id, details)
    return plan


async def _plan_for_update(session: AsyncSession, by: Principal, plan_id: uuid.UUID) -> CarePlan:
    by.require(CARE_PLAN)
    plan = await repository.plan_for_update(session, by.branch_id, plan_id)
    if plan is None:
        raise NotFound("Care plan", "关怀计划", field="id")
    return plan


async def update_plan(session: AsyncSession, by: Principal, plan_id: uuid.UUID, draft: PlanDraft) -> CarePlan:
    """Change a plan from today on: follow-ups already made keep what they were made with, and the
    planner applies the new rules only to occurrences due from today. A plan keeps its trigger and segment
    (another trigger is another plan)."""
    plan = await _plan_for_update(session, by, plan_id)
    if draft.trigger.value != plan.trigger:
        raise DomainError(errors.PLAN_TRIGGER, field="plan.trigger")
    draft = replace(draft, segment_id=plan.segment_id)
    values, problems = _check_draft(draft)
    problems += await _check_trigger(session, by, draft)
    if problems:
        raise InvalidInput(problems)
    other = await repository.plan_named(session, by.branch_id, str(values["name"]))
    if other is not None and other.id != plan.id:
        raise DomainError(errors.PLAN_NAME_TAKEN, field="name", name=values["name"])
    for key, value in values.items():
        setattr(plan, key, value)
    plan.effective_from = await _branch_today(session, by)
    plan.updated_at = utcnow()
    await session.flush()
    await audit.record(session, by.branch_id, by.author, "care.plan_updated", "care_plan", plan.id, {"name": plan.name})
    return plan


async def set_plan_state(session: AsyncSession, by: Principal, plan_id: uuid.UUID, state: rules.PlanState) -> CarePlan:
    """Pause (the planner skips it; open follow-ups stay) or resume (from today: what fell due while
    paused is not made up)."""
    plan = await _plan_for_update(session, by, plan_id)
    if plan.state == state.value:
        en_zh = rules.LABELS[rules.PlanState][state.value]
        raise DomainError(errors.PLAN_STATE, field="id", state=en_zh[0].lower(), state_zh=en_zh[1])
    plan.state = state.value
    if state is rules.PlanState.ACTIVE:
        plan.effective_from = await _branch_today(session, by)
    plan.updated_at = utcnow()
    await session.flush()
    action = "care.plan_resumed" if state is rules.PlanState.ACTIVE else "care.plan_paused"
    await audit.record(session, by.branch_id, by.author, action, "care_plan", plan.id, {})
    return plan


async def list_plans(
    session: AsyncSession,
    by: Principal,
    page: PageRequest,
    state: rules.PlanState | None = None,
    trigger: rules.Trigger | None = None,
) -> Page[CarePlan]:
    by.require(CARE_READ)
    stmt = repository.plans_query(by.branch_id, state.value if state else None, trigger.value if trigger else None)
    return await keyset(session, stmt, PLAN_ORDERS[page.order_by or "priority"], page, lambda row: row)


async def count_plans(
    session: AsyncSession, by: Principal, state: rules.PlanState | None = None, trigger: rules.Trigger | None = None
) -> int:
    by.require(CARE_READ)
    return await count(
        session,
        repository.plans_query(by.branch_id, state.value if state else None, trigger.value if trigger else None),
    )


async def plans_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[CarePlan]:
    """Plans by id for ``node`` and payloads: none without ``care:read`` (a follow-up's assignee still sees
    the plan's name through the follow-up's own fields)."""
    if not by.can(CARE_READ):
        return []
    return await repository.plans_by_id(session, by.branch_id, ids)


async def latest_runs(session: AsyncSession, by: Principal, plan_ids: list[uuid.UUID]) -> dict[uuid.UUID, CarePlanRun]:
    if not by.can(CARE_READ):
        return {}
    return {run.plan_id: run for run in await repository.latest_runs(session, by.branch_id, plan_ids)}


async def skips_of(session: AsyncSession, by: Principal, plan_id: uuid.UUID) -> list[CareSkip]:
    """Why the plan's occurrences were not made follow-ups (the latest reason for each)."""
    by.require(CARE_PLAN)
    return await repository.skips(session, by.branch_id, plan_id)


# --- the planner ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    calendar: BusinessCalendar
    zone: str
    today: date
    settings: CareSettings
    holders: dict[str, uuid.UUID | None]


async def _context(session: AsyncSession, by: Principal, day: date | None, plans: list[CarePlan]) -> _Context:
    around = day or utcnow().date()
    calendar = await calendars.branch_calendar(session, by, around - CALENDAR_MARGIN, around + CALENDAR_MARGIN)
    zone = calendar.zone.key
    today = day or calendar.local_date(utcnow())
    settings_now = await settings(session, by)
    holders: dict[str, uuid.UUID | None] = {}
    for role in sorted({p.assignee_role for p in plans if p.assignee_role}):
        found = await tenants.holders_of(session, by.branch_id, role)
        holders[role] = min(found) if found else None  # the same holder every run; none: the owner
    return _Context(calendar, zone, today, settings_now, holders)


def _pass(plan: CarePlan, ctx: _Context, first: date, last: date) -> repository.PlanPass:
    trigger, birthday_calendar = rules.Trigger(plan.trigger), rules.BirthdayCalendar(plan.birthday_calendar)
    found = rules.occurrences(
        ctx.calendar,
        trigger,
        list(plan.offsets),
        rules.Shift(plan.shift),
        first,
        last,
        plan.every_months,
        birthday_calendar,
    )
    low, high = rules.anchor_span(list(plan.offsets), trigger in rules.BUSINESS_DAY_TRIGGERS, first, last)
    zone = ZoneInfo(ctx.zone)
    window = rules.contact_window(
        plan.contact_from, plan.contact_until, ctx.settings.quiet_start, ctx.settings.quiet_end
    )
    return repository.PlanPass(
        tenant=plan.tenant_id,
        plan=plan.id,
        trigger=trigger,
        zone=ctx.zone,
        anchors=[o.anchor for o in found],
        occurrences=[o.occurrence for o in found],
        due_ons=[o.due_on for o in found],
        month_days=[o.month_day for o in found],
        lunar_keys=[o.lunar_key for o in found],
        since=datetime.combine(low, time(0), zone),
        until=datetime.combine(high + timedelta(days=1), time(0), zone),
        role_holder=ctx.holders.get(plan.assignee_role) if plan.assignee_role else None,
        channel=plan.channel,
        quiet=window is None,
        cap=ctx.settings.weekly_cap,
        title=plan.title,
        priority=plan.priority,
        contact_from=window.start if window else plan.contact_from,
        contact_until=window.end if window else plan.contact_until,
        run_on=ctx.today,
        now=utcnow(),
        segment=plan.segment_id,
        tier=plan.tier,
        birthday_calendar=birthday_calendar,
    )


async def plan_day(session: AsyncSession, by: Principal, day: date | None = None) -> list[PlanResult]:
    """Make the follow-ups of every active plan of the branch for ``day`` (today in the branch's zone):
    those due from :data:`CATCH_UP_DAYS` before it (what an outage missed; never before the plan's
    ``effective_from``) to :data:`LOOKAHEAD_DAYS` after it. Plans run highest priority first, so they win
    the weekly cap. One statement per plan, each recording its run."""
    by.require(CARE_PLAN)
    plans = await repository.active_plans(session, by.branch_id)
    if not plans:
        return []
    ctx = await _context(session, by, day, plans)
    results = []
    for plan in plans:
        first = max(ctx.today - timedelta(days=CATCH_UP_DAYS), plan.effective_from)
        last = ctx.today + timedelta(days=LOOKAHEAD_DAYS)
        created, skipped = await repository.plan_pass(session, _pass(plan, ctx, first, last))
        results.append(PlanResult(plan.id, created, skipped))
    total = sum(r.created for r in results)
    details = {"day": ctx.today.isoformat(), "plans": len(plans), "created": total}
    await audit.record(session, by.branch_id, by.author, "care.planned", "care_plan", None, details)
    return results


async def simulate_plan(
    session: AsyncSession, by: Principal, plan_id: uuid.UUID, days: int = SIMULATION_DAYS, limit: int = 200
) -> Simulation:
    """What the plan would create over the next ``days`` days (today included) if the planner ran now,
    with what it would skip and why: nothing is written."""
    by.require(CARE_PLAN)
    found = await repository.plans_by_id(session, by.branch_id, [plan_id])
    if not found:
        raise NotFound("Care plan", "关怀计划", field="id")
    plan = found[0]
    ctx = await _context(session, by, None, [plan])
    first, last = ctx.today, ctx.today + timedelta(days=days - 1)
    rows = await repository.simulate_pass(session, _pass(plan, ctx, first, last))
    skipped: dict[str, int] = {}
    for row in rows:
        if row.reason is not None:
            skipped[row.reason] = skipped.get(row.reason, 0) + 1
    items = [SimulatedFollowUp(r.client_id, r.occurrence, r.due_on, r.assignee_id, r.reason) for r in rows[:limit]]
    return Simulation(plan.id, first, last, sum(1 for r in rows if r.reason is None), skipped, items)
