"""Client feedback and the complaint workflow.

Anyone at the front line records feedback; a complaint is then worked through the states of
``rules.TRANSITIONS`` by those who handle complaints, each step recorded (who, when, note) and audited.
Its SLA deadlines are computed once, when it is received, in the branch's business hours (the business
calendar) and stored, so that the SLA watch (:func:`escalate_breaches`) finds breaches with a query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import across
from branchdesk.calendars import service as calendars
from branchdesk.calendars.calculator import BusinessCalendar
from branchdesk.crm import service as crm
from branchdesk.crm.permissions import CLIENT_CARD_READ, CLIENT_READ
from branchdesk.feedback import errors, repository
from branchdesk.feedback.models import (
    DEFAULT_CATEGORY,
    ComplaintEscalation,
    ComplaintSla,
    ComplaintTransition,
    Feedback,
    FeedbackCategory,
)
from branchdesk.feedback.permissions import COMPLAINT_HANDLE, COMPLAINT_MANAGE_SLA, FEEDBACK_READ, FEEDBACK_SUBMIT
from branchdesk.feedback.rules import (
    LABELS,
    TRANSITIONS,
    Channel,
    ComplaintAction,
    ComplaintState,
    FeedbackKind,
    Severity,
)
from branchdesk.platform import audit, events, outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants

BACKDATE_DAYS = 30  # feedback recorded late (an opinion box opened weekly) keeps the day it came in
MAX_ACKNOWLEDGE_HOURS, MAX_RESOLVE_DAYS = 200, 120
ESCALATED_JOB = "complaint_escalated"
ESCALATED_TOPIC = "complaint.escalated"
RESOLVED_JOB = "send_complaint_survey"  # the satisfaction survey a resolved complaint sends (surveys)

FEEDBACK_ORDERS: dict[str, Key] = {
    "received_at": (Feedback.received_at, Feedback.id),
    "created_at": (Feedback.created_at, Feedback.id),
}


@dataclass
class FeedbackDraft:
    kind: FeedbackKind
    channel: Channel
    category: str
    severity: Severity
    summary: str
    details: str | None = None
    client_id: uuid.UUID | None = None
    received_at: datetime | None = None
    assignee_id: uuid.UUID | None = None


@dataclass(frozen=True)
class FeedbackFilters:
    kind: FeedbackKind | None = None
    state: ComplaintState | None = None
    category: str | None = None
    breached: bool | None = None
    assignee_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Deadlines:
    acknowledge_due_at: datetime
    resolve_due_at: datetime


# --- head office: categories and the SLA table ---------------------------------------------------


async def categories(session: AsyncSession, by: Principal) -> list[FeedbackCategory]:
    """The head-office list, for anyone recording or reading feedback."""
    return await repository.categories(session)


async def categories_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[FeedbackCategory]:
    return await repository.categories_by_id(session, ids)


async def slas(session: AsyncSession, by: Principal) -> list[ComplaintSla]:
    if not by.can(COMPLAINT_MANAGE_SLA):
        by.require(FEEDBACK_READ)
    return await repository.slas(session)


async def set_sla(
    session: AsyncSession, by: Principal, category: str, severity: Severity, acknowledge_hours: int, resolve_days: int
) -> ComplaintSla:
    """Head office sets the promise for a category (or ``*``: the default) and severity. Complaints
    already received keep the deadlines they were given."""
    by.require(COMPLAINT_MANAGE_SLA)
    if category != DEFAULT_CATEGORY and await repository.category_by_code(session, category) is None:
        raise DomainError(errors.UNKNOWN_CATEGORY, field="category", category=category)
    if not (1 <= acknowledge_hours <= MAX_ACKNOWLEDGE_HOURS and 1 <= resolve_days <= MAX_RESOLVE_DAYS):
        field = "acknowledgeHours" if not 1 <= acknowledge_hours <= MAX_ACKNOWLEDGE_HOURS else "resolveDays"
        raise DomainError(errors.SLA_VALUE, field=field, max_hours=MAX_ACKNOWLEDGE_HOURS, max_days=MAX_RESOLVE_DAYS)
    sla = await repository.upsert_sla(session, category, severity.value, acknowledge_hours, resolve_days, utcnow())
    details = {"category": category, "severity": severity.value, "acknowledge_hours": acknowledge_hours}
    details["resolve_days"] = resolve_days
    office = await tenants.head_office(session)
    if office is not None:
        async with across(session, by, office.id):
            await audit.record(session, office.id, by.author, "complaint.sla_set", "complaint_sla", sla.id, details)
    return sla


# --- deadlines -----------------------------------------------------------------------------------


def deadlines(calendar: BusinessCalendar, received_at: datetime, sla: ComplaintSla) -> Deadlines:
    """Acknowledge within N business hours of receipt; resolve by closing time of the M-th working day
    after the day it was received (a complaint received on a day off counts from that day too)."""
    acknowledge = calendar.add_business_hours(received_at, timedelta(hours=sla.acknowledge_hours))
    last_day = calendar.add_business_days(calendar.local_date(received_at), sla.resolve_days)
    return Deadlines(acknowledge, calendar.periods(last_day)[-1][1])


async def _deadlines(session: AsyncSession, by: Principal, received_at: datetime, sla: ComplaintSla) -> Deadlines:
    first = received_at.date() - timedelta(days=1)
    # Long enough for M working days past the longest holidays and a closure of up to a year.
    last = first + timedelta(days=2 * sla.resolve_days + 400)
    return deadlines(await calendars.branch_calendar(session, by, first, last), received_at, sla)


# --- recording feedback --------------------------------------------------------------------------


async def _check_client(session: AsyncSession, by: Principal, client_id: uuid.UUID) -> None:
    """The client must be one the caller may see: in their data scope for ``client:read``; a teller or
    lobby manager, who only reads routing cards, may name any client of the branch they can guide."""
    if by.data_scope(CLIENT_READ) is not None:
        found = bool(await crm.clients_by_id(session, by, [client_id]))
    elif by.can(CLIENT_CARD_READ):
        found = bool(await crm.routing_cards(session, by, [client_id]))
    else:
        found = False
    if not found:
        raise NotFound("Client", "客户", field="clientId")


async def _check_assignee(session: AsyncSession, by: Principal, staff_id: uuid.UUID) -> None:
    if await tenants.membership(session, by.branch_id, staff_id) is None:
        raise NotFound("Staff member", "员工", field="assigneeId")


async def submit_feedback(session: AsyncSession, by: Principal, draft: FeedbackDraft) -> Feedback:
    """Record feedback; a complaint starts ``received`` with its SLA deadlines. Anonymous when no client."""
    by.require(FEEDBACK_SUBMIT)
    problems: list[DomainError] = []
    summary = draft.summary.strip()
    if not 1 <= len(summary) <= 200:
        problems.append(DomainError(errors.SUMMARY_LENGTH, field="summary"))
    category = await repository.category_by_code(session, draft.category)
    if category is None:
        problems.append(DomainError(errors.UNKNOWN_CATEGORY, field="category", category=draft.category[:40]))
    now = utcnow()
    received_at = draft.received_at or now
    if received_at.tzinfo is None or not now - timedelta(days=BACKDATE_DAYS) <= received_at <= now + timedelta(
        minutes=5
    ):
        problems.append(DomainError(errors.RECEIVED_AT, field="receivedAt", days=BACKDATE_DAYS))
    if problems:
        raise InvalidInput(problems)
    assert category is not None
    if draft.client_id is not None:
        await _check_client(session, by, draft.client_id)
    complaint = draft.kind is FeedbackKind.COMPLAINT
    if draft.assignee_id is not None:
        await _check_assignee(session, by, draft.assignee_id)
        if not complaint:
            raise not_a_complaint(draft.kind.value, "assigneeId")
    due = None
    if complaint:
        sla = await repository.sla_for(session, category.code, draft.severity.value)
        assert sla is not None, "the migration seeds a default SLA for every severity"
        due = await _deadlines(session, by, received_at, sla)
    feedback = Feedback(
        id=new_id(),
        tenant_id=by.branch_id,
        kind=draft.kind.value,
        channel=draft.channel.value,
        category_id=category.id,
        severity=draft.severity.value,
        client_id=draft.client_id,
        summary=summary,
        details=(draft.details or "").strip() or None,
        received_at=received_at,
        submitted_by=by.staff_id,
        state=ComplaintState.RECEIVED.value if complaint else None,
        assignee_id=draft.assignee_id,
        acknowledge_due_at=due.acknowledge_due_at if due else None,
        resolve_due_at=due.resolve_due_at if due else None,
        created_at=now,
        updated_at=now,
    )
    session.add(feedback)
    await session.flush()
    if complaint:
        session.add(_history(by, feedback, "receive", None, ComplaintState.RECEIVED.value, None, now))
        await session.flush()
    details = {"kind": feedback.kind, "channel": feedback.channel, "category": category.code}
    await audit.record(session, by.branch_id, by.author, "feedback.submitted", "feedback", feedback.id, details)
    return feedback


# --- the complaint workflow ----------------------------------------------------------------------


def not_a_complaint(kind: str, field: str) -> DomainError:
    en, zh = LABELS[FeedbackKind][kind]
    return DomainError(errors.NOT_A_COMPLAINT, field=field, kind=en.lower(), kind_zh=zh)


def _history(
    by: Principal, feedback: Feedback, action: str, before: str | None, after: str, note: str | None, at: datetime
) -> ComplaintTransition:
    return ComplaintTransition(
        id=new_id(),
        tenant_id=feedback.tenant_id,
        feedback_id=feedback.id,
        action=action,
        from_state=before,
        to_state=after,
        at=at,
        actor_kind=by.author.kind,
        actor_id=by.author.id,
        actor_label=by.author.label,
        note=note,
    )


def refused(action: ComplaintAction, state: ComplaintState) -> DomainError:
    """The typed refusal of a transition the table does not allow, naming the current state."""
    allowed = [a for (a, s) in TRANSITIONS if s is state]
    return DomainError(
        errors.TRANSITION_REFUSED,
        field="id",
        state=state.value,
        state_zh=LABELS[ComplaintState][state.value][1],
        action=action.value,
        action_zh=LABELS[ComplaintAction][action.value][1],
        allowed=", ".join(a.value for a in allowed) or "none",
        allowed_zh="、".join(LABELS[ComplaintAction][a.value][1] for a in allowed) or "无",
    )


async def _complaint_for_update(session: AsyncSession, by: Principal, feedback_id: uuid.UUID) -> Feedback:
    by.require(COMPLAINT_HANDLE)
    feedback = await repository.feedback_for_update(session, by.branch_id, feedback_id)
    if feedback is None:
        raise NotFound("Complaint", "投诉", field="id")
    if feedback.state is None:
        raise not_a_complaint(feedback.kind, "id")
    return feedback


async def transition(
    session: AsyncSession,
    by: Principal,
    feedback_id: uuid.UUID,
    action: ComplaintAction,
    note: str | None = None,
    resolution: str | None = None,
) -> Feedback:
    """Move a complaint on by ``action`` as ``rules.TRANSITIONS`` allows; anything else is refused with
    the current state. Resolving needs the resolution (what the client was told)."""
    feedback = await _complaint_for_update(session, by, feedback_id)
    assert feedback.state is not None
    state = ComplaintState(feedback.state)
    after = TRANSITIONS.get((action, state))
    if after is None:
        raise refused(action, state)
    text = (resolution or "").strip()
    if action is ComplaintAction.RESOLVE and not 1 <= len(text) <= 2000:
        raise DomainError(errors.RESOLUTION_REQUIRED, field="resolution")
    now = utcnow()
    if action is ComplaintAction.ACKNOWLEDGE:
        feedback.acknowledged_at = now
    elif action is ComplaintAction.RESOLVE:
        feedback.resolved_at, feedback.resolution = now, text
    elif action is ComplaintAction.CLOSE:
        feedback.closed_at = now
    elif action is ComplaintAction.REOPEN:
        feedback.resolved_at = feedback.closed_at = None
    feedback.state, feedback.updated_at = after.value, now
    note = (note or "").strip() or None
    session.add(_history(by, feedback, action.value, state.value, after.value, note, now))
    await session.flush()
    details = {"from": state.value, "to": after.value}
    await audit.record(session, by.branch_id, by.author, f"complaint.{action.value}", "feedback", feedback.id, details)
    if action is ComplaintAction.RESOLVE:
        await outbox.enqueue(session, by.branch_id, RESOLVED_JOB, feedback_id=str(feedback.id))
    return feedback


async def assign(
    session: AsyncSession, by: Principal, feedback_id: uuid.UUID, assignee_id: uuid.UUID, note: str | None = None
) -> Feedback:
    """Give a complaint to a member of the branch to work (in any state: a closed one may be reopened)."""
    by.require(COMPLAINT_HANDLE)
    await _check_assignee(session, by, assignee_id)  # a stranger is not found, whatever the complaint
    feedback = await _complaint_for_update(session, by, feedback_id)
    before = feedback.assignee_id
    now = utcnow()
    feedback.assignee_id, feedback.updated_at = assignee_id, now
    assert feedback.state is not None
    note = (note or "").strip() or None
    session.add(_history(by, feedback, "assign", feedback.state, feedback.state, note, now))
    await session.flush()
    details = {"from": str(before) if before else None, "to": str(assignee_id)}
    await audit.record(session, by.branch_id, by.author, "complaint.assigned", "feedback", feedback.id, details)
    return feedback


# --- reading -------------------------------------------------------------------------------------


async def _filters(session: AsyncSession, by: Principal, given: FeedbackFilters) -> repository.Filters:
    """The repository's filters; a client or assignee the caller cannot see is not found, like a stranger."""
    if given.client_id is not None:
        await _check_client(session, by, given.client_id)
    if given.assignee_id is not None:
        await _check_assignee(session, by, given.assignee_id)
    category_id = None
    if given.category is not None:
        category = await repository.category_by_code(session, given.category)
        if category is None:
            raise DomainError(errors.UNKNOWN_CATEGORY, field="category", category=given.category[:40])
        category_id = category.id
    now = utcnow()
    return repository.Filters(
        kind=given.kind.value if given.kind else None,
        state=given.state.value if given.state else None,
        category_id=category_id,
        assignee_id=given.assignee_id,
        client_id=given.client_id,
        breached_at=now if given.breached is True else None,
        not_breached_at=now if given.breached is False else None,
    )


async def list_feedback(
    session: AsyncSession, by: Principal, page: PageRequest, filters: FeedbackFilters
) -> Page[Feedback]:
    """The branch's feedback, newest first unless ``page`` says otherwise."""
    by.require(FEEDBACK_READ)
    stmt = repository.feedback_query(by.branch_id, await _filters(session, by, filters))
    return await keyset(session, stmt, FEEDBACK_ORDERS[page.order_by or "received_at"], page, lambda row: row)


async def count_feedback(session: AsyncSession, by: Principal, filters: FeedbackFilters) -> int:
    by.require(FEEDBACK_READ)
    return await count(session, repository.feedback_query(by.branch_id, await _filters(session, by, filters)))


async def feedback_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Feedback]:
    """Feedback by id for ``node`` and payloads: the branch's with ``feedback:read``; without it, only what
    the caller recorded themselves (a teller sees the note they just took); never an error."""
    if by.can(FEEDBACK_READ):
        return await repository.feedback_by_id(session, by.branch_id, ids)
    if by.staff_id is None or not by.can(FEEDBACK_SUBMIT):
        return []
    return await repository.feedback_by_id(session, by.branch_id, ids, submitted_by=by.staff_id)


async def feedback_of_clients(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Feedback]]:
    """Each client's feedback, newest first (the caller reached the clients through a scoped read)."""
    if not by.can(FEEDBACK_READ):
        return {}
    found: dict[uuid.UUID, list[Feedback]] = {}
    for item in await repository.feedback_of_clients(session, by.branch_id, client_ids):
        assert item.client_id is not None
        found.setdefault(item.client_id, []).append(item)
    return found


async def history_of(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    if not by.can(FEEDBACK_READ):
        return {}
    found: dict[uuid.UUID, list[Any]] = {}
    for step in await repository.transitions(session, by.branch_id, ids):
        found.setdefault(step.feedback_id, []).append(step)
    return found


async def escalations_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ComplaintEscalation]]:
    if not by.can(FEEDBACK_READ):
        return {}
    found: dict[uuid.UUID, list[ComplaintEscalation]] = {}
    for escalation in await repository.escalations(session, by.branch_id, ids):
        found.setdefault(escalation.feedback_id, []).append(escalation)
    return found


def is_breached(feedback: Feedback, now: datetime) -> bool:
    """The same rule as the watch's query (``repository.breached``), for one complaint in hand."""
    if feedback.state == ComplaintState.RECEIVED and feedback.acknowledge_due_at and feedback.acknowledge_due_at < now:
        return True
    still_open = feedback.state in (ComplaintState.RECEIVED, ComplaintState.ACKNOWLEDGED, ComplaintState.INVESTIGATING)
    return bool(still_open and feedback.resolve_due_at and feedback.resolve_due_at < now)


# --- the SLA watch -------------------------------------------------------------------------------


async def escalate_breaches(session: AsyncSession, by: Principal, now: datetime | None = None) -> list[Any]:
    """Escalate every breach of the branch not escalated before: one escalation per complaint and kind of
    breach (a unique key), each with an outbox row for the notification and an audit record. Running it
    again, or twice at once, escalates nothing twice. Returns the escalations recorded now."""
    if not by.is_system:
        by.require(COMPLAINT_HANDLE)
    now = now or utcnow()
    found = await repository.breaches_not_escalated(session, by.branch_id, now)
    rows = [
        {
            "tenant_id": by.branch_id,
            "id": new_id(),
            "feedback_id": feedback_id,
            "breach": breach,
            "due_at": due_at,
            "escalated_at": now,
        }
        for feedback_id, breach, due_at in found
    ]
    recorded = await repository.record_escalations(session, rows)
    for escalation_id, feedback_id, breach, due_at in recorded:
        await outbox.enqueue(
            session,
            by.branch_id,
            ESCALATED_JOB,
            escalation_id=str(escalation_id),
            feedback_id=str(feedback_id),
            breach=breach,
        )
        details = {"breach": breach, "due_at": due_at.isoformat()}
        await audit.record(session, by.branch_id, by.author, "complaint.escalated", "feedback", feedback_id, details)
    return recorded


async def announce_escalation(session: AsyncSession, by: Principal, escalation_id: uuid.UUID) -> bool:
    """Tell the branch (its heads' live feeds, later their notification inbox) about an escalation, once:
    False when it was announced before."""
    escalation = await repository.escalation_for_update(session, by.branch_id, escalation_id)
    if escalation is None or escalation.notified_at is not None:
        return False
    escalation.notified_at = utcnow()
    await session.flush()
    data = {"feedbackId": str(escalation.feedback_id), "breach": escalation.breach}
    events.publish_after_commit(session, events.Event(ESCALATED_TOPIC, by.branch_id, data))
    return True
