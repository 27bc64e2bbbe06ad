"""stage editor

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:35:13.058862
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_pipeline_changes_by_user_id_users")),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipelines.id"], name=op.f("fk_pipeline_changes_pipeline_id_pipelines")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_changes")),
    )
    with op.batch_alter_table("pipeline_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pipeline_changes_pipeline_id_at"), ["pipeline_id", "at"], unique=False)

    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stages", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("pipelines", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("pipeline_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_changes_pipeline_id_at"))

    op.drop_table("pipeline_changes")
