"""All SQL of the client timeline. Reads reach a client's interactions only through the clients the
reader's data scope reaches (``crm.repository.in_scope``, in the same statement)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.crm.models import Client, Interaction
from branchdesk.crm.repository import Reader, reachable

TIMELINE = (
    Interaction.id,
    Interaction.client_id,
    Interaction.kind,
    Interaction.channel,
    Interaction.occurred_at,
    Interaction.logged_by_id,
    Interaction.logged_at,
    Interaction.summary,
    Interaction.outcome,
    Interaction.next_step,
    Interaction.next_step_on,
    Interaction.products,
)


def timelines_query(branch_id: uuid.UUID, reader: Reader, client_ids: list[uuid.UUID]) -> Select[*tuple[Any, ...]]:
    """The interactions of those clients that ``reader`` reaches."""
    visible = reachable(branch_id, reader, client_ids)
    return select(*TIMELINE).where(Interaction.tenant_id == branch_id, Interaction.client_id.in_(visible))


def counts_query(branch_id: uuid.UUID, reader: Reader, client_ids: list[uuid.UUID]) -> Select[*tuple[Any, ...]]:
    """(client, how many interactions) of those clients that ``reader`` reaches: from the index alone."""
    visible = reachable(branch_id, reader, client_ids)
    return (
        select(Interaction.client_id, func.count())
        .where(Interaction.tenant_id == branch_id, Interaction.client_id.in_(visible))
        .group_by(Interaction.client_id)
    )


async def counts(
    session: AsyncSession, branch_id: uuid.UUID, reader: Reader, client_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many interactions each client has (one grouped statement)."""
    if not client_ids:
        return {}
    return {row[0]: int(row[1]) for row in await session.execute(counts_query(branch_id, reader, client_ids))}


async def add(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(Interaction).values(row))


async def add_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One multi-row insert per 1,000 interactions (13 columns, under PostgreSQL's parameter limit)."""
    for start in range(0, len(rows), 1000):
        await session.execute(insert(Interaction).values(rows[start : start + 1000]))


async def note_contact(session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID], at: datetime) -> None:
    """Move the clients' last contact forward to ``at`` (never back: an older call logged late)."""
    stmt = (
        update(Client)
        .where(Client.tenant_id == branch_id, Client.id.in_(client_ids))
        .values(last_contact_at=func.greatest(Client.last_contact_at, at))
    )
    await session.execute(stmt)


async def by_id(session: AsyncSession, branch_id: uuid.UUID, reader: Reader, ids: list[uuid.UUID]) -> list[Any]:
    visible = reachable(branch_id, reader)
    stmt = select(*TIMELINE).where(
        Interaction.tenant_id == branch_id, Interaction.id.in_(ids), Interaction.client_id.in_(visible)
    )
    return list((await session.execute(stmt)).all())


async def books(session: AsyncSession, branch_id: uuid.UUID, owner_ids: list[uuid.UUID]) -> list[Any]:
    """(id, client number, owner) of the clients these staff members own, by client number."""
    stmt = (
        select(Client.id, Client.client_number, Client.owner_id)
        .where(Client.tenant_id == branch_id, Client.owner_id.in_(owner_ids))
        .order_by(Client.client_number)
    )
    return list((await session.execute(stmt)).all())


async def with_timelines(session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the clients have at least one interaction."""
    if not client_ids:
        return set()
    stmt = (
        select(Interaction.client_id)
        .distinct()
        .where(Interaction.tenant_id == branch_id, Interaction.client_id.in_(client_ids))
    )
    return set(await session.scalars(stmt))


async def refresh_last_contact(session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]) -> None:
    """The clients' last contact from their timelines (after a set-based load)."""
    latest = (
        select(func.max(Interaction.occurred_at))
        .where(Interaction.tenant_id == Client.tenant_id, Interaction.client_id == Client.id)
        .scalar_subquery()
    )
    stmt = update(Client).where(Client.tenant_id == branch_id, Client.id.in_(client_ids)).values(last_contact_at=latest)
    await session.execute(stmt)
