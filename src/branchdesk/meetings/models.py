"""Branch meetings (例会): agenda, attendees, minutes and decisions. Action items are handoffs whose
origin is the meeting (type ``action_item``), so they join the same inbox, SLA and escalation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class Meeting(TenantOwned, Timestamped, Base):
    __tablename__ = "meetings"
    __table_args__ = tenant_table_args(Index("ix_meetings_tenant_id_held_at_id", "tenant_id", "held_at", "id"))

    title: Mapped[str] = mapped_column(String(200))
    held_at: Mapped[datetime]
    agenda: Mapped[str] = mapped_column(String(4000))
    minutes: Mapped[str | None] = mapped_column(String(8000))
    decisions: Mapped[list[str]] = mapped_column(JSONB, default=list)
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))


class MeetingAttendee(TenantOwned, Base):
    __tablename__ = "meeting_attendees"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "meeting_id"], ["meetings.tenant_id", "meetings.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "meeting_id", "staff_id"),
    )

    meeting_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
