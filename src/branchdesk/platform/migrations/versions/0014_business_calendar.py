"""business calendar: head-office holidays and make-up working days, branch closures

Seeds the mainland (``CN``) arrangement for 2026 as published by the General Office of the State
Council on 2025-11-04 (国务院办公厅关于2026年部分节假日安排的通知, as carried by Xinhua and
politics.gmw.cn/2025-11/04/content_38391083.htm). 2027 is not seeded: its notice was not available when this was written; head office loads it
with ``branchdesk calendar load FILE.csv`` or the ``setHoliday`` mutation once it is published.

Revision ID: 0014
Revises: 0007
"""

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0014"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (first day, last day, name zh, name en); then the make-up working days (调休上班).
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03", "元旦", "New Year's Day"),
    ("2026-02-15", "2026-02-23", "春节", "Spring Festival"),
    ("2026-04-04", "2026-04-06", "清明节", "Qingming Festival"),
    ("2026-05-01", "2026-05-05", "劳动节", "Labour Day"),
    ("2026-06-19", "2026-06-21", "端午节", "Dragon Boat Festival"),
    ("2026-09-25", "2026-09-27", "中秋节", "Mid-Autumn Festival"),
    ("2026-10-01", "2026-10-07", "国庆节", "National Day"),
]
MAKE_UP_2026 = [
    ("2026-01-04", "元旦调休上班", "New Year's Day make-up working day"),
    ("2026-02-14", "春节调休上班", "Spring Festival make-up working day"),
    ("2026-02-28", "春节调休上班", "Spring Festival make-up working day"),
    ("2026-05-09", "劳动节调休上班", "Labour Day make-up working day"),
    ("2026-09-20", "国庆节调休上班", "National Day make-up working day"),
    ("2026-10-10", "国庆节调休上班", "National Day make-up working day"),
]


def _seed_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for first, last, zh, en in HOLIDAYS_2026:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            rows.append({"day": day, "kind": "holiday", "name_zh": zh, "name_en": en})
            day += timedelta(days=1)
    rows += [
        {"day": date.fromisoformat(d), "kind": "workday", "name_zh": zh, "name_en": en} for d, zh, en in MAKE_UP_2026
    ]
    return [{"id": uuid.uuid4(), "region": "CN", **row} for row in rows]


def upgrade() -> None:
    calendar_days = op.create_table(
        "calendar_days",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("holiday", "workday", name="calendar_day_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("region", "day", name=op.f("uq_calendar_days_region_day")),
    )
    op.create_table(
        "branch_closures",
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_branch_closures_ends_after_start")),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_branch_closures_created_by_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_branch_closures")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_branch_closures_tenant_id_starts_on", "branch_closures", ["tenant_id", "starts_on"], unique=False
    )
    enable_tenant_rls("branch_closures")
    op.bulk_insert(calendar_days, _seed_rows())


def downgrade() -> None:
    disable_tenant_rls("branch_closures")
    op.drop_index("ix_branch_closures_tenant_id_starts_on", table_name="branch_closures")
    op.drop_table("branch_closures")
    op.drop_table("calendar_days")
