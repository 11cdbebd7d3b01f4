"""Call-next under concurrent callers (issue 13): no ticket served twice, and the latency of a call.

One branch on the embedded servers, with 50 tellers and a morning's waiting tickets recorded in bulk on
two lines. Then, in the same run:

- **service**: 50 concurrent callers, each a teller of its own, each call a request's unit of work — a
  tenant-bound transaction, entering the branch (``Gate.enter``), ``visits.call_next`` (the
  ``FOR UPDATE SKIP LOCKED`` statement returning the visit, then the audit record), commit — until the
  counter line answers ``QUEUE_EMPTY``;
- **baseline**: 50 concurrent callers on raw asyncpg running the same SKIP LOCKED statement (bound to
  the branch with ``set_config``, one transaction per call) on the self-service line, until it is empty.

Both get the same number of connections (``--connections``, default 20: an API process's pool, 10 + 10
overflow). Each prints calls, double-serves (tickets called more than once, counted from what the
callers got and from the database) and the latency per call (p50, p99, max, from taking a connection
to commit), the service's beside the baseline's.

    python3 dev.py run python bench/call_next.py            # 1,000 tickets per line, under a minute or two
    python3 dev.py run python bench/call_next.py --full     # 10,000 tickets per line

Figures go to bench/results/queue.json.
"""

# ruff: noqa: E402  (the path is fixed before anything else is imported)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file would shadow the standard library's ``queue`` (logging imports it): take its
# directory off the import path before importing anything that does.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from branchdesk.access.identity import Identity
from branchdesk.access.principal import BranchRef, Principal
from branchdesk.onboarding import service as onboarding
from branchdesk.platform.errors import DomainError
from branchdesk.platform.settings import Settings
from branchdesk.runtime import runtime
from branchdesk.tenants import service
from branchdesk.tenants.models import BranchLevel
from branchdesk.visits import service as visits
from branchdesk.visits.rules import Purpose, ServiceLine, TicketState

RESULTS = Path(__file__).parent / "results" / "queue.json"
SYSTEM = Principal.system("bench")
CALLERS = 50

# The statement visits.repository.call_next sends, with asyncpg's placeholders.
RAW_CALL_NEXT = """
WITH next AS (
  SELECT id FROM queue_tickets
  WHERE tenant_id = $1 AND line = $2 AND state = 'waiting'
    AND local_day = (SELECT ($4::timestamptz AT TIME ZONE timezone)::date FROM branches WHERE id = $1)
  ORDER BY issued_at, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED
), called AS (
  UPDATE queue_tickets t SET state = 'called', called_at = $4, called_by = $3
  FROM next WHERE t.tenant_id = $1 AND t.id = next.id
  RETURNING t.visit_id
)
UPDATE visits v SET state = 'called', updated_at = $4
FROM called WHERE v.tenant_id = $1 AND v.id = called.visit_id
RETURNING v.*
"""


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": round(ordered[len(ordered) // 2], 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def seed(rt: Any, tickets: int) -> tuple[Any, list[uuid.UUID]]:
    async with rt.db.session(None) as session:
        branch = None
        for code, level, parent in (("BHO", BranchLevel.HEAD_OFFICE, None), ("BQ01", BranchLevel.TIER1_BRANCH, "BHO")):
            head = service.StaffDraft(f"H{code}", f"Head of {code}")
            draft = service.BranchDraft(code, f"Branch {code}", level, "Asia/Shanghai", head, parent)
            branch = (await onboarding.onboard_branch(session, SYSTEM, draft)).branch
        assert branch is not None
        tellers = []
        for i in range(CALLERS):
            staff = await service.ensure_staff(session, service.StaffDraft(f"QT{i:03d}", f"Teller {i}"))
            await onboarding.grant_membership(session, SYSTEM, branch, staff, ["teller"])
            tellers.append(staff.id)
    now = datetime.now(UTC)
    zone_midnight = now.astimezone(ZoneInfo(branch.timezone)).replace(hour=0, minute=0, second=0)
    span = (now - zone_midnight.astimezone(UTC)) / (tickets + 1)
    waiting = [
        visits.PastVisit(Purpose.CASH, line, now - span * (tickets - i), TicketState.WAITING)
        for line in (ServiceLine.COUNTER, ServiceLine.SELF_SERVICE)
        for i in range(tickets)
    ]
    async with rt.db.session(branch.id) as session:
        await visits.record_in_bulk(session, Principal.system("bench", BranchRef(branch.id, branch.code)), waiting)
    return branch, tellers


async def service_callers(rt: Any, branch: Any, tellers: list[uuid.UUID]) -> tuple[list[float], list[uuid.UUID]]:
    latencies: list[float] = []
    called: list[uuid.UUID] = []

    async def caller(staff_id: uuid.UUID) -> None:
        while True:
            started = time.perf_counter()
            try:
                async with rt.db.session(None) as session:
                    by = await rt.gate.enter(session, Identity({}, staff_id=staff_id), branch.code)
                    visit = await visits.call_next(session, by, ServiceLine.COUNTER)
            except DomainError as refused:
                assert refused.code == "QUEUE_EMPTY", refused.code
                return
            latencies.append((time.perf_counter() - started) * 1e3)
            called.append(visit.id)

    await asyncio.gather(*(caller(t) for t in tellers))
    return latencies, called


async def baseline_callers(
    dsn: str, branch: Any, tellers: list[uuid.UUID], connections: int
) -> tuple[list[float], list[uuid.UUID]]:
    latencies: list[float] = []
    called: list[uuid.UUID] = []
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)

    async def caller(staff_id: uuid.UUID) -> None:
        while True:
            started = time.perf_counter()
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute("select set_config('app.tenant_id', $1, true)", str(branch.id))
                row = await connection.fetchrow(
                    RAW_CALL_NEXT, branch.id, ServiceLine.SELF_SERVICE.value, staff_id, datetime.now(UTC)
                )
            if row is None:
                return
            latencies.append((time.perf_counter() - started) * 1e3)
            called.append(row["id"])

    try:
        await asyncio.gather(*(caller(t) for t in tellers))
    finally:
        await pool.close()
    return latencies, called


async def states(rt: Any, branch: Any) -> dict[str, dict[str, int]]:
    from sqlalchemy import select

    from branchdesk.visits.models import QueueTicket

    async with rt.db.session(branch.id) as session:
        rows = (
            await session.execute(select(QueueTicket.line, QueueTicket.state).where(QueueTicket.tenant_id == branch.id))
        ).all()
    found: dict[str, Counter[str]] = {}
    for line, state in rows:
        found.setdefault(line, Counter())[state] += 1
    return {line: dict(counts) for line, counts in found.items()}


async def main(data_dir: Path, tickets: int, connections: int) -> dict[str, Any]:
    async with runtime(Settings(data_dir=data_dir), run_migrations=True) as rt:
        branch, tellers = await seed(rt, tickets)
        started = time.perf_counter()
        served, served_ids = await service_callers(rt, branch, tellers)
        service_wall = time.perf_counter() - started
        dsn = rt.db.app_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        started = time.perf_counter()
        raw, raw_ids = await baseline_callers(dsn, branch, tellers, connections)
        raw_wall = time.perf_counter() - started
        in_database = await states(rt, branch)

    def doubles(ids: list[uuid.UUID]) -> int:
        return sum(n - 1 for n in Counter(ids).values() if n > 1)

    return {
        "tickets_per_line": tickets,
        "callers": CALLERS,
        "connections": connections,
        "service": {
            "calls": len(served_ids),
            "double_served": doubles(served_ids),
            "calls_per_s": round(len(served_ids) / service_wall, 1),
            **summary(served),
        },
        "baseline_raw_asyncpg": {
            "calls": len(raw_ids),
            "double_served": doubles(raw_ids),
            "calls_per_s": round(len(raw_ids) / raw_wall, 1),
            **summary(raw),
        },
        "tickets_in_database": in_database,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="10,000 tickets per line (default 1,000)")
    parser.add_argument("--connections", type=int, default=20, help="connections for each side (default 20)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="branchdesk-bench-queue-"))
    began = time.perf_counter()
    try:
        result = asyncio.run(main(data_dir, 10_000 if args.full else 1_000, args.connections))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    result["wall_s"] = round(time.perf_counter() - began, 1)
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    s, b = result["service"], result["baseline_raw_asyncpg"]
    print(
        f"call-next, {result['callers']} concurrent callers, {result['tickets_per_line']} tickets per line, "
        f"{result['connections']} connections each side"
    )
    print(f"  {'':<34}{'calls':>7}{'double':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'calls/s':>9}")
    for label, row in (("service (request unit of work)", s), ("baseline (raw asyncpg, same SQL)", b)):
        print(
            f"  {label:<34}{row['calls']:>7}{row['double_served']:>8}{row['p50_ms']:>9}{row['p99_ms']:>9}"
            f"{row['max_ms']:>9}{row['calls_per_s']:>9}"
        )
    print(f"  p99 ratio service / baseline: {s['p99_ms'] / b['p99_ms']:.1f}x")
    print(f"  tickets in the database by line and state: {result['tickets_in_database']}")
    print(f"wall time {result['wall_s']} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
