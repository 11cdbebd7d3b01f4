"""Walk-in visits and the queue.

The lobby manager registers a visit (a known client found as the CRM finds them, or an anonymous walk-in)
and triages it to a service line: the visit gets the line's next ticket number of the branch's local day.
Those who serve a line call the next ticket (``FOR UPDATE SKIP LOCKED``: two callers never get the same
one), start the service, mark a no-show, end the visit with its outcome, or transfer it to another line,
where it gets a new ticket and keeps its history. Each step moves the current ticket as
``rules.TRANSITIONS`` allows, is audited, and is announced to live boards once it commits.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.crm import service as crm
from branchdesk.platform import audit, events
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, InvalidInput, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Key, Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants
from branchdesk.visits import errors, repository
from branchdesk.visits.models import QueueTicket, Visit
from branchdesk.visits.permissions import (
    LINE_SERVE,
    QUEUE_METRICS,
    QUEUE_SERVE,
    QUEUE_TRANSFER,
    VISIT_READ,
    VISIT_REGISTER,
)
from branchdesk.visits.rules import (
    DEFAULT_SERVICE_TIME,
    LABELS,
    TRANSITIONS,
    Purpose,
    ServiceLine,
    TicketAction,
    TicketState,
    ticket_number,
)

QUEUE_CHANGED = "queue.changed"
# What a queue event says happened (the subscription's `action`); registration says "registered".
ANNOUNCED = {
    TicketAction.CALL: "called",
    TicketAction.START: "started",
    TicketAction.NO_SHOW: "no_show",
    TicketAction.END: "ended",
    TicketAction.TRANSFER: "transferred",
}
MAX_OUTCOME_ITEMS, MAX_OUTCOME_LENGTH, MAX_NOTE = 10, 100, 500

VISIT_ORDERS: dict[str, Key] = {
    "registered_at": (Visit.registered_at, Visit.id),
    "updated_at": (Visit.updated_at, Visit.id),
}


@dataclass
class VisitDraft:
    purpose: Purpose
    line: ServiceLine | str
    client_id: uuid.UUID | None = None
    phone: str | None = None
    id_number: str | None = None
    note: str | None = None


@dataclass
class Outcome:
    services_done: list[str] = field(default_factory=list)
    products_of_interest: list[str] = field(default_factory=list)
    referral_raised: bool = False
    referral_note: str | None = None
    survey_sent: bool = False


@dataclass(frozen=True)
class VisitFilters:
    local_day: date | None = None
    line: ServiceLine | None = None
    state: TicketState | None = None
    client_id: uuid.UUID | None = None


@dataclass(frozen=True)
class QueueBoard:
    line: ServiceLine
    waiting: list[QueueTicket]  # in queue order
    being_served: list[QueueTicket]  # called or in service
    staff_serving_today: int
    recent_services: int
    average_service_time: timedelta | None  # of the line's recent services; None before any
    service_time_basis: timedelta  # what the estimate counts per client ahead

    def wait_for(self, ahead: int) -> int:
        """Estimated minutes before a client with ``ahead`` clients before them is called."""
        staff = max(self.staff_serving_today, 1)
        return math.ceil(ahead * self.service_time_basis.total_seconds() / staff / 60)

    @property
    def estimated_wait_minutes(self) -> int:
        """For a client who takes a ticket now."""
        return self.wait_for(len(self.waiting))


@dataclass(frozen=True)
class HourMetrics:
    line: ServiceLine
    hour: int  # the local hour of arrival, 0-23
    arrivals: int
    called: int
    average_wait_seconds: float | None
    p90_wait_seconds: float | None
    served: int
    average_service_seconds: float | None
    no_shows: int

    @property
    def abandonment_rate(self) -> float:
        return self.no_shows / self.arrivals if self.arrivals else 0.0


def parse_line(value: ServiceLine | str, field_name: str = "line") -> ServiceLine:
    try:
        return ServiceLine(value)
    except ValueError:
        raise DomainError(errors.LINE_UNKNOWN, field=field_name, line=str(value)[:40]) from None


def _line_label(line: ServiceLine) -> str:
    return LABELS[ServiceLine][line.value][1]


def _check_serves(by: Principal, line: ServiceLine, field_name: str = "line") -> None:
    by.require(QUEUE_SERVE)
    if not by.can(LINE_SERVE[line]):
        raise DomainError(errors.LINE_NOT_YOURS, field=field_name, line=line.value, line_zh=_line_label(line))


def announce(session: AsyncSession, branch_id: uuid.UUID, line: str, visit_id: uuid.UUID, action: str) -> None:
    data = {"line": line, "visitId": str(visit_id), "action": action}
    events.publish_after_commit(session, events.Event(QUEUE_CHANGED, branch_id, data))


# --- registering ---------------------------------------------------------------------------------


async def _find_client(session: AsyncSession, by: Principal, draft: VisitDraft) -> uuid.UUID | None:
    """The client named by id, phone or ID number (keyed hashes, as the CRM finds them); None for an
    anonymous walk-in. A client not of the branch is not found."""
    given = [x for x in (draft.client_id, draft.phone, draft.id_number) if x]
    if not given:
        return None
    if len(given) > 1:
        raise DomainError(errors.CLIENT_ONE_WAY, field="clientId")
    if draft.client_id is not None:
        if not await crm.routing_cards(session, by, [draft.client_id]):
            raise NotFound("Client", "客户", field="clientId")
        return draft.client_id
    what, what_zh, name = ("phone", "手机号", "phone") if draft.phone else ("ID number", "证件号", "idNumber")
    wanted = crm.ClientFilters(phone=draft.phone) if draft.phone else crm.ClientFilters(id_number=draft.id_number)
    cards = await crm.routing_cards(session, by, None, wanted)
    if not cards:
        raise NotFound("Client", "客户", field=name)
    if len(cards) > 1:
        raise DomainError(errors.CLIENT_AMBIGUOUS, field=name, count=len(cards), what=what, what_zh=what_zh)
    return cards[0].client_id


async def _issue(
    session: AsyncSession, branch_id: uuid.UUID, visit_id: uuid.UUID, line: ServiceLine, now: datetime
) -> QueueTicket:
    day = await repository.local_day(session, branch_id, now)
    seq = await repository.next_seq(session, branch_id, line.value, day)
    ticket = QueueTicket(
        tenant_id=branch_id,
        id=new_id(),
        visit_id=visit_id,
        line=line.value,
        local_day=day,
        seq=seq,
        number=ticket_number(line, seq),
        state=TicketState.WAITING.value,
        issued_at=now,
    )
    return ticket  # added by the caller once its visit is (no ORM relationship orders the inserts)


async def register_visit(session: AsyncSession, by: Principal, draft: VisitDraft, at: datetime | None = None) -> Visit:
    """Register a visit and give it the line's next ticket of the branch's local day. ``at`` is for the
    demo and tests (a morning built in the past); the API always registers now."""
    by.require(VISIT_REGISTER)
    line = parse_line(draft.line)
    note = (draft.note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise DomainError(errors.NOTE_LENGTH, field="note", max_length=MAX_NOTE)
    client_id = await _find_client(session, by, draft)
    now = at or utcnow()
    visit_id = new_id()
    ticket = await _issue(session, by.branch_id, visit_id, line, now)
    visit = Visit(
        tenant_id=by.branch_id,
        id=visit_id,
        client_id=client_id,
        purpose=Purpose(draft.purpose).value,
        note=note,
        local_day=ticket.local_day,
        registered_at=now,
        registered_by=by.staff_id,
        line=line.value,
        ticket_number=ticket.number,
        state=TicketState.WAITING.value,
        services_done=[],
        products_of_interest=[],
        created_at=now,
        updated_at=now,
    )
    session.add(visit)
    await session.flush()
    session.add(ticket)
    await session.flush()
    details = {"line": line.value, "number": ticket.number, "purpose": visit.purpose, "anonymous": client_id is None}
    await audit.record(session, by.branch_id, by.author, "visit.registered", "visit", visit.id, details)
    announce(session, by.branch_id, line.value, visit.id, "registered")
    return visit


# --- the queue -----------------------------------------------------------------------------------


def refused(action: TicketAction, state: TicketState) -> DomainError:
    allowed = [a for (a, s) in TRANSITIONS if s is state]
    return DomainError(
        errors.TRANSITION_REFUSED,
        field="visitId",
        state=state.value,
        state_zh=LABELS[TicketState][state.value][1],
        action=action.value,
        action_zh=LABELS[TicketAction][action.value][1],
        allowed=", ".join(a.value for a in allowed) or "none",
        allowed_zh="、".join(LABELS[TicketAction][a.value][1] for a in allowed) or "无",
    )


async def _locked(session: AsyncSession, by: Principal, visit_id: uuid.UUID) -> tuple[QueueTicket, Visit]:
    """The visit's current ticket and the visit, locked in that order (the order call-next locks them)."""
    ticket = await repository.current_ticket_for_update(session, by.branch_id, visit_id)
    visit = await repository.visit_for_update(session, by.branch_id, visit_id) if ticket else None
    if ticket is None or visit is None:
        raise NotFound("Visit", "到店记录", field="visitId")
    return ticket, visit


def _move(ticket: QueueTicket, visit: Visit, action: TicketAction, now: datetime) -> TicketState:
    state = TicketState(ticket.state)
    after = TRANSITIONS.get((action, state))
    if after is None:
        raise refused(action, state)
    ticket.state = after.value
    if after is not TicketState.TRANSFERRED:
        visit.state = after.value
    visit.updated_at = now
    return state


async def call_next(session: AsyncSession, by: Principal, line: ServiceLine | str, at: datetime | None = None) -> Visit:
    """Call the oldest waiting ticket of the line today; QUEUE_EMPTY when nobody waits."""
    wanted = parse_line(line)
    _check_serves(by, wanted)
    now = at or utcnow()
    visit = await repository.call_next(session, by.branch_id, wanted.value, by.staff_id, now)
    if visit is None:
        raise DomainError(errors.QUEUE_EMPTY, field="line", line=wanted.value, line_zh=_line_label(wanted))
    announce(session, by.branch_id, wanted.value, visit.id, ANNOUNCED[TicketAction.CALL])
    # Last: the audit trail's per-branch lock is held from here to the commit.
    details = {"line": wanted.value, "number": visit.ticket_number}
    await audit.record(session, by.branch_id, by.author, "visit.called", "visit", visit.id, details)
    return visit


async def call_visit(
    session: AsyncSession,
    by: Principal,
    visit_id: uuid.UUID,
    line: ServiceLine | str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Call one visit's ticket out of turn (an appointment, a client with a disability); with ``line``,
    only if the visit waits on that line."""
    by.require(QUEUE_SERVE)
    wanted = parse_line(line) if line is not None else None
    ticket, visit = await _locked(session, by, visit_id)
    current = ServiceLine(ticket.line)
    if wanted is not None and wanted is not current:
        raise DomainError(errors.NOT_ON_LINE, field="visitId", number=ticket.number, line=wanted.value)
    _check_serves(by, current, "visitId")
    if ticket.state in (TicketState.CALLED, TicketState.SERVING):
        state = TicketState(ticket.state)
        zh = LABELS[TicketState][state.value][1]
        raise DomainError(errors.ALREADY_CALLED, field="visitId", number=ticket.number, state=state.value, state_zh=zh)
    return await _step(session, by, ticket, visit, TicketAction.CALL, at)


async def _step(
    session: AsyncSession,
    by: Principal,
    ticket: QueueTicket,
    visit: Visit,
    action: TicketAction,
    at: datetime | None,
    details: dict[str, Any] | None = None,
) -> Visit:
    now = at or utcnow()
    before = _move(ticket, visit, action, now)
    if action is TicketAction.CALL:
        ticket.called_at, ticket.called_by = now, by.staff_id
    elif action is TicketAction.START:
        ticket.started_at, ticket.served_by = now, by.staff_id
    elif action in (TicketAction.END, TicketAction.NO_SHOW):
        ticket.ended_at = visit.ended_at = now
        visit.ended_by = by.staff_id
    await session.flush()
    record = {"from": before.value, "to": ticket.state, "line": ticket.line, "number": ticket.number, **(details or {})}
    await audit.record(session, by.branch_id, by.author, f"visit.{action.value}", "visit", visit.id, record)
    announce(session, by.branch_id, ticket.line, visit.id, ANNOUNCED[action])
    return visit


async def _serving_step(session: AsyncSession, by: Principal, visit_id: uuid.UUID) -> tuple[QueueTicket, Visit]:
    """The visit's current ticket and the visit, locked, for a caller who serves its line."""
    by.require(QUEUE_SERVE)
    ticket, visit = await _locked(session, by, visit_id)
    _check_serves(by, ServiceLine(ticket.line), "visitId")
    return ticket, visit


async def start_service(session: AsyncSession, by: Principal, visit_id: uuid.UUID, at: datetime | None = None) -> Visit:
    """The client called has come to the desk: their service starts (it counts from here)."""
    ticket, visit = await _serving_step(session, by, visit_id)
    return await _step(session, by, ticket, visit, TicketAction.START, at)


async def mark_no_show(session: AsyncSession, by: Principal, visit_id: uuid.UUID, at: datetime | None = None) -> Visit:
    """The client did not come when called (or left while waiting): the visit ends, counted as abandoned."""
    ticket, visit = await _serving_step(session, by, visit_id)
    return await _step(session, by, ticket, visit, TicketAction.NO_SHOW, at)


def _items(values: list[str], field_name: str) -> tuple[list[str], list[DomainError]]:
    cleaned = [v.strip() for v in values]
    if len(cleaned) > MAX_OUTCOME_ITEMS or any(not 1 <= len(v) <= MAX_OUTCOME_LENGTH for v in cleaned):
        problem = DomainError(
            errors.OUTCOME_INVALID, field=field_name, max_items=MAX_OUTCOME_ITEMS, max_length=MAX_OUTCOME_LENGTH
        )
        return [], [problem]
    return list(dict.fromkeys(cleaned)), []


async def end_visit(
    session: AsyncSession, by: Principal, visit_id: uuid.UUID, outcome: Outcome, at: datetime | None = None
) -> Visit:
    """End the visit being served, with its outcome: services done, products the client showed interest
    in, whether a referral was raised (with a note of the need) and whether the survey was sent."""
    services, problems = _items(outcome.services_done, "servicesDone")
    products, more = _items(outcome.products_of_interest, "productsOfInterest")
    problems += more
    note = (outcome.referral_note or "").strip() or None
    if outcome.referral_raised and (note is None or len(note) > MAX_NOTE):
        problems.append(DomainError(errors.REFERRAL_NOTE_REQUIRED, field="referralNote"))
    if problems:
        raise InvalidInput(problems)
    ticket, visit = await _serving_step(session, by, visit_id)
    visit.services_done, visit.products_of_interest = services, products
    visit.referral_raised, visit.survey_sent = outcome.referral_raised, outcome.survey_sent
    visit.referral_note = note if outcome.referral_raised else None
    details = {"referral_raised": outcome.referral_raised, "survey_sent": outcome.survey_sent}
    return await _step(session, by, ticket, visit, TicketAction.END, at, details)


async def transfer(
    session: AsyncSession,
    by: Principal,
    visit_id: uuid.UUID,
    line: ServiceLine | str,
    note: str | None = None,
    at: datetime | None = None,
) -> Visit:
    """Send a waiting, called or in-service visit to another line: its ticket is closed as transferred
    (kept in the history, with the reason) and it takes the new line's next number, at the back."""
    by.require(QUEUE_TRANSFER)
    target = parse_line(line)
    reason = (note or "").strip() or None
    if reason is not None and len(reason) > MAX_NOTE:
        raise DomainError(errors.NOTE_LENGTH, field="note", max_length=MAX_NOTE)
    ticket, visit = await _locked(session, by, visit_id)
    if ticket.line == target.value and ticket.state != TicketState.TRANSFERRED:
        raise DomainError(errors.SAME_LINE, field="line", line=target.value, line_zh=_line_label(target))
    now = at or utcnow()
    before = _move(ticket, visit, TicketAction.TRANSFER, now)
    ticket.ended_at, ticket.transferred_to, ticket.note = now, target.value, reason
    new = await _issue(session, by.branch_id, visit.id, target, now)
    session.add(new)
    visit.line, visit.ticket_number, visit.state = target.value, new.number, TicketState.WAITING.value
    await session.flush()
    details = {"from": before.value, "from_line": ticket.line, "from_number": ticket.number}
    details |= {"to_line": target.value, "to_number": new.number}
    await audit.record(session, by.branch_id, by.author, "visit.transferred", "visit", visit.id, details)
    announce(session, by.branch_id, ticket.line, visit.id, ANNOUNCED[TicketAction.TRANSFER])
    announce(session, by.branch_id, target.value, visit.id, ANNOUNCED[TicketAction.TRANSFER])
    return visit


# --- reading -------------------------------------------------------------------------------------


async def today(session: AsyncSession, by: Principal) -> date:
    return await repository.local_day(session, by.branch_id, utcnow())


def _filters(given: VisitFilters) -> repository.Filters:
    return repository.Filters(
        local_day=given.local_day,
        line=given.line.value if given.line else None,
        state=given.state.value if given.state else None,
        client_id=given.client_id,
    )


async def list_visits(session: AsyncSession, by: Principal, page: PageRequest, filters: VisitFilters) -> Page[Visit]:
    """The branch's visits, newest first unless ``page`` says otherwise."""
    by.require(VISIT_READ)
    stmt = repository.visits_query(by.branch_id, _filters(filters))
    return await keyset(session, stmt, VISIT_ORDERS[page.order_by or "registered_at"], page, lambda row: row)


async def count_visits(session: AsyncSession, by: Principal, filters: VisitFilters) -> int:
    by.require(VISIT_READ)
    return await count(session, repository.visits_query(by.branch_id, _filters(filters)))


async def visits_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Visit]:
    """Visits by id for ``node`` and payloads; none without ``visit:read`` (never an error)."""
    if not by.can(VISIT_READ):
        return []
    return await repository.visits_by_id(session, by.branch_id, ids)


async def visits_of_clients(
    session: AsyncSession, by: Principal, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Visit]]:
    """Each client's visits, newest first (the caller reached the clients through a scoped read)."""
    if not by.can(VISIT_READ):
        return {}
    found: dict[uuid.UUID, list[Visit]] = {}
    for visit in await repository.visits_of_clients(session, by.branch_id, client_ids):
        assert visit.client_id is not None
        found.setdefault(visit.client_id, []).append(visit)
    return found


async def tickets_of(
    session: AsyncSession, by: Principal, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[QueueTicket]]:
    """Each visit's tickets, oldest first: its way through the lines."""
    if not by.can(VISIT_READ):
        return {}
    found: dict[uuid.UUID, list[QueueTicket]] = {}
    for ticket in await repository.tickets_of_visits(session, by.branch_id, visit_ids):
        found.setdefault(ticket.visit_id, []).append(ticket)
    return found


async def queue_boards(
    session: AsyncSession, by: Principal, lines: list[ServiceLine] | None = None, at: datetime | None = None
) -> list[QueueBoard]:
    """The live board of each line (all four by default): who waits, who is being served, and the
    estimated wait from the line's recent service times and the staff who have served it today. Three
    statements, whatever the number of lines."""
    by.require(VISIT_READ)
    wanted = [line.value for line in (lines or list(ServiceLine))]
    now = at or utcnow()
    day = await repository.local_day(session, by.branch_id, now)
    tickets = await repository.open_tickets(session, by.branch_id, day, wanted)
    found = []
    for line, staff, seconds, services in await repository.boards(session, by.branch_id, day, wanted, now):
        mine = [t for t in tickets if t.line == line]
        average = timedelta(seconds=float(seconds)) if seconds is not None else None
        found.append(
            QueueBoard(
                line=ServiceLine(line),
                waiting=[t for t in mine if t.state == TicketState.WAITING],
                being_served=[t for t in mine if t.state != TicketState.WAITING],
                staff_serving_today=staff,
                recent_services=services,
                average_service_time=average,
                service_time_basis=average or DEFAULT_SERVICE_TIME[ServiceLine(line)],
            )
        )
    return found


async def queue_metrics(session: AsyncSession, by: Principal, day: date | None = None) -> list[HourMetrics]:
    """Per line and local hour of arrival on the branch's ``day`` (today by default)."""
    by.require(QUEUE_METRICS)
    branch = await tenants.branch_by_id(session, by.branch_id)
    wanted = day or await repository.local_day(session, by.branch_id, utcnow())
    return [
        HourMetrics(
            line=ServiceLine(row.line),
            hour=row.hour,
            arrivals=row.arrivals,
            called=row.called,
            average_wait_seconds=_float(row.average_wait_seconds),
            p90_wait_seconds=_float(row.p90_wait_seconds),
            served=row.served,
            average_service_seconds=_float(row.average_service_seconds),
            no_shows=row.no_shows,
        )
        for row in await repository.metrics(session, by.branch_id, wanted, branch.timezone)
    ]


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


# --- many at once (the demo, imports) ------------------------------------------------------------


@dataclass(frozen=True)
class PastVisit:
    """A visit that happened (or is happening) already: its ticket's times and who served it."""

    purpose: Purpose
    line: ServiceLine
    issued_at: datetime
    state: TicketState
    client_id: uuid.UUID | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    served_by: uuid.UUID | None = None
    outcome: Outcome | None = None


async def record_in_bulk(session: AsyncSession, by: Principal, past: list[PastVisit]) -> int:
    """Record visits of the branch's current local day in a few statements, numbered in the order they
    were issued per line. Once per day: a branch with visits today already gets none. Returns how many."""
    by.require(VISIT_REGISTER)
    if not past:
        return 0
    branch = await tenants.branch_by_id(session, by.branch_id)
    zone = ZoneInfo(branch.timezone)
    day = utcnow().astimezone(zone).date()
    if await repository.any_visit_on(session, by.branch_id, day):
        return 0
    seqs: dict[ServiceLine, int] = {}
    visits, tickets = [], []
    for entry in sorted(past, key=lambda p: p.issued_at):
        seqs[entry.line] = seqs.get(entry.line, 0) + 1
        number = ticket_number(entry.line, seqs[entry.line])
        visit_id, outcome = new_id(), entry.outcome or Outcome()
        ended = entry.state in (TicketState.SERVED, TicketState.NO_SHOW)
        visits.append(
            {
                "tenant_id": by.branch_id,
                "id": visit_id,
                "client_id": entry.client_id,
                "purpose": entry.purpose.value,
                "local_day": entry.issued_at.astimezone(zone).date(),
                "registered_at": entry.issued_at,
                "registered_by": by.staff_id,
                "line": entry.line.value,
                "ticket_number": number,
                "state": entry.state.value,
                "ended_at": entry.ended_at if ended else None,
                "ended_by": entry.served_by if ended else None,
                "services_done": outcome.services_done,
                "products_of_interest": outcome.products_of_interest,
                "referral_raised": outcome.referral_raised if entry.state is TicketState.SERVED else None,
                "referral_note": outcome.referral_note,
                "survey_sent": outcome.survey_sent if entry.state is TicketState.SERVED else None,
                "created_at": entry.issued_at,
                "updated_at": entry.ended_at or entry.started_at or entry.called_at or entry.issued_at,
            }
        )
        tickets.append(
            {
                "tenant_id": by.branch_id,
                "id": new_id(),
                "visit_id": visit_id,
                "line": entry.line.value,
                "local_day": entry.issued_at.astimezone(zone).date(),
                "seq": seqs[entry.line],
                "number": number,
                "state": entry.state.value,
                "issued_at": entry.issued_at,
                "called_at": entry.called_at,
                "called_by": entry.served_by if entry.called_at else None,
                "started_at": entry.started_at,
                "served_by": entry.served_by if entry.started_at else None,
                "ended_at": entry.ended_at,
            }
        )
    await repository.insert_in_bulk(session, visits, tickets)
    await audit.record(session, by.branch_id, by.author, "visit.recorded_in_bulk", "visit", None, {"count": len(past)})
    return len(past)
