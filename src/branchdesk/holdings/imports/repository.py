"""All SQL of holdings imports: the feed's staging table filled by binary COPY, and rows taken out of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.holdings.repository import STAGING, STAGING_COLUMNS


async def copy_into_staging(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    """The records (in :data:`STAGING_COLUMNS` order) into the feed's staging table, by binary COPY on the
    session's own connection (part of its transaction)."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(STAGING, records=records, columns=[c for c, _ in STAGING_COLUMNS])


async def drop_lines(session: AsyncSession, lines: Sequence[int]) -> None:
    """Take the rows of ``lines`` out of the staging table (``skip_invalid``: the feed applies the rest)."""
    wanted = bindparam("lines", list(lines), type_=ARRAY(Integer))
    await session.execute(text(f"DELETE FROM {STAGING} WHERE line = ANY(:lines)").bindparams(wanted))
