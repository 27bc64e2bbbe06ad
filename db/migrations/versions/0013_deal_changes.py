"""deal history: every change of a deal's fields in deal_changes

One row per field a write changes (db/history.py). Each deal that exists at the upgrade gets one
"baseline" row dated at the upgrade: its history is known from then on, and what it held before is its
value then (the old value of its first later change, or its current value). Its stage history before
the upgrade is in stage_transitions.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 12:00:00
"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OPERATIONS = ["edit", "move", "close", "reopen", "reassign", "import", "stage_deletion", "bulk", "api", "baseline"]
BASELINE_FIELD = "history"  # db.history.BASELINE_FIELD

deals = sa.table("deals", sa.column("id", sa.Integer()))
deal_changes = sa.table(
    "deal_changes",
    sa.column("deal_id", sa.Integer()),
    sa.column("field", sa.String()),
    sa.column("at", sa.DateTime()),
    sa.column("operation", sa.String()),
)


def upgrade() -> None:
    op.create_table(
        "deal_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "operation",
            sa.Enum(*OPERATIONS, name="change_operation", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_deal_changes_by_user_id_users")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_changes_deal_id_deals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_changes")),
    )
    with op.batch_alter_table("deal_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_changes_at_field_deal_id"), ["at", "field", "deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deal_changes_deal_id_at"), ["deal_id", "at"], unique=False)
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC (db.types.UTCDateTime)
    baseline = sa.select(
        deals.c.id, sa.literal(BASELINE_FIELD), sa.literal(now, sa.DateTime()), sa.literal("baseline")
    )
    op.execute(deal_changes.insert().from_select(["deal_id", "field", "at", "operation"], baseline))


def downgrade() -> None:
    with op.batch_alter_table("deal_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_changes_deal_id_at"))
        batch_op.drop_index(batch_op.f("ix_deal_changes_at_field_deal_id"))
    op.drop_table("deal_changes")
