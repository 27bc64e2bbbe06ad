"""change marker: the data version spread over 64 counter rows, so writers do not queue on one row

A change bumps one row chosen at random in its own transaction; the marker is the sum of the rows.
Row 1 keeps the version it holds, so the marker an open page last saw stays valid across the upgrade.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SLOTS = 64

data_version = sa.table("data_version", sa.column("id", sa.Integer()), sa.column("version", sa.BigInteger()))


def upgrade() -> None:
    op.bulk_insert(data_version, [{"id": slot, "version": 0} for slot in range(2, SLOTS + 1)])


def downgrade() -> None:
    total = sa.select(sa.func.coalesce(sa.func.sum(data_version.c.version), 0)).scalar_subquery()
    op.execute(data_version.update().where(data_version.c.id == 1).values(version=total))
    op.execute(data_version.delete().where(data_version.c.id != 1))
