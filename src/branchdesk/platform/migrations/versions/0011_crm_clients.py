"""crm: clients, their co-owners and assignment history; data scope on policy grants

Grants of a data-scoped permission (client:read, client:write, client:assign) carry a scope: own,
team or branch. Databases seeded before this revision get the scopes the shipped baseline declares;
tellers and lobby managers lose client:read from the baseline (they read routing cards,
client.card:read, which reaches them as a new permission at start-up), and customer managers gain
client.pii:read for the clients in their scope, branch heads client:write across the branch. Each baseline change is recorded, so point-in-time
reconstruction sees it.

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from branchdesk.platform.migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = ("clients", "client_co_owners", "client_assignments")


def upgrade() -> None:
    op.add_column('baseline_grants', sa.Column('data_scope', sa.String(length=10), nullable=True, comment='own, team or branch: how far a grant of a data-scoped permission reaches'))
    op.add_column('policy_overrides', sa.Column('data_scope', sa.String(length=10), nullable=True, comment='own, team or branch: the scope the branch grants a data-scoped permission with'))
    op.create_table('clients',
    sa.Column('client_number', sa.String(length=40), nullable=False, comment='The core-banking client number (客户号)'),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id_type', sa.String(length=30), nullable=True),
    sa.Column('id_number_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('id_number_hash', sa.LargeBinary(), nullable=True),
    sa.Column('phone_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('phone_hash', sa.LargeBinary(), nullable=True),
    sa.Column('address_sealed', sa.LargeBinary(), nullable=True),
    sa.Column('pii_key_id', sa.String(length=255), nullable=True),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.Column('birthday_md', sa.SmallInteger(), sa.Computed('(extract(month from birthday) * 100 + extract(day from birthday))::smallint', persisted=True), nullable=True),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('occupation', sa.String(length=100), nullable=True),
    sa.Column('risk_grade', sa.String(length=2), nullable=True),
    sa.Column('risk_assessed_on', sa.Date(), nullable=True),
    sa.Column('kyc_status', sa.String(length=20), nullable=False),
    sa.Column('kyc_expires_on', sa.Date(), nullable=True),
    sa.Column('consents', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('do_not_contact', sa.Boolean(), nullable=False),
    sa.Column('preferred_language', sa.String(length=10), nullable=False),
    sa.Column('lifecycle', sa.String(length=20), nullable=False),
    sa.Column('tags', postgresql.ARRAY(sa.String(length=40)), nullable=False),
    sa.Column('notes', sa.String(length=2000), nullable=True),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_clients_owner_id_staff')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_clients')),
    sa.UniqueConstraint('tenant_id', 'client_number', name=op.f('uq_clients_tenant_id_client_number')),
    info={'tenant_owned': True}
    )
    op.create_index('ix_clients_tags', 'clients', ['tags'], unique=False, postgresql_using='gin')
    op.create_index('ix_clients_tenant_id_birthday_md', 'clients', ['tenant_id', 'birthday_md'], unique=False)
    op.create_index('ix_clients_tenant_id_created_at_id', 'clients', ['tenant_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_clients_tenant_id_id_number_hash', 'clients', ['tenant_id', 'id_number_hash'], unique=False)
    op.create_index('ix_clients_tenant_id_kyc_expires_on', 'clients', ['tenant_id', 'kyc_expires_on'], unique=False)
    op.create_index('ix_clients_tenant_id_lifecycle_name_id', 'clients', ['tenant_id', 'lifecycle', 'name', 'id'], unique=False)
    op.create_index('ix_clients_tenant_id_name_id', 'clients', ['tenant_id', 'name', 'id'], unique=False)
    op.create_index('ix_clients_tenant_id_name_prefix', 'clients', ['tenant_id', 'name'], unique=False, postgresql_ops={'name': 'text_pattern_ops'})
    op.create_index('ix_clients_tenant_id_owner_id_name_id', 'clients', ['tenant_id', 'owner_id', 'name', 'id'], unique=False)
    op.create_index('ix_clients_tenant_id_phone_hash', 'clients', ['tenant_id', 'phone_hash'], unique=False)
    op.create_table('client_assignments',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('from_owner_id', sa.Uuid(), nullable=True),
    sa.Column('to_owner_id', sa.Uuid(), nullable=False),
    sa.Column('co_owner_ids', postgresql.ARRAY(sa.Uuid()), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['from_owner_id'], ['staff.id'], name=op.f('fk_client_assignments_from_owner_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name=op.f('fk_client_assignments_tenant_id_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_owner_id'], ['staff.id'], name=op.f('fk_client_assignments_to_owner_id_staff')),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_client_assignments')),
    info={'tenant_owned': True}
    )
    op.create_index('ix_client_assignments_tenant_id_client_id_assigned_at', 'client_assignments', ['tenant_id', 'client_id', 'assigned_at'], unique=False)
    op.create_table('client_co_owners',
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('staff_id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_client_co_owners_staff_id_staff')),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name=op.f('fk_client_co_owners_tenant_id_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id', name=op.f('pk_client_co_owners')),
    sa.UniqueConstraint('tenant_id', 'client_id', 'staff_id', name=op.f('uq_client_co_owners_tenant_id_client_id_staff_id')),
    info={'tenant_owned': True}
    )
    op.create_index('ix_client_co_owners_tenant_id_staff_id_client_id', 'client_co_owners', ['tenant_id', 'staff_id', 'client_id'], unique=False)
    for table in TENANT_TABLES:
        enable_tenant_rls(table)

    # A database seeded before data scopes: the shipped baseline's scopes, and its changes of who holds what.
    op.execute(
        """
        UPDATE baseline_grants SET data_scope =
          CASE WHEN role IN ('branch_head', 'risk_officer') THEN 'branch' ELSE 'own' END
        WHERE permission IN ('client:read', 'client:write', 'client:assign') AND data_scope IS NULL
        """
    )
    op.execute(
        """
        WITH removed AS (
          DELETE FROM baseline_grants
          WHERE permission = 'client:read' AND role IN ('teller', 'lobby_manager')
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0011', NULL, role, permission, false FROM removed
        """
    )
    op.execute(
        """
        WITH added AS (
          INSERT INTO baseline_grants (role, permission, data_scope)
          SELECT role, permission, scope
          FROM (VALUES ('customer_manager', 'client.pii:read', NULL), ('branch_head', 'client:write', 'branch'))
            AS shipped (role, permission, scope)
          WHERE EXISTS (SELECT 1 FROM baseline_grants)
          ON CONFLICT DO NOTHING
          RETURNING role, permission
        )
        INSERT INTO baseline_changes (id, changed_at, actor_label, actor_id, role, permission, granted)
        SELECT gen_random_uuid(), now(), 'migration 0011', NULL, role, permission, true FROM added
        """
    )


def downgrade() -> None:
    """The tables go; the baseline's grants stay as they are (head office's call)."""
    for table in TENANT_TABLES:
        disable_tenant_rls(table)
    op.drop_index('ix_client_co_owners_tenant_id_staff_id_client_id', table_name='client_co_owners')
    op.drop_table('client_co_owners')
    op.drop_index('ix_client_assignments_tenant_id_client_id_assigned_at', table_name='client_assignments')
    op.drop_table('client_assignments')
    for index in (
        'ix_clients_tenant_id_phone_hash', 'ix_clients_tenant_id_owner_id_name_id', 'ix_clients_tenant_id_name_prefix',
        'ix_clients_tenant_id_name_id', 'ix_clients_tenant_id_lifecycle_name_id', 'ix_clients_tenant_id_kyc_expires_on',
        'ix_clients_tenant_id_id_number_hash', 'ix_clients_tenant_id_created_at_id', 'ix_clients_tenant_id_birthday_md',
        'ix_clients_tags',
    ):
        op.drop_index(index, table_name='clients')
    op.drop_table('clients')
    op.drop_column('policy_overrides', 'data_scope')
    op.drop_column('baseline_grants', 'data_scope')
