"""Sealing clients' personal data again under the current key (``branchdesk crm rekey``).

Batches of rows not yet under the current key are opened with whichever key of the ring sealed them,
sealed under the current one and their keyed hashes recomputed, one batch per transaction so a long
run makes progress that survives an interruption (rows already done are not read again).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.access.principal import Principal
from branchdesk.access.unit_of_work import system_work
from branchdesk.crm import repository
from branchdesk.crm.records import seal_personal_data
from branchdesk.crm.service import ADDRESS, ID_NUMBER, PHONE
from branchdesk.platform.crypto import DATA_KEYS, DataKeyRing, data_keys
from branchdesk.platform.database import Database
from branchdesk.platform.errors import Forbidden


async def pending(session: AsyncSession, by: Principal) -> int:
    """How many clients of the branch still have personal data under another key than the current one."""
    return await repository.count_not_under(session, by.branch_id, data_keys(session).current)


async def rekey_batch(
    session: AsyncSession, by: Principal, after: uuid.UUID | None, size: int = 500
) -> tuple[int, uuid.UUID | None]:
    """Re-seal the next ``size`` clients; returns how many, and the id to continue after (None: done)."""
    if not by.is_system:
        raise Forbidden("crm rekey")
    ring = data_keys(session)
    rows = await repository.sealed_batch(session, by.branch_id, ring.current, after, size)
    updates = []
    for row in rows:
        clear = {
            "id_number": ring.open(ID_NUMBER, row.id_number_sealed),
            "phone": ring.open(PHONE, row.phone_sealed),
            "address": ring.open(ADDRESS, row.address_sealed),
        }
        updates.append({"b_id": row.id} | {f"b_{k}": v for k, v in seal_personal_data(ring, clear).items()})
    await repository.write_sealed(session, by.branch_id, updates)
    return len(rows), (rows[-1].id if len(rows) == size else None)


async def rekey_branch(
    db: Database,
    branch_id: uuid.UUID,
    *,
    size: int = 500,
    ring: DataKeyRing | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-seal every client of a branch not under the current key, one batch per transaction; calls
    ``progress(done, total)`` after each batch. ``ring``: instead of the process's (tests, rotation drills)."""
    async with system_work(db, "crm rekey", branch_id) as (session, by):
        if ring is not None:
            session.info[DATA_KEYS] = ring
        total = await pending(session, by)
    done, after = 0, None
    while done < total:
        async with system_work(db, "crm rekey", branch_id) as (session, by):
            if ring is not None:
                session.info[DATA_KEYS] = ring
            count, after = await rekey_batch(session, by, after, size)
        done += count
        if progress is not None:
            progress(done, total)
        if after is None:
            break
    return done
