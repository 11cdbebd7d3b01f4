"""Head office, branches, staff and their memberships.

Branches and staff are platform-wide (a branch *is* the tenant; a staff member may work in several
branches). A membership belongs to its branch and is isolated like every tenant-owned row.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id


class BranchLevel(enum.StrEnum):
    HEAD_OFFICE = "head_office"
    TIER1_BRANCH = "tier1_branch"
    SUB_BRANCH = "sub_branch"
    OUTLET = "outlet"


# A branch may only sit under a branch of the level before it.
PARENT_LEVEL = {
    BranchLevel.TIER1_BRANCH: BranchLevel.HEAD_OFFICE,
    BranchLevel.SUB_BRANCH: BranchLevel.TIER1_BRANCH,
    BranchLevel.OUTLET: BranchLevel.SUB_BRANCH,
}


class BranchStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


# (en, zh-CN) labels, used in messages and by the API.
LEVEL_LABELS = {
    BranchLevel.HEAD_OFFICE: ("Head office", "总行"),
    BranchLevel.TIER1_BRANCH: ("Tier-1 branch", "一级分行"),
    BranchLevel.SUB_BRANCH: ("Sub-branch", "支行"),
    BranchLevel.OUTLET: ("Outlet", "网点"),
}
STATUS_LABELS = {
    BranchStatus.ACTIVE: ("Active", "正常营业"),
    BranchStatus.SUSPENDED: ("Suspended", "暂停"),
    BranchStatus.CLOSED: ("Closed", "已关闭"),
}


class StaffStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=20)


class Branch(Timestamped, Base):
    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[BranchLevel] = mapped_column(_enum(BranchLevel, "branch_level"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    # {"mon": [["09:00", "17:00"]], ...}: opening periods per weekday, local time.
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[BranchStatus] = mapped_column(_enum(BranchStatus, "branch_status"), default=BranchStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime | None]


class Staff(Timestamped, Base):
    __tablename__ = "staff"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    employee_number: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    # Personal data: shown masked unless the reader owns the record or may unmask it (audited).
    phone: Mapped[str | None] = mapped_column(String(32))
    id_number: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[StaffStatus] = mapped_column(_enum(StaffStatus, "staff_status"), default=StaffStatus.ACTIVE)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_signins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]


class Membership(TenantOwned, Timestamped, Base):
    """A staff member's place in one branch, with the roles they hold there."""

    __tablename__ = "memberships"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "staff_id"))

    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)


class RefreshToken(Base):
    """A refresh token, stored only as its SHA-256; tokens rotated from one sign-in share a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # Where the sign-in or refresh that issued it came from (``me.sessions`` shows the latest).
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(64))
