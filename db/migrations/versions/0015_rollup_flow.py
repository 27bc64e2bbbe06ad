"""rollup flow: what each day's changes added to the open pipeline, per stage and owner of the time; a
deal's changes of one field in order

The pipeline on a past day is the sum of the flow up to it: a few hundred rows instead of replaying
every deal's history. Created empty; db/migrate.py fills it (db/rollups build.rebuild), as the stored
rollup version is not the code's.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None



def upgrade() -> None:
    op.create_table(
        "rollup_flow",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("grain", "first_day", "pipeline_id", "stage_id", "owner_id", name=op.f("pk_rollup_flow")),
        sqlite_with_rowid=False,
    )
    # A deal's value of a field at a moment: its first change of the field after it.
    op.create_index(op.f("ix_deal_changes_deal_id_field_at"), "deal_changes", ["deal_id", "field", "at"])
    op.execute(sa.text("DELETE FROM rollup_state"))


def downgrade() -> None:
    op.drop_index(op.f("ix_deal_changes_deal_id_field_at"), table_name="deal_changes")
    op.drop_table("rollup_flow")
