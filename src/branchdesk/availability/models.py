"""Absences: a staff member away from a branch for a period, and the colleague who covers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class StaffAbsence(TenantOwned, Timestamped, Base):
    """``staff_id`` is away from the branch from ``starts_at`` until ``ends_at``; ``cover_id`` (a member of
    the branch for the whole period, possibly through a cover membership from another branch) takes
    their work meanwhile. No cover: their work goes where each domain routes unattended work."""

    __tablename__ = "staff_absences"
    __table_args__ = tenant_table_args(
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("cover_id IS NULL OR cover_id <> staff_id", name="cover_not_self"),
        Index("ix_staff_absences_tenant_id_staff_id_starts_at", "tenant_id", "staff_id", "starts_at"),
        Index("ix_staff_absences_tenant_id_cover_id", "tenant_id", "cover_id"),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    cover_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
