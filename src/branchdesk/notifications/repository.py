"""All SQL of the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.notifications.models import Notification, NotificationPreference

# One statement for every recipient: the preferences decide who gets an inbox row (a kind switched off for
# the inbox stores nothing) and whose new rows are pushed live; the unique key makes a repeat a no-op.
_INSERT_WANTED = text(
    """
    WITH wanted AS (
        SELECT r.id, r.recipient, coalesce(p.live, true) AS live
        FROM unnest(CAST(:ids AS uuid[]), CAST(:recipients AS uuid[])) AS r(id, recipient)
        LEFT JOIN notification_preferences p
          ON p.tenant_id = CAST(:tenant_id AS uuid) AND p.staff_id = r.recipient AND p.kind = CAST(:kind AS varchar)
        WHERE coalesce(p.inbox, true)
    ), added AS (
        INSERT INTO notifications
            (tenant_id, id, recipient_id, kind, title, body, subject_type, subject_id, dedupe_key, created_at)
        SELECT CAST(:tenant_id AS uuid), w.id, w.recipient, CAST(:kind AS varchar), CAST(:title AS varchar),
               CAST(:body AS varchar), CAST(:subject_type AS varchar), CAST(:subject_id AS uuid),
               CAST(:dedupe_key AS varchar), now()
        FROM wanted w
        ON CONFLICT (tenant_id, recipient_id, dedupe_key) DO NOTHING
        RETURNING id, recipient_id
    )
    SELECT added.id, added.recipient_id, wanted.live FROM added JOIN wanted ON wanted.id = added.id
    """
)


@dataclass(frozen=True)
class Added:
    id: uuid.UUID
    recipient_id: uuid.UUID
    live: bool  # the recipient wants this kind pushed live


async def insert_wanted(
    session: AsyncSession,
    branch_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    recipients: Sequence[uuid.UUID],
    values: dict[str, Any],
) -> list[Added]:
    """Store one notification per recipient who keeps ``values['kind']`` in their inbox and has not had
    its ``dedupe_key``; what was stored, with whether each is pushed live."""
    if not recipients:
        return []
    rows = await session.execute(
        _INSERT_WANTED, {"tenant_id": branch_id, "ids": list(ids), "recipients": list(recipients), **values}
    )
    return [Added(row.id, row.recipient_id, row.live) for row in rows]


def inbox_query(branch_id: uuid.UUID, staff_id: uuid.UUID, unread_only: bool = False) -> Select[*tuple[Any, ...]]:
    stmt = select(Notification).where(Notification.tenant_id == branch_id, Notification.recipient_id == staff_id)
    return stmt.where(Notification.read_at.is_(None)) if unread_only else stmt


async def by_id(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Notification]:
    return list(await session.scalars(inbox_query(branch_id, staff_id).where(Notification.id.in_(ids))))


async def unread_count(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(inbox_query(branch_id, staff_id, unread_only=True).subquery())
    return int(await session.scalar(stmt) or 0)


async def mark_read(
    session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID, ids: Sequence[uuid.UUID] | None, at: datetime
) -> list[uuid.UUID]:
    """Mark the recipient's own notifications read (``ids``, or all when None); the ids of those that were
    unread. A read one keeps the time it was first read."""
    stmt = update(Notification).where(
        Notification.tenant_id == branch_id, Notification.recipient_id == staff_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    stmt = stmt.values(read_at=at).returning(Notification.id).execution_options(synchronize_session=False)
    return list(await session.scalars(stmt))


async def preferences(session: AsyncSession, branch_id: uuid.UUID, staff_id: uuid.UUID) -> list[NotificationPreference]:
    return list(
        await session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.tenant_id == branch_id, NotificationPreference.staff_id == staff_id
            )
        )
    )


async def set_preference(
    session: AsyncSession,
    branch_id: uuid.UUID,
    staff_id: uuid.UUID,
    kind: str,
    channels: dict[str, bool],
    new_id: uuid.UUID,
    at: datetime,
) -> NotificationPreference:
    """Insert or update the staff member's preference for ``kind`` (channels not named stay as they were)."""
    defaults = {"inbox": True, "live": True, "email_digest": True}
    stmt = (
        insert(NotificationPreference)
        .values(tenant_id=branch_id, id=new_id, staff_id=staff_id, kind=kind, **(defaults | channels), updated_at=at)
        .on_conflict_do_update(index_elements=["tenant_id", "staff_id", "kind"], set_={**channels, "updated_at": at})
        .returning(NotificationPreference)
    )
    found: NotificationPreference = (await session.scalars(stmt)).one()
    return found
