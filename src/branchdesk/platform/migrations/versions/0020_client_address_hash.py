"""crm: a keyed hash of each client's address, so that an import tells an unchanged address from a new one

Sealed values differ at every sealing (a fresh nonce), so an import compares personal data by its keyed
hashes: the ID number and the phone had one already (for search), the address gets one here. Clients
recorded before it have none until their address is written again.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("address_hash", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("clients", "address_hash")
