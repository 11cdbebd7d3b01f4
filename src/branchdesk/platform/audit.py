"""The audit trail: append-only and hash-chained per branch, written in the caller's transaction.

Each record stores the hash of the one before it in the same branch, so changing or removing any
record breaks every hash after it; :func:`verify_chain` finds the first break.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, UniqueConstraint, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.clock import utcnow
from branchdesk.platform.database import Base, TenantOwned, tenant_table_args

GENESIS = "0" * 64


@dataclass(frozen=True)
class Author:
    """Who is named in the audit trail: a staff member, a service account or the system itself."""

    kind: str  # staff | service | system
    id: uuid.UUID | None = None
    label: str = ""

    @classmethod
    def system(cls, label: str) -> Author:
        return cls("system", None, label)


class AuditEvent(TenantOwned, Base):
    __tablename__ = "audit_events"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "seq"))

    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def _digest(prev_hash: str, branch_id: uuid.UUID, seq: int, fields: dict[str, Any]) -> str:
    body = json.dumps(
        {"tenant_id": str(branch_id), "seq": seq, **fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
        "request_id": event.request_id,
    }


async def record(
    session: AsyncSession,
    branch_id: uuid.UUID,
    actor: Author,
    action: str,
    target_type: str,
    target_id: object | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one record to the branch's chain, inside the caller's transaction."""
    from branchdesk.platform.logging import current_request_id

    # Serialises writers of one branch's chain until this transaction ends.
    await session.execute(
        text("select pg_advisory_xact_lock(hashtextextended('audit:' || :tenant, 0))"), {"tenant": str(branch_id)}
    )
    last = (
        await session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.tenant_id == branch_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS)
    event = AuditEvent(
        tenant_id=branch_id,
        seq=seq,
        occurred_at=utcnow(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
        request_id=current_request_id(),
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, branch_id, seq, _fields(event))
    session.add(event)
    await session.flush()
    return event


class AuditChainCheck(TenantOwned, Base):
    """The outcome of one verification of a branch's chain (run by the worker)."""

    __tablename__ = "audit_chain_checks"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "source"))

    # What asked for the check: an outbox message or a nightly run ("nightly:2026-11-29"); one row each.
    source: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[datetime]
    ok: Mapped[bool]
    records: Mapped[int] = mapped_column(BigInteger)
    first_broken_seq: Mapped[int | None] = mapped_column(BigInteger)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    records: int
    first_broken_seq: int | None = None


async def verify_chain(session: AsyncSession, branch_id: uuid.UUID, batch: int = 1000) -> ChainCheck:
    prev_hash, expected_seq, count, last_seq = GENESIS, 1, 0, 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.tenant_id == branch_id, AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            return ChainCheck(ok=True, records=count)
        for event in rows:
            if (
                event.seq != expected_seq
                or event.prev_hash != prev_hash
                or event.hash != _digest(prev_hash, branch_id, event.seq, _fields(event))
            ):
                return ChainCheck(ok=False, records=count, first_broken_seq=expected_seq)
            prev_hash, expected_seq, count, last_seq = event.hash, event.seq + 1, count + 1, event.seq


async def check_and_record(session: AsyncSession, branch_id: uuid.UUID, source: str) -> AuditChainCheck:
    """Verify the chain and keep the outcome; running it twice for one source keeps one row."""
    existing = await session.scalar(
        select(AuditChainCheck).where(AuditChainCheck.tenant_id == branch_id, AuditChainCheck.source == source)
    )
    if existing is not None:
        return existing
    result = await verify_chain(session, branch_id)
    check = AuditChainCheck(
        tenant_id=branch_id,
        source=source,
        checked_at=utcnow(),
        ok=result.ok,
        records=result.records,
        first_broken_seq=result.first_broken_seq,
    )
    session.add(check)
    await session.flush()
    return check
