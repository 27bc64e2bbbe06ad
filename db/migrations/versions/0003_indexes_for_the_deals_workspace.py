"""indexes for the deals workspace

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:24:00.629047
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_deal_id"))
        batch_op.drop_index(batch_op.f("ix_activities_owner_id_done_at"))
        batch_op.create_index(
            batch_op.f("ix_activities_deal_id_done_at_due_at"), ["deal_id", "done_at", "due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activities_owner_id_done_at_due_at"), ["owner_id", "done_at", "due_at"], unique=False
        )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deals_owner_id_pipeline_id_created_at"),
            ["owner_id", "pipeline_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_owner_id_pipeline_id_created_at"))

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_owner_id_done_at_due_at"))
        batch_op.drop_index(batch_op.f("ix_activities_deal_id_done_at_due_at"))
        batch_op.create_index(batch_op.f("ix_activities_owner_id_done_at"), ["owner_id", "done_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_activities_deal_id"), ["deal_id"], unique=False)
