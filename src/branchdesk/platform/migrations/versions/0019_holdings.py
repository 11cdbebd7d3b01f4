"""holdings: the head-office product catalogue, clients' holdings and the feed's exchange rates

``products`` is platform-wide (like ``calendar_days``); ``holdings`` and ``exchange_rates`` are
tenant-owned, with row-level security. ``clients.aum_cny`` and friends (0018) are filled by the feed.
The new permissions (``product:read``, ``product:manage``, ``holding:feed``) are not data-scoped: the
stored baseline receives them at the next start (``rbac.service.sync_baseline``).

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "deposit",
                "time_deposit",
                "wealth_management",
                "fund",
                "insurance",
                "loan",
                "card",
                "other",
                name="product_category",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("risk_grade", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="CNY", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
    )
    op.create_index("ix_products_category_code", "products", ["category", "code"], unique=False)
    op.create_table(
        "holdings",
        sa.Column(
            "reference", sa.String(length=60), nullable=False, comment="The core-banking account or contract number"
        ),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("balance", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.Column("matures_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('active', 'matured', 'closed')", name=op.f("ck_holdings_known_status")),
        sa.CheckConstraint(
            "matures_on IS NULL OR opened_on IS NULL OR matures_on >= opened_on", name=op.f("ck_holdings_matures_after")
        ),
        sa.ForeignKeyConstraint(["product_code"], ["products.code"], name=op.f("fk_holdings_product_code_products")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_holdings_tenant_id_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_holdings")),
        sa.UniqueConstraint("tenant_id", "reference", name=op.f("uq_holdings_tenant_id_reference")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_holdings_tenant_id_client_id", "holdings", ["tenant_id", "client_id"], unique=False)
    op.create_index(
        "ix_holdings_tenant_id_matures_on",
        "holdings",
        ["tenant_id", "matures_on"],
        unique=False,
        postgresql_where="status = 'active'",
    )
    enable_tenant_rls("holdings")
    op.create_table(
        "exchange_rates",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rates_positive")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint("tenant_id", "currency", "as_of", name=op.f("uq_exchange_rates_tenant_id_currency_as_of")),
        info={"tenant_owned": True},
    )
    enable_tenant_rls("exchange_rates")


def downgrade() -> None:
    disable_tenant_rls("exchange_rates")
    op.drop_table("exchange_rates")
    disable_tenant_rls("holdings")
    op.drop_index("ix_holdings_tenant_id_matures_on", table_name="holdings", postgresql_where="status = 'active'")
    op.drop_index("ix_holdings_tenant_id_client_id", table_name="holdings")
    op.drop_table("holdings")
    op.drop_index("ix_products_category_code", table_name="products")
    op.drop_table("products")
