"""rollup changes: each deal's changes of the open pipeline per day, in their bucket of the pipeline
changes

What moved between two days is the sum of these rows over the period, not a replay of every deal
that changed in it. Created empty; db/migrate.py fills it (db/rollups build.rebuild), as the stored
rollup version is not the code's.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 18:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollup_changes",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=20), nullable=False),
        sa.Column("stage_before", sa.Integer(), nullable=False),
        sa.Column("stage_after", sa.Integer(), nullable=False),
        sa.Column("owner_before", sa.Integer(), nullable=False),
        sa.Column("owner_after", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain",
            "first_day",
            "pipeline_id",
            "bucket",
            "stage_before",
            "stage_after",
            "owner_before",
            "owner_after",
            "deal_id",
            name=op.f("pk_rollup_changes"),
        ),
        sqlite_with_rowid=False,
    )
    op.execute(sa.text("DELETE FROM rollup_state"))


def downgrade() -> None:
    op.drop_table("rollup_changes")
