"""external deal ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:47:53.262651
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_deals_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deals_external_id"), type_="unique")
        batch_op.drop_column("external_id")
