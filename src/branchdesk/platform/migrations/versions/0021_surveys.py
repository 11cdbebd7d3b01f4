"""surveys: questionnaires and their questions, clients' responses and answers, and the invitations a
resolved complaint sends; the survey permissions in the baseline

Five tenant-owned tables, with row-level security, and an index of each manager's clients by stage
and name (the client list filtered by owner and stage, first page, reads it in order). Databases seeded before this revision get the new
permissions for the roles the shipped baseline names (recorded as baseline changes, like 0016).

Revision ID: 0021
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0021"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("surveys", "survey_questions", "survey_invitations", "survey_responses", "survey_answers")
PERMISSIONS = [
    ("survey:define", ("branch_head", "head_office_admin")),
    ("survey:publish", ("head_office_admin",)),
    ("survey:respond", ("branch_head", "customer_manager", "lobby_manager", "teller")),
    ("survey:read", ("branch_head", "customer_manager", "lobby_manager", "compliance_officer", "head_office_admin")),
    ("survey.results:read_all", ("head_office_admin",)),
]


def _tenant_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column("tenant_id", sa.Uuid(), nullable=False), sa.Column("id", sa.Uuid(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], name=op.f("fk_surveys_created_by_staff")),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("tenant_id", "source_id", name=op.f("uq_surveys_tenant_id_source_id")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_surveys_tenant_id_created_at_id", "surveys", ["tenant_id", "created_at", "id"])
    op.create_index("ix_surveys_tenant_id_title_zh_id", "surveys", ["tenant_id", "title_zh", "id"])
    op.create_table(
        "survey_questions",
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("prompt_zh", sa.String(length=500), nullable=False),
        sa.Column("prompt_en", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("options_zh", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("options_en", postgresql.ARRAY(sa.String(length=200)), nullable=False),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "survey_id"],
            ["surveys.tenant_id", "surveys.id"],
            name=op.f("fk_survey_questions_tenant_id_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_survey_questions")),
        sa.UniqueConstraint(
            "tenant_id", "survey_id", "position", name=op.f("uq_survey_questions_tenant_id_survey_id_position")
        ),
        info={"tenant_owned": True},
    )
    op.create_table(
        "survey_invitations",
        sa.Column("survey_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("rated_staff_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        *_tenant_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["rated_staff_id"], ["staff.id"], name=op.f("fk_survey_invitations_rated_staff_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_survey_invitations_tenant_id_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "survey_id"],
            ["surveys.tenant_id", "surveys.id"],
            name=op.f("fk_survey_invitations_tenant_id_survey_id_surveys"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint(
            "tenant_id", "subject_type", "subject_id", name=op.f("uq_survey_invitations_tenant_id_subject_type_subject_id")
        ),
        sa.UniqueConstraint("tenant_id", "token_hash", name=op.f("uq_survey_invitations_tenant_id_token_hash")),
        info={"tenant_owned": True},
    )
    op.create_table(
        "survey_responses",
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("invitation_id", sa.Uuid(), nullable=True),
        sa.Column("subject_type", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("rated_staff_id", sa.Uuid(), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_on", sa.Date(), nullable=False, comment="The branch's calendar day it was answered on"),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        *_tenant_columns(),
        sa.CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name=op.f("ck_survey_responses_subject_whole")),
        sa.ForeignKeyConstraint(["rated_staff_id"], ["staff.id"], name=op.f("fk_survey_responses_rated_staff_id_staff")),
        sa.ForeignKeyConstraint(["recorded_by"], ["staff.id"], name=op.f("fk_survey_responses_recorded_by_staff")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"],
            ["clients.tenant_id", "clients.id"],
            name=op.f("fk_survey_responses_tenant_id_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "invitation_id"],
            ["survey_invitations.tenant_id", "survey_invitations.id"],
            name=op.f("fk_survey_responses_tenant_id_invitation_id_survey_invitations"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "survey_id"],
            ["surveys.tenant_id", "surveys.id"],
            name=op.f("fk_survey_responses_tenant_id_survey_id_surveys"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "tenant_id", "invitation_id", name=op.f("uq_survey_responses_tenant_id_invitation_id")
        ),
        info={"tenant_owned": True},
    )
    op.create_index(
        "ix_survey_responses_tenant_id_survey_id_responded_on",
        "survey_responses",
        ["tenant_id", "survey_id", "responded_on"],
    )
    op.create_index(
        "ix_survey_responses_tenant_id_client_id_responded_at",
        "survey_responses",
        ["tenant_id", "client_id", "responded_at"],
    )
    op.create_index(
        "ix_survey_responses_tenant_id_responded_at_id", "survey_responses", ["tenant_id", "responded_at", "id"]
    )
    op.create_table(
        "survey_answers",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("survey_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=True),
        sa.Column("choices", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=True),
        *_tenant_columns(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "question_id"],
            ["survey_questions.tenant_id", "survey_questions.id"],
            name=op.f("fk_survey_answers_tenant_id_question_id_survey_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "response_id"],
            ["survey_responses.tenant_id", "survey_responses.id"],
            name=op.f("fk_survey_answers_tenant_id_response_id_survey_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_survey_answers")),
        info={"tenant_owned": True},
    )
    op.create_index("ix_survey_answers_tenant_id_response_id", "survey_answers", ["tenant_id", "response_id"])
    op.create_index("ix_survey_answers_tenant_id_survey_id_kind", "survey_answers", ["tenant_id", "survey_id", "kind"])
    for table in TENANT_TABLES:
        enable_tenant_rls(table)
    # A manager's book by stage, first page by name, without sorting the whole book (bench/crm.py)
    op.create_index(
        "ix_clients_tenant_id_owner_id_lifecycle_name_id",
        "clients",
        ["tenant_id", "owner_id", "lifecycle", "name", "id"],
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
        SELECT gen_random_uuid(), now(), 'migration 0021', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The tables go; the baseline's grants stay as they are (head office's call)."""
    op.drop_index("ix_clients_tenant_id_owner_id_lifecycle_name_id", table_name="clients")
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_table("survey_answers")
    op.drop_table("survey_responses")
    op.drop_table("survey_invitations")
    op.drop_table("survey_questions")
    op.drop_table("surveys")
