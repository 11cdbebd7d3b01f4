"""Scheduled work, decided in PostgreSQL.

A scheduled job declares its period, in each branch's time zone (:class:`Daily`: once a day, due at a
local time). Every tick asks which active branches have a due period not yet handed to the outbox
(``run_key`` ``<job>:<period>``, unique per branch) and hands each to it in one statement; from there
the outbox delivers it at least once and the job does it once. A lost Redis, a failed run or a worker
down for a day is caught up by the next tick (up to ``catch_up`` earlier periods), once per period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from branchdesk.platform import outbox
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Database
from branchdesk.tenants import service as tenants
from branchdesk.tenants.models import Branch, BranchStatus


class Period(Protocol):
    def due(self, local_now: datetime) -> list[tuple[str, datetime]]:
        """(period key, local moment it fell due) of the latest periods due, newest first."""
        ...


@dataclass(frozen=True)
class Daily:
    """Once a local day, due at ``at``; ``catch_up`` earlier days are still made up when missed."""

    at: time
    catch_up: int = 1

    def due(self, local_now: datetime) -> list[tuple[str, datetime]]:
        latest = local_now.date() if local_now.time() >= self.at else local_now.date() - timedelta(days=1)
        days: list[date] = [latest - timedelta(days=n) for n in range(self.catch_up + 1)]
        return [(day.isoformat(), datetime.combine(day, self.at, tzinfo=local_now.tzinfo)) for day in days]


@dataclass(frozen=True)
class Every:
    """Every ``minutes`` (a divisor of a day) on the branch's clock, due at the start of each slot;
    ``catch_up`` earlier slots are still made up when missed. The period key is the slot's local start."""

    minutes: int
    catch_up: int = 1

    def __post_init__(self) -> None:
        if self.minutes <= 0 or (24 * 60) % self.minutes:
            raise ValueError("a period of minutes divides a day")

    def due(self, local_now: datetime) -> list[tuple[str, datetime]]:
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local_now.hour * 60 + local_now.minute) // self.minutes * self.minutes
        latest = midnight + timedelta(minutes=elapsed)
        slots = [latest - timedelta(minutes=self.minutes * n) for n in range(self.catch_up + 1)]
        return [(slot.strftime("%Y-%m-%dT%H:%M"), slot) for slot in slots]


@dataclass(frozen=True)
class Scheduled:
    """A job run once per period per active branch; its payload is ``period`` and ``extra``."""

    job: str
    every: Period
    extra: dict[str, Any] = field(default_factory=dict)

    def runs(self, branches: Iterable[Branch], now: datetime) -> list[outbox.Run]:
        found = []
        for branch in branches:
            if branch.status is not BranchStatus.ACTIVE:
                continue
            for period, due_at in self.every.due(now.astimezone(ZoneInfo(branch.timezone))):
                if due_at >= branch.created_at:  # no runs for periods before the branch existed
                    payload = {"period": period, **self.extra}
                    found.append(outbox.Run(branch.id, self.job, f"{self.job}:{period}", payload))
        return found


async def tick(db: Database, schedules: Sequence[Scheduled], now: datetime | None = None) -> int:
    """Hand every due period without a run to the outbox; returns how many were handed over. Safe to run
    concurrently and as often as wanted."""
    now = now or utcnow()
    async with db.platform_session() as session:
        branches = await tenants.all_branches(session)
        due = [run for scheduled in schedules for run in scheduled.runs(branches, now)]
        there = await outbox.handed_over(session, {run.run_key for run in due})
        return await outbox.hand_over(session, [run for run in due if (run.branch_id, run.run_key) not in there])
