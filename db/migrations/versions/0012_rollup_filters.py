"""rollup filters: the funnel's rollups kept per source, region and segment; indexes for the dashboard's lists

The six rollups the funnel reads gain two first key columns (category, category_value): each deal
counts under "" and under each of its source, region and segment. They are created anew, empty;
db/migrate.py fills them (db/rollups build.rebuild), as the stored rollup version is not the code's.
The dashboard's lists read one owner's oldest overdue activities and longest-idle deals from the
start of an index range.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

NOT_DONE = sa.text("done_at IS NULL")
CATEGORY = ["category", "category_value"]
# Each table: its key columns after the category (and the time), and its summed columns.
TABLES = {
    "rollup_created": (True, ["pipeline_id", "owner_id", "status", "entered_stages"], ["deals", "amount"]),
    "rollup_closed": (True, ["pipeline_id", "owner_id", "closing_owner_id", "status"], ["deals", "amount"]),
    "rollup_lost": (True, ["pipeline_id", "owner_id", "stage_id", "lost_reason_id"], ["deals", "amount"]),
    "rollup_cycles": (True, ["pipeline_id", "owner_id", "closing_owner_id", "days"], ["deals", "seconds"]),
    "rollup_stays": (True, ["pipeline_id", "stage_id", "owner_id", "days"], ["stays", "seconds"]),
    "rollup_open": (False, ["pipeline_id", "stage_id", "owner_id"], ["deals", "amount", "entered_seconds"]),
}
BIG = {"entered_stages", "amount", "seconds", "entered_seconds"}


def _column(name: str) -> sa.Column:
    if name == "status":
        return sa.Column(name, sa.String(length=8), nullable=False)
    return sa.Column(name, sa.BigInteger() if name in BIG else sa.Integer(), nullable=False)


def _create(name: str, categorised: bool) -> None:
    timed, keys, values = TABLES[name]
    first = (
        [sa.Column("category", sa.String(length=8), nullable=False)]
        + [sa.Column("category_value", sa.String(length=100), nullable=False)]
        if categorised
        else []
    )
    time = (
        [sa.Column("grain", sa.String(length=5), nullable=False), sa.Column("first_day", sa.Date(), nullable=False)]
        if timed
        else []
    )
    key_columns = [*first, *time, *[_column(key) for key in keys]]
    op.create_table(
        name,
        *key_columns,
        *[_column(value) for value in values],
        sa.PrimaryKeyConstraint(*[column.name for column in key_columns], name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _recreate(categorised: bool) -> None:
    for name in TABLES:
        op.drop_table(name)
        _create(name, categorised)
    # Whatever the rows were, they are gone: the next upgrade (db/migrate.py) computes them again.
    op.execute(sa.text("DELETE FROM rollup_state"))


def upgrade() -> None:
    _recreate(categorised=True)
    op.create_index(
        op.f("ix_activities_owner_id_due_at_id"),
        "activities",
        ["owner_id", "due_at", "id"],
        unique=False,
        sqlite_where=NOT_DONE,
        postgresql_where=NOT_DONE,
    )
    op.create_index(
        op.f("ix_rollup_idle_stage_id_owner_id_idle_since_deal_id"),
        "rollup_idle",
        ["stage_id", "owner_id", "idle_since", "deal_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rollup_idle_stage_id_owner_id_idle_since_deal_id"), table_name="rollup_idle")
    op.drop_index(op.f("ix_activities_owner_id_due_at_id"), table_name="activities")
    _recreate(categorised=False)
