"""The inbox: one row per notification to one staff member, in the branch it concerns."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class Notification(TenantOwned, Timestamped, Base):
    """Something a staff member should know. ``dedupe_key`` makes it one: the same key to the same person
    is stored once, however often the job that raises it runs (ids are time-ordered: newest first by id)."""

    __tablename__ = "notifications"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "recipient_id", "dedupe_key"),
        Index("ix_notifications_tenant_id_recipient_id_id", "tenant_id", "recipient_id", text("id DESC")),
        Index(
            "ix_notifications_tenant_id_recipient_id_unread",
            "tenant_id",
            "recipient_id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(40))  # a code declared with kinds.notification_kind
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    # What it is about, for the app to open: ("handoff", id), ("client", id), ...
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[uuid.UUID | None]
    dedupe_key: Mapped[str] = mapped_column(String(200))
    read_at: Mapped[datetime | None]


class NotificationPreference(TenantOwned, Timestamped, Base):
    """How a staff member wants one kind of notification in this branch: kept in the inbox, pushed live,
    in the e-mail digest (sent later; stored now). No row: every channel on."""

    __tablename__ = "notification_preferences"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "staff_id", "kind"))

    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(40))
    inbox: Mapped[bool] = mapped_column(default=True)
    live: Mapped[bool] = mapped_column(default=True)
    email_digest: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None]
