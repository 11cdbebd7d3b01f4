"""All SQL of walk-in visits and the queue. Every statement on branch-owned rows filters by ``tenant_id``
(row-level security does too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Uuid, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from branchdesk.platform.ids import new_id
from branchdesk.visits.models import QueueCounter, QueueTicket, Visit

RECENT_SERVICES = 20  # the estimated wait averages a line's last this-many services…
RECENT_DAYS = 7  # …of the last this-many days
BULK_ROWS = 1000


@dataclass(frozen=True)
class Filters:
    local_day: date | None = None
    line: str | None = None
    state: str | None = None
    client_id: uuid.UUID | None = None


async def local_day(session: AsyncSession, branch_id: uuid.UUID, at: datetime) -> date:
    """The branch's calendar day at ``at``, in its own time zone."""
    found: date = await session.scalar(_LOCAL_DAY, {"branch": branch_id, "at": at})
    return found


_LOCAL_DAY = text("SELECT (CAST(:at AS timestamptz) AT TIME ZONE timezone)::date FROM branches WHERE id = :branch")


async def next_seq(session: AsyncSession, branch_id: uuid.UUID, line: str, day: date) -> int:
    """The next number of the line on the day: one row per (branch, line, day), bumped under its row lock,
    so concurrent callers get consecutive numbers, never the same one, never a gap."""
    stmt = (
        pg_insert(QueueCounter)
        .values(tenant_id=branch_id, id=new_id(), line=line, local_day=day, last_seq=1)
        .on_conflict_do_update(
            index_elements=[QueueCounter.tenant_id, QueueCounter.line, QueueCounter.local_day],
            set_={"last_seq": QueueCounter.last_seq + 1},
        )
        .returning(QueueCounter.last_seq)
    )
    seq: int = (await session.execute(stmt)).scalar_one()
    return seq


# The oldest waiting ticket of the line today, skipping any another caller holds: two callers at once
# never get the same ticket, and neither waits for the other. The visit follows its ticket and comes back.
_CALL_NEXT = (
    text(
        """
    WITH next AS (
      SELECT id FROM queue_tickets
      WHERE tenant_id = :branch AND line = :line AND state = 'waiting'
        AND local_day = (SELECT (CAST(:now AS timestamptz) AT TIME ZONE timezone)::date
                         FROM branches WHERE id = :branch)
      ORDER BY issued_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), called AS (
      UPDATE queue_tickets t SET state = 'called', called_at = :now, called_by = :staff
      FROM next WHERE t.tenant_id = :branch AND t.id = next.id
      RETURNING t.visit_id
    )
    UPDATE visits v SET state = 'called', updated_at = :now
    FROM called WHERE v.tenant_id = :branch AND v.id = called.visit_id
    RETURNING v.*
    """
    )
    .bindparams(bindparam("branch", type_=Uuid()), bindparam("staff", type_=Uuid()))
    .columns(*Visit.__table__.columns)
)


async def call_next(
    session: AsyncSession, branch_id: uuid.UUID, line: str, staff_id: uuid.UUID | None, now: datetime
) -> Visit | None:
    """The visit whose ticket was called, or None when nobody is waiting: one statement."""
    params = {"branch": branch_id, "line": line, "staff": staff_id, "now": now}
    stmt = select(Visit).from_statement(_CALL_NEXT)
    found: Visit | None = (
        await session.scalars(stmt, params, execution_options={"populate_existing": True})
    ).one_or_none()
    return found


async def ticket_for_update(session: AsyncSession, branch_id: uuid.UUID, ticket_id: uuid.UUID) -> QueueTicket | None:
    stmt = select(QueueTicket).where(QueueTicket.tenant_id == branch_id, QueueTicket.id == ticket_id).with_for_update()
    found: QueueTicket | None = await session.scalar(stmt)
    return found


async def current_ticket_for_update(
    session: AsyncSession, branch_id: uuid.UUID, visit_id: uuid.UUID
) -> QueueTicket | None:
    """The visit's latest ticket, locked (tickets before visits, as call-next locks them)."""
    stmt = (
        select(QueueTicket)
        .where(QueueTicket.tenant_id == branch_id, QueueTicket.visit_id == visit_id)
        .order_by(QueueTicket.issued_at.desc(), QueueTicket.id.desc())
        .limit(1)
        .with_for_update()
    )
    found: QueueTicket | None = await session.scalar(stmt)
    return found


async def visit_for_update(session: AsyncSession, branch_id: uuid.UUID, visit_id: uuid.UUID) -> Visit | None:
    stmt = select(Visit).where(Visit.tenant_id == branch_id, Visit.id == visit_id).with_for_update()
    found: Visit | None = await session.scalar(stmt, execution_options={"populate_existing": True})
    return found


def visits_query(branch_id: uuid.UUID, filters: Filters) -> Select[Any]:
    stmt = select(Visit).where(Visit.tenant_id == branch_id)
    if filters.local_day is not None:
        stmt = stmt.where(Visit.local_day == filters.local_day)
    if filters.line is not None:
        stmt = stmt.where(Visit.line == filters.line)
    if filters.state is not None:
        stmt = stmt.where(Visit.state == filters.state)
    if filters.client_id is not None:
        stmt = stmt.where(Visit.client_id == filters.client_id)
    return stmt


async def visits_by_id(session: AsyncSession, branch_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Visit]:
    if not ids:
        return []
    return list(await session.scalars(select(Visit).where(Visit.tenant_id == branch_id, Visit.id.in_(ids))))


async def visits_of_clients(session: AsyncSession, branch_id: uuid.UUID, client_ids: list[uuid.UUID]) -> list[Visit]:
    if not client_ids:
        return []
    stmt = (
        select(Visit)
        .where(Visit.tenant_id == branch_id, Visit.client_id.in_(client_ids))
        .order_by(Visit.client_id, Visit.registered_at.desc(), Visit.id.desc())
    )
    return list(await session.scalars(stmt))


async def tickets_of_visits(
    session: AsyncSession, branch_id: uuid.UUID, visit_ids: list[uuid.UUID]
) -> list[QueueTicket]:
    if not visit_ids:
        return []
    stmt = (
        select(QueueTicket)
        .where(QueueTicket.tenant_id == branch_id, QueueTicket.visit_id.in_(visit_ids))
        .order_by(QueueTicket.visit_id, QueueTicket.issued_at, QueueTicket.id)
    )
    return list(await session.scalars(stmt))


async def open_tickets(session: AsyncSession, branch_id: uuid.UUID, day: date, lines: list[str]) -> list[QueueTicket]:
    """Today's tickets still waiting, called or being served on the lines, in queue order."""
    stmt = (
        select(QueueTicket)
        .where(
            QueueTicket.tenant_id == branch_id,
            QueueTicket.local_day == day,
            QueueTicket.line.in_(lines),
            QueueTicket.state.in_(["waiting", "called", "serving"]),
        )
        .order_by(QueueTicket.line, QueueTicket.issued_at, QueueTicket.id)
    )
    return list(await session.scalars(stmt))


# Per line: how many staff have served it today, and the average of its recent service times.
_BOARD = text(
    f"""
    SELECT l.line,
           coalesce(today.staff, 0) AS staff,
           recent.seconds AS average_service_seconds,
           coalesce(recent.services, 0) AS recent_services
    FROM unnest(CAST(:lines AS text[])) AS l(line)
    LEFT JOIN LATERAL (
      SELECT count(DISTINCT served_by) AS staff
      FROM queue_tickets
      WHERE tenant_id = :branch AND line = l.line AND local_day = :day
    ) today ON true
    LEFT JOIN LATERAL (
      SELECT avg(extract(epoch FROM s.ended_at - s.started_at)) AS seconds, count(*) AS services
      FROM (
        SELECT started_at, ended_at FROM queue_tickets
        WHERE tenant_id = :branch AND line = l.line AND state = 'served'
          AND ended_at > CAST(:now AS timestamptz) - interval '{RECENT_DAYS} days'
        ORDER BY ended_at DESC
        LIMIT {RECENT_SERVICES}
      ) s
    ) recent ON true
    ORDER BY array_position(CAST(:lines AS text[]), l.line)
    """
)


async def boards(session: AsyncSession, branch_id: uuid.UUID, day: date, lines: list[str], now: datetime) -> list[Any]:
    """(line, staff, average_service_seconds, recent_services) per line, in the order given."""
    params = {"branch": branch_id, "day": day, "lines": lines, "now": now}
    return list((await session.execute(_BOARD, params)).all())


_METRICS = text(
    """
    SELECT line,
           extract(hour FROM issued_at AT TIME ZONE :zone)::int AS hour,
           count(*) AS arrivals,
           count(called_at) AS called,
           avg(extract(epoch FROM called_at - issued_at)) AS average_wait_seconds,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM called_at - issued_at))
             AS p90_wait_seconds,
           count(*) FILTER (WHERE state = 'served') AS served,
           avg(extract(epoch FROM ended_at - started_at)) FILTER (WHERE state = 'served')
             AS average_service_seconds,
           count(*) FILTER (WHERE state = 'no_show') AS no_shows
    FROM queue_tickets
    WHERE tenant_id = :branch AND local_day = :day
    GROUP BY line, hour
    ORDER BY line, hour
    """
)


async def metrics(session: AsyncSession, branch_id: uuid.UUID, day: date, zone: str) -> list[Any]:
    """Per line and local hour of arrival: arrivals, tickets called, average and p90 wait (issued to
    called; tickets never called count as arrivals, not in the waits), served, average service time
    (started to ended), no-shows. One statement; percentile_cont ignores the NULL waits."""
    return list((await session.execute(_METRICS, {"branch": branch_id, "day": day, "zone": zone})).all())


async def any_visit_on(session: AsyncSession, branch_id: uuid.UUID, day: date) -> bool:
    stmt = select(Visit.id).where(Visit.tenant_id == branch_id, Visit.local_day == day).limit(1)
    return await session.scalar(stmt) is not None


async def insert_in_bulk(session: AsyncSession, visits: list[dict[str, Any]], tickets: list[dict[str, Any]]) -> None:
    """Visits and their tickets (one each, in the same order), two statements per 1,000 rows (a statement
    takes at most 32,767 parameters), then each (line, day)'s counter raised to the highest number
    inserted (a counter already further on keeps its number)."""
    if not visits:
        return
    for start in range(0, len(visits), BULK_ROWS):
        await session.execute(pg_insert(Visit).values(visits[start : start + BULK_ROWS]))
        await session.execute(pg_insert(QueueTicket).values(tickets[start : start + BULK_ROWS]))
    highest: dict[tuple[uuid.UUID, str, date], int] = {}
    for t in tickets:
        key = (t["tenant_id"], t["line"], t["local_day"])
        highest[key] = max(highest.get(key, 0), t["seq"])
    rows = [
        {"tenant_id": b, "id": new_id(), "line": line, "local_day": day, "last_seq": seq}
        for (b, line, day), seq in highest.items()
    ]
    stmt = pg_insert(QueueCounter).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[QueueCounter.tenant_id, QueueCounter.line, QueueCounter.local_day],
        set_={"last_seq": func.greatest(QueueCounter.last_seq, stmt.excluded.last_seq)},
    )
    await session.execute(stmt)
