"""A branch's clients, who looks after them, and how that changed.

Personal data (ID number, phone, address) is held sealed (``*_sealed``: AES-GCM, the key id inside each
value, see ``platform.crypto``) and, where it is searched, as a keyed hash (``*_hash``): never in clear.
``pii_key_id`` names the key the row's values were sealed under, so ``crm rekey`` finds what to redo.

Later parts of the CRM (holdings, interactions, feedback, surveys) hang off ``clients`` by the composite
key ``(tenant_id, client_id)``, like ``client_co_owners`` does.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args


class Client(TenantOwned, Timestamped, Base):
    __tablename__ = "clients"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "client_number"),
        Index("ix_clients_tenant_id_name_id", "tenant_id", "name", "id"),
        Index("ix_clients_tenant_id_name_prefix", "tenant_id", "name", postgresql_ops={"name": "text_pattern_ops"}),
        Index("ix_clients_tenant_id_owner_id_name_id", "tenant_id", "owner_id", "name", "id"),
        Index("ix_clients_tenant_id_lifecycle_name_id", "tenant_id", "lifecycle", "name", "id"),
        Index("ix_clients_tenant_id_kyc_expires_on", "tenant_id", "kyc_expires_on"),
        Index("ix_clients_tenant_id_birthday_md", "tenant_id", "birthday_md"),
        Index("ix_clients_tenant_id_lunar_birthday_md", "tenant_id", "lunar_birthday_md"),
        CheckConstraint(
            "(lunar_birth_month IS NULL) = (lunar_birth_day IS NULL) "
            "AND (lunar_birth_month IS NULL) = (lunar_birth_leap IS NULL) "
            "AND lunar_birth_month BETWEEN 1 AND 12 AND lunar_birth_day BETWEEN 1 AND 30",
            name="lunar_birthday_whole",
        ),
        Index("ix_clients_tenant_id_phone_hash", "tenant_id", "phone_hash"),
        Index("ix_clients_tenant_id_id_number_hash", "tenant_id", "id_number_hash"),
        Index("ix_clients_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_clients_tags", "tags", postgresql_using="gin"),
        Index("ix_clients_tenant_id_last_contact_at", "tenant_id", "last_contact_at"),
        Index("ix_clients_tenant_id_aum_cny", "tenant_id", "aum_cny"),
        # A manager's book by stage, first page by name (bench/crm.py): no sort of the whole book
        Index("ix_clients_tenant_id_owner_id_lifecycle_name_id", "tenant_id", "owner_id", "lifecycle", "name", "id"),
    )

    client_number: Mapped[str] = mapped_column(String(40), comment="The core-banking client number (客户号)")
    kind: Mapped[str] = mapped_column(String(20))  # rules.ClientKind
    name: Mapped[str] = mapped_column(String(200))
    id_type: Mapped[str | None] = mapped_column(String(30))  # rules.IdDocumentType
    id_number_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Not searched: lets an import tell an unchanged address from a new one (sealed values always differ)
    address_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    pii_key_id: Mapped[str | None] = mapped_column(String(255))
    birthday: Mapped[date | None] = mapped_column(Date)
    # month * 100 + day of the birthday, for "birthdays within N days" by index
    birthday_md: Mapped[int | None] = mapped_column(
        SmallInteger,
        Computed("(extract(month from birthday) * 100 + extract(day from birthday))::smallint", persisted=True),
    )
    # The lunar birthday (农历生日) as the client keeps it, without a year (platform.lunar has the rules)
    lunar_birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    lunar_birth_day: Mapped[int | None] = mapped_column(SmallInteger)
    lunar_birth_leap: Mapped[bool | None] = mapped_column(Boolean, comment="born in a leap month (闰月)")
    # platform.lunar.LunarBirthday.key: a lunar birthday plan joins its day table on it by index
    lunar_birthday_md: Mapped[int | None] = mapped_column(
        SmallInteger,
        Computed(
            "(CASE WHEN lunar_birth_leap THEN 5000 ELSE 0 END + lunar_birth_month * 100 + lunar_birth_day)::smallint",
            persisted=True,
        ),
    )
    gender: Mapped[str | None] = mapped_column(String(10))  # rules.Gender
    occupation: Mapped[str | None] = mapped_column(String(100))
    risk_grade: Mapped[str | None] = mapped_column(String(2))  # rules.RiskGrade
    risk_assessed_on: Mapped[date | None] = mapped_column(Date)
    kyc_status: Mapped[str] = mapped_column(String(20))  # rules.KycStatus
    kyc_expires_on: Mapped[date | None] = mapped_column(Date)
    consents: Mapped[list[str]] = mapped_column(ARRAY(String(20)))  # rules.ContactChannel values
    do_not_contact: Mapped[bool]
    preferred_language: Mapped[str] = mapped_column(String(10))
    lifecycle: Mapped[str] = mapped_column(String(20))  # rules.LifecycleStage
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    notes: Mapped[str | None] = mapped_column(String(2000))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[datetime]
    # The latest interaction's time, kept by logging one (segmentation and dormancy filter on it)
    last_contact_at: Mapped[datetime | None]
    # Kept by the holdings feed, never recomputed per request: the sum of the client's holdings in CNY
    # (other currencies converted with the feed's rate table), when the feed set it, and the latest
    # change of any of its holdings (recency for scoring, dormancy)
    aum_cny: Mapped[Decimal] = mapped_column(Numeric(20, 2), server_default="0")
    aum_as_of: Mapped[datetime | None]
    last_movement_at: Mapped[datetime | None]


class ClientCoOwner(TenantOwned, Base):
    """A member of the client's team beside its owner: sees and serves the client like the owner."""

    __tablename__ = "client_co_owners"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "client_id", "staff_id"),
        Index("ix_client_co_owners_tenant_id_staff_id_client_id", "tenant_id", "staff_id", "client_id"),
    )

    client_id: Mapped[uuid.UUID]
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))


class ClientAssignment(TenantOwned, Base):
    """One change of a client's owner or team: who made it, when and why (the portfolio's history)."""

    __tablename__ = "client_assignments"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        Index("ix_client_assignments_tenant_id_client_id_assigned_at", "tenant_id", "client_id", "assigned_at"),
    )

    client_id: Mapped[uuid.UUID]
    from_owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id"))
    to_owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    co_owner_ids: Mapped[list[uuid.UUID] | None] = mapped_column(ARRAY(Uuid))
    assigned_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    actor_label: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))


class Interaction(TenantOwned, Base):
    """One contact with a client on its timeline: a call, visit, message, meeting or note, logged by a
    staff member. ``products`` are free product codes until the product catalogue lands."""

    __tablename__ = "interactions"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        Index(
            "ix_interactions_tenant_id_client_id_occurred_at",
            "tenant_id",
            "client_id",
            text("occurred_at DESC"),
            text("id DESC"),
        ),
    )

    client_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))  # rules.InteractionKind
    channel: Mapped[str] = mapped_column(String(20))  # rules.InteractionChannel
    occurred_at: Mapped[datetime]
    logged_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff.id"))
    logged_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(2000))
    outcome: Mapped[str | None] = mapped_column(String(500))
    next_step: Mapped[str | None] = mapped_column(String(500))
    next_step_on: Mapped[date | None] = mapped_column(Date)
    products: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
