"""plan vs fact

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:16:15.628396
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.String(length=40), nullable=True),
        sa.Column("new_value", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_plan_changes_by_user_id_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_plan_changes_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_changes")),
    )
    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_changes_at"), ["at"], unique=False)

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closing_owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_deals_closed_at_status_closing_owner_id_amount"),
            ["closed_at", "status", "closing_owner_id", "amount"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_deals_owner_id_pipeline_id_created_at"))
        batch_op.create_index(
            batch_op.f("ix_deals_owner_id_pipeline_id_created_at_status"),
            ["owner_id", "pipeline_id", "created_at", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_deals_status_expected_close_date"), ["status", "expected_close_date"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_deals_closing_owner_id_users"), "users", ["closing_owner_id"], ["id"]
        )

    # Deals closed before this migration: their owner now is the best record of their owner at close.
    op.execute("UPDATE deals SET closing_owner_id = owner_id WHERE status <> 'open'")


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deals_closing_owner_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_deals_status_expected_close_date"))
        batch_op.drop_index(batch_op.f("ix_deals_owner_id_pipeline_id_created_at_status"))
        batch_op.create_index(
            batch_op.f("ix_deals_owner_id_pipeline_id_created_at"), ["owner_id", "pipeline_id", "created_at"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_deals_closed_at_status_closing_owner_id_amount"))
        batch_op.drop_column("closing_owner_id")

    with op.batch_alter_table("plan_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_changes_at"))

    op.drop_table("plan_changes")
