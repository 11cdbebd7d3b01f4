"""Support tickets and incidents.

A ticket is a handoff to IT support or the back office (its queue's handoff type) with a category and
a severity: routing, the SLA in business hours (shorter for a severe one), its workflow and the
escalation are the handoff's. An incident puts the branch in incident mode for a kind of event: one
open per kind, announced to everyone on duty, with a timeline of updates, its participants, and a
closing review.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.handoffs import service as handoffs
from branchdesk.handoffs.permissions import HANDOFF_RAISE
from branchdesk.handoffs.rules import Priority
from branchdesk.notifications import service as notifications
from branchdesk.platform import audit
from branchdesk.platform.clock import utcnow
from branchdesk.platform.errors import DomainError, NotFound
from branchdesk.platform.ids import new_id
from branchdesk.platform.pagination import Page, PageRequest, count, keyset
from branchdesk.tenants import service as tenants
from branchdesk.tickets import errors, kinds, repository
from branchdesk.tickets.models import Incident, IncidentParticipant, IncidentUpdate, SupportTicket
from branchdesk.tickets.permissions import INCIDENT_MANAGE, INCIDENT_READ, TICKET_OPEN
from branchdesk.tickets.rules import (
    LABELS,
    QUEUE_TYPES,
    SEVERITY_HOURS,
    IncidentKind,
    IncidentState,
    Severity,
    TicketCategory,
    TicketQueue,
)

PRIORITY_OF = {
    Severity.LOW: Priority.LOW,
    Severity.MEDIUM: Priority.NORMAL,
    Severity.HIGH: Priority.HIGH,
    Severity.CRITICAL: Priority.URGENT,
}


@dataclass
class TicketDraft:
    queue: TicketQueue
    category: TicketCategory
    severity: Severity
    title: str
    description: str
    client_id: uuid.UUID | None = None
    attachments: list[handoffs.Attachment] = field(default_factory=list)


async def open_ticket(session: AsyncSession, by: Principal, draft: TicketDraft) -> SupportTicket:
    """Open a ticket: its handoff is raised to the queue (routed, due by the severity's SLA)."""
    by.require(TICKET_OPEN)
    title = draft.title.strip()
    if not 1 <= len(title) <= 200:
        raise DomainError(errors.TITLE_LENGTH, field="title")
    handoff = await handoffs.raise_handoff(
        session,
        by,
        handoffs.HandoffDraft(
            type=QUEUE_TYPES[draft.queue],
            description=draft.description,
            priority=PRIORITY_OF[draft.severity],
            client_id=draft.client_id,
            attachments=draft.attachments,
            sla_hours=SEVERITY_HOURS.get(draft.severity),
        ),
    )
    ticket = SupportTicket(
        id=handoff.id,
        tenant_id=by.branch_id,
        queue=draft.queue.value,
        category=draft.category.value,
        severity=draft.severity.value,
        title=title,
        created_at=handoff.created_at,
    )
    session.add(ticket)
    await session.flush()
    details = {"queue": ticket.queue, "category": ticket.category, "severity": ticket.severity}
    await audit.record(session, by.branch_id, by.author, "ticket.opened", "support_ticket", ticket.id, details)
    return ticket


async def list_tickets(
    session: AsyncSession, by: Principal, page: PageRequest, queue: TicketQueue | None, open_only: bool
) -> Page[SupportTicket]:
    by.require(HANDOFF_RAISE)
    stmt = repository.tickets_query(
        by.branch_id, await handoffs.viewer(session, by), queue.value if queue else None, open_only
    )
    return await keyset(session, stmt, (SupportTicket.created_at, SupportTicket.id), page, lambda row: row)


async def count_tickets(session: AsyncSession, by: Principal, queue: TicketQueue | None, open_only: bool) -> int:
    by.require(HANDOFF_RAISE)
    viewer = await handoffs.viewer(session, by)
    return await count(
        session, repository.tickets_query(by.branch_id, viewer, queue.value if queue else None, open_only)
    )


async def tickets_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[SupportTicket]:
    return await repository.tickets_by_id(session, by.branch_id, await handoffs.viewer(session, by), ids)


# --- incidents -----------------------------------------------------------------------------------


def _text(value: str | None, low: int, high: int, error: object, field: str) -> str:
    text = (value or "").strip()
    if not low <= len(text) <= high:
        raise DomainError(error, field=field)  # type: ignore[arg-type]
    return text


async def declare_incident(
    session: AsyncSession,
    by: Principal,
    kind: IncidentKind,
    title: str,
    first_update: str | None = None,
    participant_ids: list[uuid.UUID] | None = None,
) -> Incident:
    """Put the branch in incident mode: one open incident per kind; everyone on duty is told."""
    by.require(INCIDENT_MANAGE)
    heading = _text(title, 1, 200, errors.TITLE_LENGTH, "title")
    for staff_id in participant_ids or []:
        if await tenants.membership(session, by.branch_id, staff_id) is None:
            raise NotFound("Staff member", "员工", field="participantIds")
    now = utcnow()
    row = {"tenant_id": by.branch_id, "id": new_id(), "kind": kind.value, "title": heading, "state": "open"}
    incident_id = await repository.open_incident(session, {**row, "declared_by": by.staff_id, "created_at": now})
    if incident_id is None:
        en, zh = LABELS[IncidentKind][kind.value]
        raise DomainError(errors.INCIDENT_ALREADY_OPEN, field="kind", kind=en.lower(), kind_zh=zh)
    people = [p for p in [by.staff_id, *(participant_ids or [])] if p is not None]
    await repository.add_participants(session, by.branch_id, incident_id, list(dict.fromkeys(people)))
    if first_update:
        session.add(_update(by, incident_id, _text(first_update, 1, 2000, errors.UPDATE_LENGTH, "firstUpdate")))
        await session.flush()
    await audit.record(session, by.branch_id, by.author, "incident.declared", "incident", incident_id, {"kind": kind})
    en, zh = LABELS[IncidentKind][kind.value]
    await notifications.notify(
        session,
        by.branch_id,
        await handoffs.on_duty(session, by.branch_id, now),
        kind=kinds.INCIDENT_DECLARED,
        key=f"incident.declared:{incident_id}",
        title=f"{zh} · {en}: {heading}",
        body=(first_update or heading)[:500],
        subject=("incident", incident_id),
    )
    found = await repository.incidents_by_id(session, by.branch_id, [incident_id])
    return found[0]


def _update(by: Principal, incident_id: uuid.UUID, body: str) -> IncidentUpdate:
    return IncidentUpdate(
        id=new_id(), tenant_id=by.branch_id, incident_id=incident_id, author_id=by.staff_id, body=body
    )


async def _incident(session: AsyncSession, by: Principal, incident_id: uuid.UUID) -> Incident:
    found = await repository.incident_for_update(session, by.branch_id, incident_id)
    if found is None:
        raise NotFound("Incident", "突发事件", field="id")
    return found


async def post_update(session: AsyncSession, by: Principal, incident_id: uuid.UUID, body: str) -> Incident:
    """Add to an open incident's timeline; the author joins its participants."""
    by.require(INCIDENT_READ)
    text = _text(body, 1, 2000, errors.UPDATE_LENGTH, "body")
    incident = await _incident(session, by, incident_id)
    if incident.state != IncidentState.OPEN:
        raise DomainError(errors.INCIDENT_CLOSED, field="id")
    session.add(_update(by, incident.id, text))
    await session.flush()
    if by.staff_id is not None:
        await repository.add_participants(session, by.branch_id, incident.id, [by.staff_id])
    await audit.record(session, by.branch_id, by.author, "incident.updated", "incident", incident.id, {})
    return incident


async def close_incident(session: AsyncSession, by: Principal, incident_id: uuid.UUID, review: str) -> Incident:
    """End incident mode with the closing review; the participants are told."""
    by.require(INCIDENT_MANAGE)
    text = _text(review, 1, 4000, errors.REVIEW_REQUIRED, "review")
    incident = await _incident(session, by, incident_id)
    if incident.state != IncidentState.OPEN:
        raise DomainError(errors.INCIDENT_CLOSED, field="id")
    incident.state, incident.closed_at, incident.closed_by, incident.review = "closed", utcnow(), by.staff_id, text
    await session.flush()
    await audit.record(session, by.branch_id, by.author, "incident.closed", "incident", incident.id, {})
    people = [p.staff_id for p in await repository.participants_of(session, by.branch_id, [incident.id])]
    await notifications.notify(
        session,
        by.branch_id,
        [p for p in people if not by.owns(p)],
        kind=kinds.INCIDENT_CLOSED,
        key=f"incident.closed:{incident.id}",
        title=incident.title,
        body=text[:500],
        subject=("incident", incident.id),
    )
    return incident


async def list_incidents(
    session: AsyncSession, by: Principal, page: PageRequest, state: IncidentState | None
) -> Page[Incident]:
    by.require(INCIDENT_READ)
    stmt = repository.incidents_query(by.branch_id, state.value if state else None)
    return await keyset(session, stmt, (Incident.created_at, Incident.id), page, lambda row: row)


async def count_incidents(session: AsyncSession, by: Principal, state: IncidentState | None) -> int:
    by.require(INCIDENT_READ)
    return await count(session, repository.incidents_query(by.branch_id, state.value if state else None))


async def incidents_by_id(session: AsyncSession, by: Principal, ids: list[uuid.UUID]) -> list[Incident]:
    if not by.can(INCIDENT_READ):
        return []
    return await repository.incidents_by_id(session, by.branch_id, ids)


async def updates_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[IncidentUpdate]]:
    found: dict[uuid.UUID, list[IncidentUpdate]] = {}
    if by.can(INCIDENT_READ):
        for update in await repository.updates_of(session, by.branch_id, ids):
            found.setdefault(update.incident_id, []).append(update)
    return found


async def participants_of(
    session: AsyncSession, by: Principal, ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[IncidentParticipant]]:
    found: dict[uuid.UUID, list[IncidentParticipant]] = {}
    if by.can(INCIDENT_READ):
        for participant in await repository.participants_of(session, by.branch_id, ids):
            found.setdefault(participant.incident_id, []).append(participant)
    return found
