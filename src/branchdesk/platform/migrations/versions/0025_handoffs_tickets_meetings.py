"""handoffs, support tickets and incidents, branch meetings, comments

Head office's list of handoff types (platform-wide, seeded: referral, IT help, back office, risk review,
compliance check, client service, action item) with each type's SLA in business hours, an optional hard
limit after which it expires, and its default target role. Branch-owned, with row-level security:
``handoffs`` and their ``handoff_escalations`` (one per handoff), ``comments`` (on handoffs, clients and
tickets), ``support_tickets`` (sharing their handoff's id), ``incidents`` (one open per kind and branch)
with ``incident_updates`` and ``incident_participants``, ``meetings`` with ``meeting_attendees``.

Revision ID: 0025
Revises: 0023
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0025"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "comments",
    "incidents",
    "meetings",
    "handoffs",
    "incident_participants",
    "incident_updates",
    "meeting_attendees",
    "handoff_escalations",
    "support_tickets",
)
# code, zh, en, target role, SLA business hours, expires after business hours, route to client owner, referral
TYPES = [
    ("referral", "商机转介", "Referral", "customer_manager", 16, 80, True, True),
    ("it_help", "技术支持", "IT help", "it_support", 4, None, False, False),
    ("back_office", "后台运营支持", "Back-office request", "risk_officer", 8, None, False, False),
    ("risk_review", "风险审查", "Risk review", "risk_officer", 16, None, False, False),
    ("compliance_check", "合规检查", "Compliance check", "compliance_officer", 16, None, False, False),
    ("client_service", "客户服务协助", "Client service help", "lobby_manager", 2, 8, False, False),
    ("action_item", "会议待办", "Action item", "branch_head", 40, None, False, False),
]


def upgrade() -> None:
    types = op.create_table(
        "handoff_types",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("target_role", sa.String(length=50), nullable=False),
        sa.Column("sla_hours", sa.SmallInteger(), nullable=False, comment="business hours to finish"),
        sa.Column("expire_hours", sa.SmallInteger(), nullable=True, comment="business hours until it expires"),
        sa.Column("route_to_client_owner", sa.Boolean(), nullable=False),
        sa.Column("is_referral", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "sla_hours > 0 AND (expire_hours IS NULL OR expire_hours >= sla_hours)", name=op.f("ck_handoff_types_hours")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_types")),
        sa.UniqueConstraint("code", name=op.f("uq_handoff_types_code")),
    )
    op.create_table(
        "comments",
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("mentions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff.id"], name=op.f("fk_comments_author_id_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_comments")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_comments_tenant_id_subject",
        "comments",
        ["tenant_id", "subject_type", "subject_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "incidents",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("declared_by", sa.Uuid(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column(
            "review", sa.String(length=4000), nullable=True, comment="the closing review: cause, impact, lessons"
        ),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["closed_by"], ["staff.id"], name=op.f("fk_incidents_closed_by_staff")),
        sa.ForeignKeyConstraint(["declared_by"], ["staff.id"], name=op.f("fk_incidents_declared_by_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incidents")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_incidents_tenant_id_created_at_id", "incidents", ["tenant_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "uq_incidents_one_open_per_kind",
        "incidents",
        ["tenant_id", "kind"],
        unique=True,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_table(
        "meetings",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agenda", sa.String(length=4000), nullable=False),
        sa.Column("minutes", sa.String(length=8000), nullable=True),
        sa.Column("decisions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"], name=op.f("fk_meetings_recorded_by_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_meetings")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_meetings_tenant_id_held_at_id", "meetings", ["tenant_id", "held_at", "id"], unique=False)
    op.create_table(
        "handoffs",
        sa.Column("type_id", sa.Uuid(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("origin_type", sa.String(length=20), nullable=True),
        sa.Column("origin_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("raised_by", sa.Uuid(), nullable=True),
        sa.Column("target_role", sa.String(length=50), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("routed_by", sa.String(length=20), nullable=False, comment="how the assignee was chosen"),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=2000), nullable=True),
        sa.Column("converted", sa.Boolean(), nullable=True),
        sa.Column("product_code", sa.String(length=40), nullable=True),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("decline_reason", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(state = 'declined') = (decline_reason IS NOT NULL)", name=op.f("ck_handoffs_declined_with_reason")
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["staff.id"], name=op.f("fk_handoffs_assignee_id_staff")),
        sa.ForeignKeyConstraint(["raised_by"], ["staff.id"], name=op.f("fk_handoffs_raised_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_handoffs_tenant_id_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(["type_id"], ["handoff_types.id"], name=op.f("fk_handoffs_type_id_handoff_types")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_handoffs")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_handoffs_due",
        "handoffs",
        ["tenant_id", "due_at"],
        unique=False,
        postgresql_where="state IN ('submitted', 'accepted', 'in_progress')",
    )
    op.create_index(
        "ix_handoffs_expires",
        "handoffs",
        ["tenant_id", "expires_at"],
        unique=False,
        postgresql_where="state IN ('submitted', 'accepted', 'in_progress')",
    )
    op.create_index(
        "ix_handoffs_tenant_id_assignee_id_state", "handoffs", ["tenant_id", "assignee_id", "state"], unique=False
    )
    op.create_index("ix_handoffs_tenant_id_client_id", "handoffs", ["tenant_id", "client_id"], unique=False)
    op.create_index("ix_handoffs_tenant_id_created_at_id", "handoffs", ["tenant_id", "created_at", "id"], unique=False)
    op.create_index("ix_handoffs_tenant_id_origin", "handoffs", ["tenant_id", "origin_type", "origin_id"], unique=False)
    op.create_table(
        "incident_participants",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_incident_participants_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name=op.f("fk_incident_participants_tenant_id_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incident_participants")),
        sa.UniqueConstraint(
            "tenant_id", "incident_id", "staff_id", name=op.f("uq_incident_participants_tenant_id_incident_id_staff_id")
        ),
        info={"tenant_owned": True},
    )
    op.create_table(
        "incident_updates",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["staff.id"], name=op.f("fk_incident_updates_author_id_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "incident_id"],
            ["incidents.tenant_id", "incidents.id"],
            name=op.f("fk_incident_updates_tenant_id_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_incident_updates")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_incident_updates_tenant_id_incident_id_created_at",
        "incident_updates",
        ["tenant_id", "incident_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_meeting_attendees_staff_id_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "meeting_id"],
            ["meetings.tenant_id", "meetings.id"],
            name=op.f("fk_meeting_attendees_tenant_id_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_meeting_attendees")),
        sa.UniqueConstraint(
            "tenant_id", "meeting_id", "staff_id", name=op.f("uq_meeting_attendees_tenant_id_meeting_id_staff_id")
        ),
        info={"tenant_owned": True},
    )
    op.create_table(
        "handoff_escalations",
        sa.Column("handoff_id", sa.Uuid(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "handoff_id"],
            ["handoffs.tenant_id", "handoffs.id"],
            name=op.f("fk_handoff_escalations_tenant_id_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_handoff_escalations")),
        sa.UniqueConstraint("tenant_id", "handoff_id", name=op.f("uq_handoff_escalations_tenant_id_handoff_id")),
        info={"tenant_owned": True},
    )
    op.create_table(
        "support_tickets",
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "id"],
            ["handoffs.tenant_id", "handoffs.id"],
            name=op.f("fk_support_tickets_tenant_id_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_support_tickets")),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_support_tickets_tenant_id_created_at_id", "support_tickets", ["tenant_id", "created_at", "id"], unique=False
    )
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    op.bulk_insert(
        types,
        [
            {
                "id": uuid.uuid4(),
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "target_role": role,
                "sla_hours": sla,
                "expire_hours": expire,
                "route_to_client_owner": owner,
                "is_referral": referral,
                "active": True,
            }
            for code, zh, en, role, sla, expire, owner, referral in TYPES
        ],
    )


def downgrade() -> None:
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    for table in reversed(TENANT_TABLES):
        op.drop_table(table)
    op.drop_table("handoff_types")
