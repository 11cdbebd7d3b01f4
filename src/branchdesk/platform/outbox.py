"""Transactional outbox: work for the job queue is written in the same transaction as its cause.

A relay (``branchdesk.jobs.relay``) moves committed rows to the job queue under the deterministic job id
``outbox:<id>``; the job marks its row completed in the same transaction as its own work, so a job
delivered twice does its work once, and a row not completed after ``redispatch_after`` is sent again
(Redis may have lost it). A row sent ``max_dispatches`` times that still did not complete is given up as
dead: logged and counted once, kept for an operator (``dead_at``), never sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Base, Database, TenantOwned, Timestamped, tenant_table_args


class OutboxMessage(TenantOwned, Timestamped, Base):
    __tablename__ = "outbox"
    __table_args__ = tenant_table_args(
        Index("ix_outbox_pending", "created_at", postgresql_where="completed_at IS NULL AND dead_at IS NULL"),
    )

    job: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dispatched_at: Mapped[datetime | None]
    dispatch_count: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]

    @property
    def job_id(self) -> str:
        return f"outbox:{self.id}"


async def enqueue(session: AsyncSession, branch_id: uuid.UUID, job: str, **payload: Any) -> OutboxMessage:
    """Add work for a job; it reaches the queue only if the caller's transaction commits."""
    message = OutboxMessage(tenant_id=branch_id, job=job, payload=payload, dispatch_count=0)
    session.add(message)
    await session.flush()
    return message


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
