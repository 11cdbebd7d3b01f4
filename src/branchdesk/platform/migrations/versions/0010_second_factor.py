"""second factor: TOTP secrets (sealed), recovery codes, sign-in challenges, the roles that need one

Platform tables, like staff and refresh tokens: a staff member signs in once for every branch.

Revision ID: 0010
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('second_factors',
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('sealed_secret', sa.LargeBinary(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_second_factors_staff_id_staff')),
    sa.PrimaryKeyConstraint('staff_id', name=op.f('pk_second_factors'))
    )
    op.create_table('recovery_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('lookup', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_recovery_codes_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('staff_id', 'lookup', name=op.f('uq_recovery_codes_staff_id_lookup'))
    )
    op.create_index(op.f('ix_recovery_codes_staff_id'), 'recovery_codes', ['staff_id'], unique=False)
    op.create_table('sign_in_challenges',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_sign_in_challenges_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_challenges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_challenges_token_hash'))
    )
    op.create_index(op.f('ix_sign_in_challenges_staff_id'), 'sign_in_challenges', ['staff_id'], unique=False)
    op.create_table('second_factor_policy_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('roles', sa.ARRAY(sa.String(length=50)), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor_policy_changes'))
    )
    op.create_index('ix_second_factor_policy_changes_changed_at', 'second_factor_policy_changes', ['changed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_second_factor_policy_changes_changed_at', table_name='second_factor_policy_changes')
    op.drop_table('second_factor_policy_changes')
    op.drop_index(op.f('ix_sign_in_challenges_staff_id'), table_name='sign_in_challenges')
    op.drop_table('sign_in_challenges')
    op.drop_index(op.f('ix_recovery_codes_staff_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_table('second_factors')
