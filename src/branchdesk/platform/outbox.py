"""Transactional outbox: work for the job queue is written in the same transaction as its cause.

A relay (``branchdesk.jobs.relay``) moves committed rows to the job queue under the deterministic job id
``outbox:<id>``; the job marks its row completed in the same transaction as its own work, so a job
delivered twice does its work once, and a row not completed after ``redispatch_after`` is sent again
(Redis may have lost it). A row sent ``max_dispatches`` times that still did not complete is given up as
dead: logged and counted once, kept for an operator (``dead_at``, ``dead_reason``), never sent again; a
job whose payload it cannot take is given up at once, with the reason.

Scheduled work (``branchdesk.jobs.schedule``) names its row with a ``run_key`` (``<job>:<period>``),
unique per branch: a period is handed to the outbox once, however many ticks see it due.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform import metrics
from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Base, Database, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id


class OutboxMessage(TenantOwned, Timestamped, Base):
    __tablename__ = "outbox"
    __table_args__ = tenant_table_args(
        Index("ix_outbox_pending", "created_at", postgresql_where="completed_at IS NULL AND dead_at IS NULL"),
        # run_key first: the scheduler asks which branches already have a period's run.
        UniqueConstraint("run_key", "tenant_id"),
    )

    job: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dispatched_at: Mapped[datetime | None]
    dispatch_count: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    dead_reason: Mapped[str | None] = mapped_column(String(500))
    run_key: Mapped[str | None] = mapped_column(String(200))

    @property
    def job_id(self) -> str:
        return f"outbox:{self.id}"


async def enqueue(session: AsyncSession, branch_id: uuid.UUID, job: str, **payload: Any) -> OutboxMessage:
    """Add work for a job; it reaches the queue only if the caller's transaction commits."""
    message = OutboxMessage(tenant_id=branch_id, job=job, payload=payload, dispatch_count=0)
    session.add(message)
    await session.flush()
    return message


async def give_up(session: AsyncSession, branch_id: uuid.UUID, message_id: uuid.UUID, reason: str) -> str | None:
    """Mark an unfinished row dead with the reason, in its branch's transaction; returns its job, or None when
    it was already completed or dead (so it is reported once)."""
    return await session.scalar(
        update(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == branch_id,
            OutboxMessage.id == message_id,
            OutboxMessage.completed_at.is_(None),
            OutboxMessage.dead_at.is_(None),
        )
        .values(dead_at=utcnow(), dead_reason=reason[:500])
        .returning(OutboxMessage.job)
    )


@dataclass(frozen=True)
class Run:
    """One period of scheduled work for one branch, to be handed to the outbox once."""

    branch_id: uuid.UUID
    job: str
    run_key: str
    payload: dict[str, Any]


async def handed_over(session: AsyncSession, run_keys: Collection[str]) -> set[tuple[uuid.UUID, str]]:
    """(branch, run key) pairs already in the outbox, whatever their state. Platform scope."""
    if not run_keys:
        return set()
    rows = await session.execute(
        select(OutboxMessage.tenant_id, OutboxMessage.run_key).where(OutboxMessage.run_key.in_(list(run_keys)))
    )
    return {(tenant, key) for tenant, key in rows if key is not None}


HAND_OVER_BATCH = 1000  # rows per statement: well under PostgreSQL's 32767 bind parameters


async def hand_over(session: AsyncSession, runs: Sequence[Run]) -> int:
    """Add each run's outbox row unless its (run key, branch) is already there (a concurrent tick, say);
    returns how many were added. Platform scope: one statement for every branch."""
    now = utcnow()
    added = 0
    for start in range(0, len(runs), HAND_OVER_BATCH):
        rows = await session.scalars(
            insert(OutboxMessage)
            .values(
                [
                    {
                        "tenant_id": run.branch_id,
                        "id": new_id(),
                        "job": run.job,
                        "payload": run.payload,
                        "run_key": run.run_key,
                        "dispatch_count": 0,
                        "created_at": now,
                    }
                    for run in runs[start : start + HAND_OVER_BATCH]
                ]
            )
            .on_conflict_do_nothing(index_elements=["run_key", "tenant_id"])
            .returning(OutboxMessage.id)
        )
        added += len(rows.all())
    return added


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_at: datetime | None

    def oldest_pending_age(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest_pending_at).total_seconds()) if self.oldest_pending_at else 0.0


async def backlog(session: AsyncSession) -> Backlog:
    """How much work waits and since when the oldest waits (on the pending index). Platform scope."""
    row = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.completed_at.is_(None), OutboxMessage.dead_at.is_(None)
            )
        )
    ).one()
    return Backlog(pending=row[0], oldest_pending_at=row[1])


async def observe_backlog(db: Database) -> Backlog:
    """The backlog, also set on the gauges (the relay does it every pass, the jobs health view when asked)."""
    async with db.platform_session() as session:
        found = await backlog(session)
    metrics.outbox_pending.set(found.pending)
    metrics.outbox_oldest_pending_age.set(found.oldest_pending_age(utcnow()))
    return found


async def due(session: AsyncSession, *, redispatch_after: timedelta, batch: int) -> list[OutboxMessage]:
    """Committed, unfinished rows never sent or sent more than ``redispatch_after`` ago, locked for the
    caller's transaction (concurrent relays skip each other's rows). Platform scope: every branch."""
    now = utcnow()
    return list(
        (
            await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.completed_at.is_(None),
                    OutboxMessage.dead_at.is_(None),
                    or_(OutboxMessage.dispatched_at.is_(None), OutboxMessage.dispatched_at < now - redispatch_after),
                )
                .order_by(OutboxMessage.created_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
    )


async def claim(session: AsyncSession, branch_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    """Mark a row completed within the job's transaction; False if an earlier delivery already did."""
    claimed = await session.scalar(
        update(OutboxMessage)
        .where(
            OutboxMessage.tenant_id == branch_id,
            OutboxMessage.id == message_id,
            OutboxMessage.completed_at.is_(None),
        )
        .values(completed_at=utcnow())
        .returning(OutboxMessage.id)
    )
    return claimed is not None


@asynccontextmanager
async def outbox_job(db: Database, branch_id: str, message_id: str) -> AsyncIterator[AsyncSession | None]:
    """The tenant-bound transaction of one delivery; yields None when the work was already done."""
    tenant = uuid.UUID(branch_id)
    async with db.session(tenant) as session:
        if not await claim(session, tenant, uuid.UUID(message_id)):
            yield None
            return
        yield session
