"""rollups: summary tables kept with every write; indexes for open deals' ages, the board, what is still to do

The tables are created empty; db/migrate.py fills them (db/rollups.py rebuild) when their stored
version is not the code's, which is the case right after this migration.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 14:51:46.083948
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _rollup(name: str, keys: list[sa.Column], values: list[sa.Column]) -> None:
    op.create_table(
        name,
        *keys,
        *values,
        sa.PrimaryKeyConstraint(*[column.name for column in keys], name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _ints(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in names]


def _strings(**lengths: int) -> list[sa.Column]:
    return [sa.Column(name, sa.String(length=length), nullable=False) for name, length in lengths.items()]


def _timed() -> list[sa.Column]:
    return [sa.Column("grain", sa.String(length=5), nullable=False), sa.Column("first_day", sa.Date(), nullable=False)]


def _amount(name: str = "amount") -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    _rollup(
        "rollup_created",
        [*_timed(), *_ints("pipeline_id", "owner_id"), *_strings(status=8), _amount("entered_stages")],
        [*_ints("deals"), _amount()],
    )
    _rollup(
        "rollup_closed",
        [*_timed(), *_ints("pipeline_id", "owner_id", "closing_owner_id"), *_strings(status=8)],
        [*_ints("deals"), _amount()],
    )
    _rollup(
        "rollup_lost",
        [*_timed(), *_ints("pipeline_id", "owner_id", "stage_id", "lost_reason_id")],
        [*_ints("deals"), _amount()],
    )
    _rollup(
        "rollup_cycles",
        [*_timed(), *_ints("pipeline_id", "owner_id", "closing_owner_id", "days")],
        [*_ints("deals"), _amount("seconds")],
    )
    _rollup(
        "rollup_stays",
        [*_timed(), *_ints("pipeline_id", "stage_id", "owner_id", "days")],
        [*_ints("stays"), _amount("seconds")],
    )
    _rollup("rollup_activities", [*_timed(), *_ints("owner_id"), *_strings(kind=16, event=16)], _ints("activities"))
    _rollup(
        "rollup_open",
        _ints("pipeline_id", "stage_id", "owner_id"),
        [*_ints("deals"), _amount(), _amount("entered_seconds")],
    )
    _rollup(
        "rollup_forecast",
        [sa.Column("expected_close_date", sa.Date(), nullable=False), *_ints("pipeline_id", "stage_id", "owner_id")],
        [*_ints("deals"), _amount()],
    )
    _rollup(
        "rollup_idle",
        [*_ints("stage_id"), sa.Column("idle_since", sa.DateTime(), nullable=False), *_ints("owner_id", "deal_id")],
        _ints("deals"),
    )
    _rollup("rollup_categories", [*_ints("pipeline_id"), *_strings(field=16, value=100)], _ints("deals"))
    op.create_table(
        "rollup_state",
        *_ints("id", "version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    not_done = sa.text("done_at IS NULL")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_due_at_owner_id"),
            ["due_at", "owner_id"],
            unique=False,
            sqlite_where=not_done,
            postgresql_where=not_done,
        )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deals_stage_id_stage_entered_at_owner_id"),
            ["stage_id", "stage_entered_at", "owner_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_deals_stage_id_amount_id"), ["stage_id", "amount", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deals_stage_id_amount_id"))
        batch_op.drop_index(batch_op.f("ix_deals_stage_id_stage_entered_at_owner_id"))
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activities_due_at_owner_id"))
    for name in (
        "rollup_state",
        "rollup_categories",
        "rollup_idle",
        "rollup_forecast",
        "rollup_open",
        "rollup_activities",
        "rollup_stays",
        "rollup_cycles",
        "rollup_lost",
        "rollup_closed",
        "rollup_created",
    ):
        op.drop_table(name)
