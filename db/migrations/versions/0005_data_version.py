"""data version

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:09:36.472037
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("data_version")
