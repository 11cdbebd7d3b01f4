"""Scheduled work is decided in PostgreSQL: each branch's due periods, in its time zone, are handed to the
outbox once, whatever Redis lost or however long the worker was down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from branchdesk.jobs import tasks
from branchdesk.jobs.worker import cron_jobs
from branchdesk.platform.outbox import OutboxMessage
from branchdesk.tenants.models import BranchLevel
from tests.conftest import onboard, unique_code, unique_employee_number
from tests.jobs.support import NOW, checks, drain, run_worker, send

pytestmark = [pytest.mark.faults, pytest.mark.external]


async def _branch(rt, world, timezone: str):
    number = unique_employee_number()
    return await onboard(rt, unique_code(), BranchLevel.SUB_BRANCH, world.branch_a.code, number, timezone=timezone)


async def _branches(rt, world):
    return await _branch(rt, world, "Asia/Shanghai"), await _branch(rt, world, "America/Los_Angeles")


async def _periods(rt, branch) -> list[str]:
    async with rt.db.session(branch.id) as session:
        rows = await session.scalars(
            select(OutboxMessage.run_key).where(
                OutboxMessage.tenant_id == branch.id, OutboxMessage.job == "nightly_audit_check"
            )
        )
        return sorted(key.removeprefix("nightly_audit_check:") for key in rows.all() if key)


@pytest.fixture
def nightly_only(monkeypatch):
    """Only the nightly check is scheduled, so the relay's batches hold nothing but these tests' work (the
    complaint SLA watch would add a run for every branch of the test database each quarter of an hour)."""
    monkeypatch.setattr(tasks, "SCHEDULES", [s for s in tasks.SCHEDULES if s.job == "nightly_audit_check"])


async def test_each_branch_gets_its_due_nights_in_its_time_zone_once_and_a_missed_day_is_caught_up(
    rt, world, nightly_only
):
    await drain(rt)
    shanghai, los_angeles = await _branches(rt, world)
    # 19:00 UTC: 03:00 the next day in Shanghai, past 02:00; 11:00 the same day in Los Angeles
    first = datetime(2030, 1, 10, 19, 0, tzinfo=UTC)

    await tasks.run_schedules({"runtime": rt}, first)
    assert await tasks.run_schedules({"runtime": rt}, first) == 0  # a second tick finds nothing left to do
    assert await _periods(rt, shanghai) == ["2030-01-10", "2030-01-11"]  # the latest night and the one before
    assert await _periods(rt, los_angeles) == ["2030-01-09", "2030-01-10"]

    # when the worker was down for a whole day, the next tick makes up the night it missed, once
    await tasks.run_schedules({"runtime": rt}, first + timedelta(days=2))
    assert await _periods(rt, shanghai) == ["2030-01-10", "2030-01-11", "2030-01-12", "2030-01-13"]
    assert await _periods(rt, los_angeles) == ["2030-01-09", "2030-01-10", "2030-01-11", "2030-01-12"]

    # and each night's check runs exactly once (every batch relayed: other schedules' runs may be waiting too)
    while await send(rt):
        pass
    await run_worker(rt)
    for branch in (shanghai, los_angeles):
        for period in await _periods(rt, branch):
            assert await checks(rt, branch.id, f"nightly:{period}") == 1


async def test_scheduled_work_lost_by_a_flushed_redis_is_sent_again_and_done_once(rt, world, nightly_only):
    await drain(rt)
    shanghai, _ = await _branches(rt, world)
    now = datetime(2031, 3, 1, 19, 0, tzinfo=UTC)
    await tasks.run_schedules({"runtime": rt}, now)
    assert await send(rt) > 0
    await rt.redis.flushdb()  # the queued nightly checks are gone from Redis

    # the next tick has nothing new to schedule (PostgreSQL knows they were handed over); the relay resends
    assert await tasks.run_schedules({"runtime": rt}, now) == 0
    assert await send(rt, NOW) > 0
    await run_worker(rt)
    assert await send(rt, NOW) == 0
    for period in ("2031-03-01", "2031-03-02"):
        assert await checks(rt, shanghai.id, f"nightly:{period}") == 1


async def test_a_branch_gets_no_runs_for_nights_before_it_existed(rt, world):
    shanghai, _ = await _branches(rt, world)
    await tasks.run_schedules({"runtime": rt}, datetime(2020, 1, 1, 19, 0, tzinfo=UTC))
    assert await _periods(rt, shanghai) == []


def test_the_worker_ticks_at_start_up_and_every_five_minutes(settings):
    [tick] = cron_jobs(settings)
    assert tick.name == "run_schedules" and tick.run_at_startup
    assert tick.minute == set(range(0, 60, 5))
