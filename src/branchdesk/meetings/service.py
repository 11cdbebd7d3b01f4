"""Branch meetings (例会): recorded with their agenda, attendees, minutes and decisions; each action
item is a handoff of type ``action_item`` whose origin is the meeting, assigned to a member and due by
the close of a working day, so it joins the assignee's inbox, the SLA watch and the escalation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.calendars import service as calendars
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.models import Handoff
from branchdesk.handoffs.rules import OriginType, Priority
from branchdesk.meetings import errors, repository
from branchdesk.meetings.models import Meeting, MeetingAttendee
from branchdesk.meetings.permissions import MEETING_READ, MEETING_RECORD
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

ACTION_ITEM = "action_item"
PAST_DAYS, AHEAD_DAYS, DUE_DAYS = 90, 30, 366


@dataclass(frozen=True)
class ActionItemDraft:
    description: str
    assignee_id: uuid.UUID
    due_on: date
    priority: Priority = Priority.NORMAL


@dataclass
class MeetingDraft:
    title: str
    held_at: datetime
    agenda: str
    minutes: str | None = None
    decisions: list[str] = field(default_factory=list)
    attendee_ids: list[uuid.UUID] = field(default_factory=list)
    action_items: list[ActionItemDraft] = field(default_factory=list)


def _check(draft: MeetingDraft) -> None:
    ok = (
        1 <= len(draft.title.strip()) <= 200
        and 1 <= len(draft.agenda.strip()) <= 4000
        and len((draft.minutes or "").strip()) <= 8000
        and len(draft.decisions) <= 50
        and all(1 <= len(d.strip()) <= 500 for d in draft.decisions)
    )
    if not ok:
        raise DomainError(errors.MEETING_TEXT, field="title" if not 1 <= len(draft.title.strip()) <= 200 else "agenda")
    now = utcnow()
    if not now - timedelta(days=PAST_DAYS) <= draft.held_at <= now + timedelta(days=AHEAD_DAYS):
        raise DomainError(errors.HELD_AT, field="heldAt", days=PAST_DAYS, ahead=AHEAD_DAYS)


async def record_meeting(session: AsyncSession, by: Principal, draft: MeetingDraft) -> Meeting:
    """Record a meeting with its attendees, decisions and action items (each a handoff)."""
    by.require(MEETING_RECORD)
    # A stranger is not found, whatever else the draft says.
    for staff_id in draft.attendee_ids:
        if await tenants.membership(session, by.branch_id, staff_id) is None:
            raise NotFound("Staff member", "员工", field="attendeeIds")
    for item in draft.action_items:
        if await tenants.membership(session, by.branch_id, item.assignee_id) is None:
            raise NotFound("Staff member", "员工", field="assigneeId")
    _check(draft)
    meeting = Meeting(
        id=new_id(),
        tenant_id=by.branch_id,
        title=draft.title.strip(),
        held_at=draft.held_at,
        agenda=draft.agenda.strip(),
        minutes=(draft.minutes or "").strip() or None,
        decisions=[d.strip() for d in draft.decisions],
        recorded_by=by.staff_id,
    )
    session.add(meeting)
    await session.flush()
    await repository.add_attendees(session, by.branch_id, meeting.id, list(dict.fromkeys(draft.attendee_ids)))
    details = {"attendees": len(draft.attendee_ids), "action_items": len(draft.action_items)}
    await audit.record(session, by.branch_id, by.author, "meeting.recorded", "meeting", meeting.id, details)
    for item in draft.action_items:
        await _raise_item(session, by, meeting, item)
    return meeting


async def _raise_item(session: AsyncSession, by: Principal, meeting: Meeting, item: ActionItemDraft) -> Handoff:
    today = utcnow().date()
    if not today - timedelta(days=1) <= item.due_on <= today + timedelta(days=DUE_DAYS):
        raise DomainError(errors.DUE_ON, field="dueOn", days=DUE_DAYS)
    calendar = await calendars.branch_calendar(session, by, item.due_on - timedelta(days=30), item.due_on)
    # Due at the close of the working day on or before the date (an item due on a Sunday is due Friday).
    last_day = calendar.on_or_before(item.due_on, field="dueOn")
    due_at = max(calendar.periods(last_day)[-1][1], utcnow() + timedelta(hours=1))
    return await handoffs.raise_handoff(
        session,
        by,
        handoffs.HandoffDraft(
            type=ACTION_ITEM,
            description=item.description,
            priority=item.priority,
            assignee_id=item.assignee_id,
            origin=(OriginType.MEETING, meeting.id),
            due_at=due_at,
        ),
    )


async def add_action_item(
    session: AsyncSession, by: Principal, meeting_id: uuid.UUID, item: ActionItemDraft
) -> Meeting:
    """Add an action item to a recorded meeting (a handoff to the assignee, due on the date)."""
    by.require(MEETING_RECORD)
    found = await repository.meetings_by_id(session, by.branch_id, [meeting_id])
    if not found:
        raise NotFound("Meeting", "例会", field="meetingId")
    if await tenants.membership(session, by.branch_id, item.assignee_id) is None:
        raise NotFound("Staff member", "员工", field="assigneeId")
    await _raise_item(session, by, found[0], item)
    return found[0]


async def list_meetings(session: AsyncSession, by: Principal, page: PageRequest) -> Page[Meeting]:
    by.require(MEETING_READ)
    stmt = repository.meetings_query(by.branch_id)
    return await keyset(session, stmt, (Meeting.held_at, Meeting.id), page, lambda row: row)


async def count_meetings(session: AsyncSession, by: Principal) -> int:
    by.require(MEETING_READ)
    return await count(session, repository.meetings_query(by.branch_id))


async def meetings_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Meeting]:
    if not by.can(MEETING_READ):
        return []
    return await repository.meetings_by_id(session, by.branch_id, ids)


async def attendees_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[MeetingAttendee]]:
    found: dict[uuid.UUID, list[MeetingAttendee]] = {}
    if by.can(MEETING_READ):
        for attendee in await repository.attendees_of(session, by.branch_id, ids):
            found.setdefault(attendee.meeting_id, []).append(attendee)
    return found


async def action_items_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Handoff]]:
    """Each meeting's action items the caller sees (handoffs whose origin is the meeting)."""
    return await handoffs.handoffs_of_origins(session, by, OriginType.MEETING, ids)
