"""crm and care: a client's lunar birthday (农历生日); a birthday care plan greets on the solar or the lunar one

``clients`` gains the lunar birthday as the client keeps it, without a year: month 1-12, day 1-30 and
whether it is in a leap month (闰月), all three or none; ``lunar_birthday_md`` (persisted, indexed) is
``platform.lunar.LunarBirthday.key``, on which the planner joins the lunar dates of its window.
``care_plans.birthday_calendar`` says which birthday a birthday plan uses ('solar' for every plan so far).
``clients`` already has row-level security; new columns need nothing more.

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LUNAR_KEY = "(CASE WHEN lunar_birth_leap THEN 5000 ELSE 0 END + lunar_birth_month * 100 + lunar_birth_day)::smallint"


def upgrade() -> None:
    op.add_column("clients", sa.Column("lunar_birth_month", sa.SmallInteger(), nullable=True))
    op.add_column("clients", sa.Column("lunar_birth_day", sa.SmallInteger(), nullable=True))
    op.add_column("clients", sa.Column("lunar_birth_leap", sa.Boolean(), nullable=True, comment="born in a leap month (闰月)"))
    op.add_column("clients", sa.Column("lunar_birthday_md", sa.SmallInteger(), sa.Computed(LUNAR_KEY, persisted=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_clients_lunar_birthday_whole"),
        "clients",
        "(lunar_birth_month IS NULL) = (lunar_birth_day IS NULL) "
        "AND (lunar_birth_month IS NULL) = (lunar_birth_leap IS NULL) "
        "AND lunar_birth_month BETWEEN 1 AND 12 AND lunar_birth_day BETWEEN 1 AND 30",
    )
    op.create_index("ix_clients_tenant_id_lunar_birthday_md", "clients", ["tenant_id", "lunar_birthday_md"], unique=False)
    op.add_column(
        "care_plans",
        sa.Column(
            "birthday_calendar",
            sa.String(length=10),
            server_default="solar",
            nullable=False,
            comment="birthday: the solar or the lunar birthday (rules.BirthdayCalendar)",
        ),
    )
    op.create_check_constraint(
        op.f("ck_care_plans_lunar_only_for_birthdays"), "care_plans", "trigger = 'birthday' OR birthday_calendar = 'solar'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_care_plans_lunar_only_for_birthdays"), "care_plans", type_="check")
    op.drop_column("care_plans", "birthday_calendar")
    op.drop_index("ix_clients_tenant_id_lunar_birthday_md", table_name="clients")
    op.drop_constraint(op.f("ck_clients_lunar_birthday_whole"), "clients", type_="check")
    op.drop_column("clients", "lunar_birthday_md")
    op.drop_column("clients", "lunar_birth_leap")
    op.drop_column("clients", "lunar_birth_day")
    op.drop_column("clients", "lunar_birth_month")
