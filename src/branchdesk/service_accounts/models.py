"""Service accounts: machine clients of one branch."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, tenant_table_args


class ServiceAccount(TenantOwned, Base):
    """A machine client of one branch (for example a core-banking feed) with named permissions only.

    It signs in with the OAuth2 client-credentials grant; its secret is stored as a hash, and a
    rotation keeps the previous secret valid until ``previous_secret_expires_at``.
    """

    __tablename__ = "service_accounts"
    __table_args__ = tenant_table_args(UniqueConstraint("tenant_id", "client_id"))

    client_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    secret_hash: Mapped[str] = mapped_column(String(200))
    previous_secret_hash: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the staff member, when one did
