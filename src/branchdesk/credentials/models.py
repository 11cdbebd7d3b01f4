"""Activation codes. Like staff identities and refresh tokens they belong to no branch (platform table)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, Timestamped
from branchdesk.platform.ids import new_id


class ActivationCode(Timestamped, Base):
    """A single-use code with which a person sets their own password; stored only as its Argon2 hash.
    Issuing a new one supersedes the person's outstanding code (``superseded_at``)."""

    __tablename__ = "activation_codes"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]
    issued_by: Mapped[str] = mapped_column(String(200))  # the audit trail's name of who issued it
