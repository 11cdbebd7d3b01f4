"""Policy storage: the head-office baseline, each branch's changes to it, and the history of both."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, tenant_table_args
from branchdesk.platform.ids import new_id


class BaselineGrant(Base):
    """A permission the head office gives a role in every branch."""

    __tablename__ = "baseline_grants"

    role: Mapped[str] = mapped_column(String(50), primary_key=True)
    permission: Mapped[str] = mapped_column(String(80), primary_key=True)
    data_scope: Mapped[str | None] = mapped_column(
        String(10), comment="own, team or branch: how far a grant of a data-scoped permission reaches"
    )


class BaselineChange(Base):
    __tablename__ = "baseline_changes"
    __table_args__ = (Index("ix_baseline_changes_changed_at", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    changed_at: Mapped[datetime]
    actor_label: Mapped[str] = mapped_column(String(200))
    actor_id: Mapped[uuid.UUID | None]
    role: Mapped[str] = mapped_column(String(50))
    permission: Mapped[str] = mapped_column(String(80))
    granted: Mapped[bool] = mapped_column(comment="True: the baseline now grants it; False: no longer")


class PolicyOverride(TenantOwned, Base):
    """A branch's departure from the baseline: a permission granted beyond it, or revoked from it."""

    __tablename__ = "policy_overrides"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "role", "permission"))

    role: Mapped[str] = mapped_column(String(50))
    permission: Mapped[str] = mapped_column(String(80))
    granted: Mapped[bool] = mapped_column(comment="True: granted beyond the baseline; False: revoked from it")
    data_scope: Mapped[str | None] = mapped_column(
        String(10), comment="own, team or branch: the scope the branch grants a data-scoped permission with"
    )


class PolicyChange(TenantOwned, Base):
    """One change to a branch's policy or role assignments: who, when, before and after.

    ``after`` holds the whole new state of what changed (a role's permission in the branch, or a staff
    member's roles), so the state on any date is the latest change per key up to that date.
    """

    __tablename__ = "policy_changes"
    __table_args__ = tenant_table_args(Index("ix_policy_changes_tenant_id_changed_at", "tenant_id", "changed_at"))

    changed_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # permission | roles
    role: Mapped[str | None] = mapped_column(String(50))
    permission: Mapped[str | None] = mapped_column(String(80))
    staff_id: Mapped[uuid.UUID | None]
    before: Mapped[dict[str, Any]] = mapped_column(JSONB)
    after: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(String(500))


class ToxicPair(Base):
    """Separation of duties: nobody should hold both permissions in one branch."""

    __tablename__ = "toxic_pairs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    first: Mapped[str] = mapped_column(String(80))
    second: Mapped[str] = mapped_column(String(80))
    en: Mapped[str] = mapped_column(String(300))
    zh: Mapped[str] = mapped_column(String(300))
