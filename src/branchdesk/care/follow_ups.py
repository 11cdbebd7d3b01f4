"""Working follow-ups: listing, completing (which logs the interaction), rescheduling, reassigning.

A follow-up is its assignee's: with ``follow_up:work`` one sees and works those assigned to one (a cover,
perhaps from another branch, sees exactly what was handed over and the card of its client, not the
absent colleague's book); with ``follow_up:manage`` the branch head sees and moves them all. Anything
else is "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.calendars import service as calendars
from branchdesk.care import errors, kinds, repository, rules
from branchdesk.care.models import FollowUp
from branchdesk.care.permissions import FOLLOW_UP_MANAGE, FOLLOW_UP_WORK
from branchdesk.crm.interactions import service as interactions
from branchdesk.crm.rules import InteractionChannel, InteractionKind, mask_name
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

RESCHEDULE_DAYS = 90
MAX_REASSIGN = 200
FOLLOW_UP_ORDERS: dict[str, Key] = {
    "due_on": (FollowUp.due_on, FollowUp.id),
    "priority": (FollowUp.priority, FollowUp.due_on, FollowUp.id),
    "created_at": (FollowUp.created_at, FollowUp.id),
}


@dataclass(frozen=True)
class FollowUpFilters:
    assignee_id: uuid.UUID | None = None
    state: rules.FollowUpState | None = None
    due_from: date | None = None
    due_until: date | None = None
    plan_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ClientCard:
    """What the assignee of a follow-up sees of its client: enough to make the contact, nothing more."""

    id: uuid.UUID
    client_number: str
    masked_name: str
    preferred_language: str


def _own(by: Principal) -> uuid.UUID | None:
    """None: the caller sees the branch's follow-ups; else only those assigned to this staff member."""
    if by.can(FOLLOW_UP_MANAGE):
        return None
    by.require(FOLLOW_UP_WORK)
    if by.staff_id is None:
        raise NotFound("Staff member", "员工", field="assigneeId")
    return by.staff_id


async def _filters(session: AsyncSession, by: Principal, given: FollowUpFilters) -> repository.Filters:
    """The repository's filters; a plan, client or staff member of another branch (or none) is not found."""
    mine = _own(by)
    if given.assignee_id is not None and (
        (mine is not None and given.assignee_id != mine)
        or await tenants.membership(session, by.branch_id, given.assignee_id) is None
    ):
        raise NotFound("Staff member", "员工", field="assigneeId")
    if given.plan_id is not None and not await repository.plans_by_id(session, by.branch_id, [given.plan_id]):
        raise NotFound("Care plan", "关怀计划", field="planId")
    if given.client_id is not None and not await repository.cards(session, by.branch_id, [given.client_id], mine):
        raise NotFound("Client", "客户", field="clientId")
    return repository.Filters(
        assignee_id=mine or given.assignee_id,
        state=given.state.value if given.state else None,
        due_from=given.due_from,
        due_until=given.due_until,
        plan_id=given.plan_id,
        client_id=given.client_id,
    )


async def list_follow_ups(
    session: AsyncSession, by: Principal, page: PageRequest, filters: FollowUpFilters
) -> Page[FollowUp]:
    """Follow-ups (one's own, or the branch's for ``follow_up:manage``), by due date unless asked otherwise."""
    stmt = repository.follow_ups_query(by.branch_id, await _filters(session, by, filters))
    return await keyset(session, stmt, FOLLOW_UP_ORDERS[page.order_by or "due_on"], page, lambda row: row)


async def count_follow_ups(session: AsyncSession, by: Principal, filters: FollowUpFilters) -> int:
    return await count(session, repository.follow_ups_query(by.branch_id, await _filters(session, by, filters)))


async def follow_ups_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[FollowUp]:
    """By id, only those the caller may see; never an error."""
    if by.can(FOLLOW_UP_MANAGE):
        return await repository.follow_ups_by_id(session, by.branch_id, ids)
    if not by.can(FOLLOW_UP_WORK) or by.staff_id is None:
        return []
    return await repository.follow_ups_by_id(session, by.branch_id, ids, assignee_id=by.staff_id)


async def follow_ups_of_clients(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[FollowUp]]:
    """Each client's follow-ups the caller may see, latest due first (for ``Client.followUps``)."""
    if by.can(FOLLOW_UP_MANAGE):
        mine = None
    elif by.can(FOLLOW_UP_WORK) and by.staff_id is not None:
        mine = by.staff_id
    else:
        return {}
    found: dict[uuid.UUID, list[FollowUp]] = {}
    for item in await repository.follow_ups_of_clients(session, by.branch_id, client_ids, mine):
        found.setdefault(item.client_id, []).append(item)
    return found


async def cards_of(session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, ClientCard]:
    """Client cards for follow-ups: the branch head sees any; others only of clients they hold a
    follow-up of."""
    if by.can(FOLLOW_UP_MANAGE):
        mine = None
    elif by.can(FOLLOW_UP_WORK) and by.staff_id is not None:
        mine = by.staff_id
    else:
        return {}
    rows = await repository.cards(session, by.branch_id, client_ids, mine)
    return {row.id: ClientCard(row.id, row.client_number, mask_name(row.name), row.preferred_language) for row in rows}


async def _for_work(session: AsyncSession, by: Principal, follow_up_id: uuid.UUID) -> FollowUp:
    mine = _own(by)
    found = await repository.follow_up_for_update(session, by.branch_id, follow_up_id)
    if found is None or (mine is not None and found.assignee_id != mine):
        raise NotFound("Follow-up", "客户跟进", field="id")
    if found.state != rules.FollowUpState.OPEN:
        en, zh = rules.LABELS[rules.FollowUpState][found.state]
        raise DomainError(errors.FOLLOW_UP_CLOSED, field="id", state=en.lower(), state_zh=zh)
    return found


def _note(note: str | None) -> str | None:
    cleaned = (note or "").strip() or None
    if cleaned is not None and len(cleaned) > 2000:
        raise DomainError(errors.NOTE_LENGTH, field="note")
    return cleaned


async def _working_day(session: AsyncSession, by: Principal, day: date, field: str) -> date:
    """``day`` checked to be a working day of the branch from today up to :data:`RESCHEDULE_DAYS` ahead."""
    _, today = await calendars.branch_today(session, by)
    if not today <= day <= today + timedelta(days=RESCHEDULE_DAYS):
        raise DomainError(errors.RESCHEDULE_DATE, field=field, days=RESCHEDULE_DAYS)
    calendar = await calendars.branch_calendar(session, by, day, day)
    if not calendar.is_working_day(day):
        raise DomainError(errors.RESCHEDULE_DATE, field=field, days=RESCHEDULE_DAYS)
    return day


async def complete(
    session: AsyncSession,
    by: Principal,
    follow_up_id: uuid.UUID,
    outcome: rules.Outcome,
    note: str | None = None,
    next_on: date | None = None,
    occurred_at: datetime | None = None,
) -> FollowUp:
    """Record the contact: an interaction is logged on the client's timeline. ``not_reached`` keeps the
    follow-up open, due again after the plan's retry days, until its retries are spent; ``rescheduled``
    (the client asked for another day) keeps it open for ``next_on``; otherwise it is done."""
    follow_up = await _for_work(session, by, follow_up_id)
    text = _note(note)
    if outcome is rules.Outcome.RESCHEDULED:
        if next_on is None:
            raise DomainError(errors.RESCHEDULE_DATE, field="nextOn", days=RESCHEDULE_DAYS)
        next_on = await _working_day(session, by, next_on, "nextOn")
    now = utcnow()
    kind, channel = rules.INTERACTION_OF_CHANNEL[rules.Channel(follow_up.channel)]
    outcome_en = rules.LABELS[rules.Outcome][outcome.value][0]
    logged = await interactions.log_for_work(
        session,
        by,
        interactions.InteractionDraft(
            client_id=follow_up.client_id,
            kind=InteractionKind(kind),
            channel=InteractionChannel(channel),
            occurred_at=occurred_at or now,
            summary=follow_up.title if text is None else f"{follow_up.title}: {text}",
            outcome=outcome_en,
        ),
    )
    follow_up.attempts += 1
    follow_up.outcome, follow_up.note, follow_up.interaction_id = outcome.value, text, logged.id
    follow_up.updated_at = now
    plans = await repository.plans_by_id(session, by.branch_id, [follow_up.plan_id])
    retry = outcome is rules.Outcome.NOT_REACHED and plans and follow_up.attempts <= plans[0].max_retries
    if retry:
        calendar = await calendars.branch_calendar(session, by, now.date(), now.date() + timedelta(days=120))
        follow_up.due_on = calendar.on_or_after(calendar.local_date(now) + timedelta(days=plans[0].retry_days))
    elif next_on is not None:
        follow_up.due_on = next_on
    else:
        follow_up.state, follow_up.completed_at, follow_up.completed_by = "done", now, by.staff_id
    await session.flush()
    details = {"outcome": outcome.value, "attempts": follow_up.attempts, "state": follow_up.state}
    await audit.record(session, by.branch_id, by.author, "care.follow_up_completed", "follow_up", follow_up.id, details)
    return follow_up


async def reschedule(
    session: AsyncSession, by: Principal, follow_up_id: uuid.UUID, due_on: date, note: str | None = None
) -> FollowUp:
    """Move an open follow-up to another working day (from today up to 90 days ahead)."""
    follow_up = await _for_work(session, by, follow_up_id)
    text = _note(note)
    day = await _working_day(session, by, due_on, "dueOn")
    before = follow_up.due_on
    follow_up.due_on, follow_up.updated_at = day, utcnow()
    if text is not None:
        follow_up.note = text
    follow_up.escalated_at = None  # a new promise: escalated again only if this one slips
    await session.flush()
    details = {"from": before.isoformat(), "to": day.isoformat()}
    await audit.record(
        session, by.branch_id, by.author, "care.follow_up_rescheduled", "follow_up", follow_up.id, details
    )
    return follow_up


async def reassign(
    session: AsyncSession, by: Principal, follow_up_ids: list[uuid.UUID], assignee_id: uuid.UUID
) -> list[uuid.UUID]:
    """Give open follow-ups (one or many) to a member of the branch, who is told once. All or nothing:
    one that is not found or not open refuses the lot."""
    by.require(FOLLOW_UP_MANAGE)
    if await tenants.membership(session, by.branch_id, assignee_id) is None:
        raise NotFound("Staff member", "员工", field="assigneeId")
    ids = list(dict.fromkeys(follow_up_ids))
    if not 1 <= len(ids) <= MAX_REASSIGN:
        raise DomainError(errors.REASSIGN_COUNT, field="ids", most=MAX_REASSIGN)
    found = {f.id: f for f in await repository.follow_ups_by_id(session, by.branch_id, ids)}
    if len(found) != len(ids):
        raise NotFound("Follow-up", "客户跟进", field="ids")
    closed = [f for f in found.values() if f.state != rules.FollowUpState.OPEN]
    if closed:
        en, zh = rules.LABELS[rules.FollowUpState][closed[0].state]
        raise DomainError(errors.FOLLOW_UP_CLOSED, field="ids", state=en.lower(), state_zh=zh)
    now = utcnow()
    moved = await repository.reassign(session, by.branch_id, ids, assignee_id, now)
    await notifications.notify(
        session,
        by.branch_id,
        [assignee_id],
        kind=kinds.HANDED_OVER,
        key=f"care.reassigned:{now.isoformat()}:{min(moved)}",
        title=f"{len(moved)} follow-up(s) handed over to you / 转交给您 {len(moved)} 条客户跟进",
        subject=("follow_up", moved[0]),
    )
    details = {"to": str(assignee_id), "follow_ups": [str(i) for i in moved]}
    await audit.record(session, by.branch_id, by.author, "care.follow_ups_reassigned", "follow_up", None, details)
    return ids
