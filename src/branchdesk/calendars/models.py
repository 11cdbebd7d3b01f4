"""The head-office holiday calendar (platform-wide, like branches) and branch closures (branch-owned)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id

ALL_REGIONS = "ALL"


class CalendarDayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # 放假
    WORKDAY = "workday"  # a make-up working day, 调休上班


KIND_LABELS = {
    CalendarDayKind.HOLIDAY: ("Holiday", "放假"),
    CalendarDayKind.WORKDAY: ("Make-up working day", "调休上班"),
}


class CalendarDay(Timestamped, Base):
    """One dated entry of the head-office calendar for a region (``CN``…) or for every branch (``ALL``)."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("region", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    region: Mapped[str] = mapped_column(String(16))  # ALL, a country (CN) or a subdivision (CN-XZ)
    day: Mapped[date]
    kind: Mapped[CalendarDayKind] = mapped_column(
        Enum(
            CalendarDayKind,
            name="calendar_day_kind",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=20,
        )
    )
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime | None]


class BranchClosure(TenantOwned, Timestamped, Base):
    """Days a branch is closed of its own accord (renovation, a local holiday), both ends included."""

    __tablename__ = "branch_closures"
    __table_args__ = tenant_table_args(
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_branch_closures_tenant_id_starts_on", "tenant_id", "starts_on"),
    )

    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
