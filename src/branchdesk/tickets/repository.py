"""All SQL of support tickets and incidents. Every statement on branch-owned rows filters by
``tenant_id`` (row-level security does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.handoffs.models import Handoff
from branchdesk.handoffs.repository import OPEN_VALUES, Viewer, visible
from branchdesk.tickets.models import Incident, IncidentParticipant, IncidentUpdate, SupportTicket


def tickets_query(
    branch_id: uuid.UUID, viewer: Viewer, queue: str | None = None, open_only: bool = False
) -> Select[Any]:
    """Tickets whose handoff the viewer sees (the ticket shares its handoff's id and visibility)."""
    stmt = (
        select(SupportTicket)
        .join(Handoff, (Handoff.tenant_id == SupportTicket.tenant_id) & (Handoff.id == SupportTicket.id))
        .where(SupportTicket.tenant_id == branch_id, visible(viewer))
    )
    if queue is not None:
        stmt = stmt.where(SupportTicket.queue == queue)
    if open_only:
        stmt = stmt.where(Handoff.state.in_(OPEN_VALUES))
    return stmt


async def tickets_by_id(
    session: AsyncSession, branch_id: uuid.UUID, viewer: Viewer, ids: Sequence[uuid.UUID]
) -> list[SupportTicket]:
    if not ids:
        return []
    return list(await session.scalars(tickets_query(branch_id, viewer).where(SupportTicket.id.in_(ids))))


# --- incidents -----------------------------------------------------------------------------------


async def open_incident(session: AsyncSession, row: dict[str, Any]) -> uuid.UUID | None:
    """Insert an open incident unless one of its kind is open in the branch (also under a race): its id,
    or None."""
    stmt = (
        pg_insert(Incident)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind"], index_where=text("state = 'open'"))
        .returning(Incident.id)
    )
    found: uuid.UUID | None = await session.scalar(stmt)
    return found


async def open_of_kind(session: AsyncSession, branch_id: uuid.UUID, kind: str) -> Incident | None:
    stmt = select(Incident).where(Incident.tenant_id == branch_id, Incident.kind == kind, Incident.state == "open")
    found: Incident | None = await session.scalar(stmt)
    return found


async def add_participants(
    session: AsyncSession, branch_id: uuid.UUID, incident_id: uuid.UUID, staff_ids: Sequence[uuid.UUID]
) -> None:
    if not staff_ids:
        return
    rows = [{"tenant_id": branch_id, "id": uuid.uuid4(), "incident_id": incident_id, "staff_id": s} for s in staff_ids]
    stmt = (
        pg_insert(IncidentParticipant)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["tenant_id", "incident_id", "staff_id"])
    )
    await session.execute(stmt)


def incidents_query(branch_id: uuid.UUID, state: str | None = None, kind: str | None = None) -> Select[Any]:
    stmt = select(Incident).where(Incident.tenant_id == branch_id)
    if state is not None:
        stmt = stmt.where(Incident.state == state)
    if kind is not None:
        stmt = stmt.where(Incident.kind == kind)
    return stmt


async def incidents_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Incident]:
    if not ids:
        return []
    return list(await session.scalars(incidents_query(branch_id).where(Incident.id.in_(ids))))


async def incident_for_update(session: AsyncSession, branch_id: uuid.UUID, incident_id: uuid.UUID) -> Incident | None:
    stmt = select(Incident).where(Incident.tenant_id == branch_id, Incident.id == incident_id).with_for_update()
    found: Incident | None = await session.scalar(stmt)
    return found


async def updates_of(session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[IncidentUpdate]:
    if not ids:
        return []
    stmt = (
        select(IncidentUpdate)
        .where(IncidentUpdate.tenant_id == branch_id, IncidentUpdate.incident_id.in_(ids))
        .order_by(IncidentUpdate.incident_id, IncidentUpdate.created_at, IncidentUpdate.id)
    )
    return list(await session.scalars(stmt))


async def participants_of(
    session: AsyncSession, branch_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[IncidentParticipant]:
    if not ids:
        return []
    stmt = (
        select(IncidentParticipant)
        .where(IncidentParticipant.tenant_id == branch_id, IncidentParticipant.incident_id.in_(ids))
        .order_by(IncidentParticipant.incident_id, IncidentParticipant.created_at, IncidentParticipant.id)
    )
    return list(await session.scalars(stmt))
