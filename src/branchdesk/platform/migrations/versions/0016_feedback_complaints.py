"""feedback: client feedback and complaints, their workflow history and escalations; head office's
feedback categories and complaint SLA table (seeded); the feedback permissions in the baseline

Databases seeded before this revision get the new permissions for the roles the shipped baseline
names (recorded as baseline changes, like 0005); a new database gets them from the baseline sync.

Revision ID: 0016
Revises: 0017
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0016"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("feedback", "complaint_transitions", "complaint_escalations")
CATEGORIES = [
    ("service_attitude", "服务态度", "Service attitude"),
    ("waiting_time", "排队等候", "Waiting time"),
    ("fees_and_charges", "收费问题", "Fees and charges"),
    ("product_sales", "产品销售与适当性", "Product sales and suitability"),
    ("wealth_management", "理财与基金", "Wealth management and funds"),
    ("cards_and_payments", "银行卡与支付", "Cards and payments"),
    ("loans", "贷款业务", "Loans"),
    ("account_services", "账户服务", "Account services"),
    ("digital_channels", "手机银行与网银", "Mobile and online banking"),
    ("facilities", "网点环境与设施", "Branch premises and facilities"),
    ("privacy", "个人信息保护", "Personal data protection"),
    ("other", "其他", "Other"),
]
# Defaults for every category (*): business hours to acknowledge, business days to resolve.
DEFAULT_SLAS = [("low", 16, 15), ("medium", 8, 10), ("high", 4, 5), ("critical", 2, 2)]
# Categories that regulators watch closely answer faster.
CATEGORY_SLAS = [
    ("product_sales", "high", 2, 3),
    ("product_sales", "critical", 1, 1),
    ("privacy", "high", 2, 3),
    ("privacy", "critical", 1, 1),
]
PERMISSIONS = [
    ("feedback:submit", ("branch_head", "customer_manager", "lobby_manager", "teller")),
    ("feedback:read", ("branch_head", "customer_manager", "lobby_manager", "risk_officer", "compliance_officer")),
    ("complaint:handle", ("branch_head", "customer_manager", "lobby_manager")),
    ("complaint:manage_sla", ("head_office_admin",)),
]


def upgrade() -> None:
    categories = op.create_table(
        "feedback_categories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_categories_code")),
    )
    slas = op.create_table(
        "complaint_slas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("acknowledge_hours", sa.SmallInteger(), nullable=False, comment="business hours to acknowledge"),
        sa.Column("resolve_days", sa.SmallInteger(), nullable=False, comment="business days to resolve"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("acknowledge_hours > 0 AND resolve_days > 0", name=op.f("ck_complaint_slas_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_slas")),
        sa.UniqueConstraint("category_code", "severity", name=op.f("uq_complaint_slas_category_code_severity")),
    )
    op.create_table(
        "feedback",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("details", sa.String(length=4000), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("resolution", sa.String(length=2000), nullable=True, comment="What the client was told"),
        sa.Column("acknowledge_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'complaint') = (state IS NOT NULL)", name=op.f("ck_feedback_complaints_have_a_state")
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff.id"], name=op.f("fk_feedback_assignee_id_staff")),
        sa.ForeignKeyConstraint(
            ["category_id"], ["feedback_categories.id"], name=op.f("fk_feedback_category_id_feedback_categories")
        ),
        sa.ForeignKeyConstraint(["submitted_by"], ["staff.id"], name=op.f("fk_feedback_submitted_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_feedback_tenant_id_client_id_clients"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_feedback")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_feedback_tenant_id_received_at_id", "feedback", ["tenant_id", "received_at", "id"])
    op.create_index("ix_feedback_tenant_id_client_id", "feedback", ["tenant_id", "client_id"])
    op.create_index("ix_feedback_tenant_id_assignee_id", "feedback", ["tenant_id", "assignee_id"])
    op.create_index(
        "ix_feedback_ack_due",
        "feedback",
        ["tenant_id", "acknowledge_due_at"],
        postgresql_where=sa.text("state = 'received'"),
    )
    op.create_index(
        "ix_feedback_resolve_due",
        "feedback",
        ["tenant_id", "resolve_due_at"],
        postgresql_where=sa.text("state IN ('received', 'acknowledged', 'investigating')"),
    )
    op.create_table(
        "complaint_transitions",
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "feedback_id"],
            ["feedback.tenant_id", "feedback.id"],
            name=op.f("fk_complaint_transitions_tenant_id_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_complaint_transitions")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_complaint_transitions_tenant_id_feedback_id_at", "complaint_transitions", ["tenant_id", "feedback_id", "at"]
    )
    op.create_table(
        "complaint_escalations",
        sa.Column("feedback_id", sa.Uuid(), nullable=False),
        sa.Column("breach", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "feedback_id"],
            ["feedback.tenant_id", "feedback.id"],
            name=op.f("fk_complaint_escalations_tenant_id_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_complaint_escalations")),
        sa.UniqueConstraint(
            "tenant_id", "feedback_id", "breach", name=op.f("uq_complaint_escalations_tenant_id_feedback_id_breach")
        ),
        info={"tenant_owned": True},
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    op.bulk_insert(
        categories,
        [{"id": uuid.uuid4(), "code": c, "name_zh": zh, "name_en": en, "active": True} for c, zh, en in CATEGORIES],
    )
    op.bulk_insert(
        slas,
        [
            {"id": uuid.uuid4(), "category_code": code, "severity": s, "acknowledge_hours": h, "resolve_days": d}
            for code, s, h, d in [("*", *row) for row in DEFAULT_SLAS] + CATEGORY_SLAS
        ],
    )
    shipped = ", ".join(f"('{role}', '{permission}')" for permission, roles in PERMISSIONS for role in roles)
    op.execute(
        f"""
        WITH added AS (
          INSERT INTO baseline_grants (role, permission)
          SELECT role, permission FROM (VALUES {shipped}) AS shipped (role, permission)
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0016', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The tables go; the baseline's grants stay as they are (head office's call)."""
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_table("complaint_escalations")
    op.drop_index("ix_complaint_transitions_tenant_id_feedback_id_at", table_name="complaint_transitions")
    op.drop_table("complaint_transitions")
    for index in (
        "ix_feedback_resolve_due",
        "ix_feedback_ack_due",
        "ix_feedback_tenant_id_assignee_id",
        "ix_feedback_tenant_id_client_id",
        "ix_feedback_tenant_id_received_at_id",
    ):
        op.drop_index(index, table_name="feedback")
    op.drop_table("feedback")
    op.drop_table("complaint_slas")
    op.drop_table("feedback_categories")

