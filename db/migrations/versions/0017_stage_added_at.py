"""stage added at: when an open stage was added to a pipeline that already existed

The funnel marks such a stage: the deals created before it was added could not enter it, yet count as
having passed it when they reached a later stage. Stages that came with their pipeline have none.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 01:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("added_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.drop_column("added_at")
