"""The head-office product catalogue (platform-wide, like the holiday calendar), each branch's holdings of
its clients as core banking reports them, and the exchange rates the feed supplies (branch-owned: each
branch's feed brings its own, and one branch's feed never moves another's AUM).

A holding is matched by ``reference`` (the core-banking account or contract number, unique per branch);
``moved_at`` is when the feed last saw its balance or status change.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from branchdesk.holdings.rules import BASE_CURRENCY, ProductCategory
from branchdesk.platform.database import Base, TenantOwned, Timestamped, tenant_table_args
from branchdesk.platform.ids import new_id


class Product(Timestamped, Base):
    """A product of the head-office catalogue (产品目录)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_category_code", "category", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[ProductCategory] = mapped_column(
        Enum(
            ProductCategory,
            name="product_category",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
            length=30,
        )
    )
    risk_grade: Mapped[str] = mapped_column(String(2))  # rules.ProductRiskGrade
    currency: Mapped[str] = mapped_column(String(3), server_default=BASE_CURRENCY)
    active: Mapped[bool] = mapped_column(server_default="true")
    updated_at: Mapped[datetime | None]


class Holding(TenantOwned, Timestamped, Base):
    """One account or contract a client holds, as the core-banking feed last reported it (客户持仓)."""

    __tablename__ = "holdings"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["tenant_id", "client_id"], ["clients.tenant_id", "clients.id"], ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "reference"),
        Index("ix_holdings_tenant_id_client_id", "tenant_id", "client_id"),
        # Maturing holdings of the branch: active ones by maturity date.
        Index("ix_holdings_tenant_id_matures_on", "tenant_id", "matures_on", postgresql_where="status = 'active'"),
        CheckConstraint("status IN ('active', 'matured', 'closed')", name="known_status"),
        CheckConstraint("matures_on IS NULL OR opened_on IS NULL OR matures_on >= opened_on", name="matures_after"),
    )

    reference: Mapped[str] = mapped_column(String(60), comment="The core-banking account or contract number")
    client_id: Mapped[uuid.UUID]
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    balance: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    currency: Mapped[str] = mapped_column(String(3))
    opened_on: Mapped[date | None] = mapped_column(Date)
    matures_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # rules.HoldingStatus
    moved_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ExchangeRate(TenantOwned, Base):
    """How many CNY one unit of ``currency`` was worth on ``as_of``, as the branch's feed supplied it."""

    __tablename__ = "exchange_rates"
    __table_args__ = tenant_table_args(
        UniqueConstraint("tenant_id", "currency", "as_of"),
        CheckConstraint("rate > 0", name="positive"),
    )

    as_of: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    recorded_at: Mapped[datetime]
