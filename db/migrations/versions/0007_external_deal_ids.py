"""external deal ids; the activities index covers the kind; transitions know when their stay began

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
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_entered_at", sa.DateTime(), nullable=True))
    # Each move's stay started at the deal's previous transition (in the order of time, then id).
    op.execute(
        "UPDATE stage_transitions SET from_entered_at = (SELECT p.at FROM stage_transitions p"
        " WHERE p.deal_id = stage_transitions.deal_id AND (p.at < stage_transitions.at"
        " OR (p.at = stage_transitions.at AND p.id < stage_transitions.id)) ORDER BY p.at DESC, p.id DESC LIMIT 1)"
        " WHERE from_stage_id IS NOT NULL"
    )
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stage_transitions_at_from_stage_id_from_entered_at_deal_id"),
            ["at", "from_stage_id", "from_entered_at", "deal_id"],
            unique=False,
        )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_owner_id_done_at_due_at"))
        batch_op.create_index(
            batch_op.f("ix_activities_owner_id_done_at_due_at_kind"), ["owner_id", "done_at", "due_at", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_transitions_at_from_stage_id_from_entered_at_deal_id"))
        batch_op.drop_column("from_entered_at")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_owner_id_done_at_due_at_kind"))
        batch_op.create_index(
            batch_op.f("ix_activities_owner_id_done_at_due_at"), ["owner_id", "done_at", "due_at"], unique=False
        )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deals_external_id"), type_="unique")
        batch_op.drop_column("external_id")
