"""All SQL of the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.notifications.models import Notification
from branchdesk.platform.ids import new_id


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Insert the rows not already there (same recipient and key): (id, recipient_id) of those inserted."""
    if not rows:
        return []
    stmt = (
        insert(Notification)
        .values([{"id": new_id(), **row} for row in rows])
        .on_conflict_do_nothing(index_elements=["tenant_id", "recipient_id", "dedupe_key"])
        .returning(Notification.id, Notification.recipient_id)
    )
    return [(row.id, row.recipient_id) for row in await session.execute(stmt)]
