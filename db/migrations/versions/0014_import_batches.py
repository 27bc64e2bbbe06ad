"""import batches: every import and what a foreign one created, so that it can be undone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("new_users", sa.Integer(), nullable=False),
        sa.Column("new_companies", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by_user_id", sa.Integer(), nullable=True),
        sa.Column("undone_deals", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_import_batches_by_user_id_users")),
        sa.ForeignKeyConstraint(
            ["undone_by_user_id"], ["users.id"], name=op.f("fk_import_batches_undone_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_table(
        "import_batch_rows",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_import_batch_rows_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("batch_id", "kind", "row_id", name=op.f("pk_import_batch_rows")),
    )


def downgrade() -> None:
    op.drop_table("import_batch_rows")
    op.drop_table("import_batches")
