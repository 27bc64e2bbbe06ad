"""Building the rollups from scratch, and checking the stored rows against their sources."""

from sqlalchemy import Connection, Select, delete, except_, func, insert, or_, select, union_all

from db.models import RollupState
from db.rollups.sources import DAY, MONTH, ROLLUPS, VERSION, Rollup, grain, source_columns, whole
from db.types import month_of


def _from_sources(rollup: Rollup) -> Select:
    """Every row of the rollup as its sources give it (per day, for a time-keyed one): the sums of its
    sources' rows of one key, without the keys that sum to nothing (sources of changes, of either sign)."""
    rows = [source_columns(rollup, source, []) for source in rollup.sources]
    if len(rows) == 1:
        return rows[0]
    every = union_all(*rows).subquery()
    keys = [every.c[name] for name in rollup.key_columns]
    sums = [func.sum(every.c[name]) for name in rollup.values]
    return (
        select(*keys, *[whole(total).label(name) for total, name in zip(sums, rollup.values, strict=True)])
        .group_by(*keys)
        .having(or_(*[total != 0 for total in sums]))
    )


def _months(rollup: Rollup, day_rows: Select) -> Select:
    """Each month's sums of the day rows."""
    days = day_rows.subquery()
    month = month_of(days.c.first_day)
    keys = [days.c[name] for name in rollup.keys]
    columns = {"grain": grain(MONTH), "first_day": month.label("first_day")} | {key.name: key for key in keys}
    columns |= {name: whole(func.sum(days.c[name])).label(name) for name in rollup.values}
    nothing = [func.sum(days.c[name]) != 0 for name in rollup.values]
    ordered = [columns[name] for name in (*rollup.key_columns, *rollup.values)]
    return select(*ordered).group_by(month, *keys).having(or_(*nothing))


def rebuild(connection: Connection) -> None:
    """Compute every rollup from scratch, in SQL."""
    for rollup in ROLLUPS:
        table = rollup.table
        columns = list(rollup.key_columns + rollup.values)
        connection.execute(delete(table))
        connection.execute(insert(table).from_select(columns, _from_sources(rollup)))
        if rollup.timed:
            days = select(table).where(table.c.grain == DAY)
            connection.execute(insert(table).from_select(columns, _months(rollup, days)))
    connection.execute(delete(RollupState))
    connection.execute(insert(RollupState).values(id=1, version=VERSION))


def is_current(connection: Connection) -> bool:
    return connection.scalar(select(RollupState.version).where(RollupState.id == 1)) == VERSION


def check(connection: Connection) -> dict[str, int]:
    """Rows of each rollup that differ from what its sources give (stored but wrong or missing), by table."""
    differences = {}
    for rollup in ROLLUPS:
        table = rollup.table
        columns = list(rollup.key_columns + rollup.values)
        expected = _from_sources(rollup)
        if rollup.timed:
            days = expected.subquery()
            expected = select(union_all(select(days), _months(rollup, select(days))).subquery())
        stored = select(*[table.c[name] for name in columns])
        wrong = connection.scalar(select(func.count()).select_from(except_(stored, expected).subquery()))
        missing = connection.scalar(select(func.count()).select_from(except_(expected, stored).subquery()))
        if wrong or missing:
            differences[table.name] = wrong + missing
    return differences
