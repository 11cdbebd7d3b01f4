"""References by kind and id — a handoff's origin, what a survey response rates — name rows of another
domain without a foreign key (one column pair serves every kind). They are checked where they are made,
against the table that holds the kind, in the branch the transaction is bound to, without importing
the domain that owns it: a row of another branch, or of nothing, is not there."""

from __future__ import annotations

import uuid

from sqlalchemy import column, exists, select, table
from sqlalchemy.ext.asyncio import AsyncSession


async def present(session: AsyncSession, table_name: str, branch_id: uuid.UUID, row_id: uuid.UUID) -> bool:
    """Whether ``table_name`` holds the row ``row_id`` in the branch (row-level security agrees)."""
    rows = table(table_name, column("id"), column("tenant_id"))
    found = await session.scalar(select(exists().where(rows.c.id == row_id, rows.c.tenant_id == branch_id)))
    return bool(found)
