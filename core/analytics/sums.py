"""Sums over a period, read from the rollups (db/rollups.py) where they can answer, and from the rows
themselves where they cannot: the hours at either end of a period that are not whole UTC days (a
period in a time zone other than UTC), and the filters the rollups do not keep (a source, region or
segment filter on a rollup not kept by category; two or three of them at once). Both are the same
source queries, so both give the same sums.
"""

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Integer, Select, Subquery, and_, false, func, or_, select, union_all
from sqlalchemy.orm import Session

from db.models import Deal
from db.rollups.sources import DAY, EVERY_DEAL, MONTH, SECONDS_PER_DAY, Rollup, plus, whole

_ROWS_ONLY: ContextVar[bool] = ContextVar("rows_only", default=False)

# The summed values (a rollup's record: `.deals`, `.amount`, …) by the key columns asked for.
Sums = dict[tuple, tuple]


@contextmanager
def from_rows() -> Iterator[None]:
    """Read every sum from the rows themselves, not from the rollups: to compare the two."""
    token = _ROWS_ONLY.set(True)
    try:
        yield
    finally:
        _ROWS_ONLY.reset(token)


def rows_only() -> bool:
    """Whether the sums are read from the rows now (`from_rows`)."""
    return _ROWS_ONLY.get()


@dataclass(frozen=True)
class Slices:
    """A period [start, end) cut into what the rollups hold and what they do not."""

    months: tuple[date | None, date] | None  # whole UTC months [first, stop); first None: from the beginning
    days: tuple[tuple[date | None, date], ...]  # whole UTC days [first, stop) outside those months
    edges: tuple[tuple[datetime | None, datetime], ...]  # parts of a day, read from the rows


def slices(start: datetime | None, end: datetime) -> Slices:
    stop_day = _midnight(end)
    first_day = None if start is None else _midnight(start)
    if first_day is not None and first_day < start:
        first_day += timedelta(days=1)
    if first_day is not None and first_day > stop_day:  # within one day
        return Slices(None, (), ((start, end),))
    edges = []
    if start is not None and start < first_day:
        edges.append((start, first_day))
    if end > stop_day:
        edges.append((stop_day, end))
    first, stop = (None if first_day is None else first_day.date()), stop_day.date()
    first_month = first if first is None or first.day == 1 else _next_month(first)
    stop_month = stop.replace(day=1)
    if first_month is not None and first_month >= stop_month:
        return Slices(None, ((first, stop),) if first != stop else (), tuple(edges))
    days = tuple(part for part in ((first, first_month), (stop_month, stop)) if part[0] != part[1])
    return Slices((first_month, stop_month), days, tuple(edges))


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(0), UTC)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _span(rollup: Rollup, cut: Slices) -> ColumnElement[bool]:
    """The stored rows of the whole months and days of the period."""
    table = rollup.table
    parts = []
    if cut.months is not None:
        first, stop = cut.months
        parts.append(and_(table.c.grain == MONTH, *_range(table.c.first_day, first, stop)))
    for first, stop in cut.days:
        parts.append(and_(table.c.grain == DAY, *_range(table.c.first_day, first, stop)))
    return or_(*parts) if parts else false()


def _range(column, first, stop) -> list[ColumnElement[bool]]:
    return [*([column >= first] if first is not None else []), column < stop]


def summed(
    session: Session,
    rollup: Rollup,
    by: Sequence[str],
    *,
    match: Mapping[str, Collection] | None = None,
    period: tuple[datetime | None, datetime] | None = None,
    categories: Sequence[tuple[str, str]] = (),
) -> Sums:
    """The rollup's values summed by the key columns `by`, over the rows whose key columns are in
    `match` (column → allowed values), in `period` [start, end) (start None: since the beginning;
    a time-keyed rollup only), of the deals with these (source|region|segment, value) categories."""
    rows_only = _ROWS_ONLY.get() or (bool(categories) and not rollup.categorised) or len(categories) > 1
    match = _of_category(rollup, dict(match or {}), categories)
    if rows_only:
        ranges = [period] if period is not None else None
        return _from_rows(session, rollup, by, match, ranges, categories)
    table = rollup.table
    columns = [table.c[name] for name in by]
    query = (
        select(*columns, *[_sum(table.c[name], rollup) for name in rollup.values])
        .where(*[table.c[name].in_(values) for name, values in match.items()])
        .group_by(*columns)
    )
    cut = slices(*period) if period is not None else None
    if cut is not None:
        query = query.where(_span(rollup, cut))
    sums = _collect({}, rollup, session.execute(query), len(by))
    if cut is not None and cut.edges:
        _merge(sums, _from_rows(session, rollup, by, match, list(cut.edges), categories))
    return sums


def period_rows(rollup: Rollup, match: Mapping[str, Collection], period: tuple[datetime, datetime]) -> Select:
    """A time-keyed rollup's rows in `period` (its columns but the grain), unsummed: the stored ones of
    its whole days and months, and those of the parts of a day from the sources; their keys in `match`."""
    table = rollup.table
    names = [name for name in (*rollup.key_columns, *rollup.values) if name != "grain"]
    cut = slices(*period)
    parts = [] if _ROWS_ONLY.get() else [select(*[table.c[name] for name in names]).where(_span(rollup, cut))]
    ranges = [period] if _ROWS_ONLY.get() else list(cut.edges)
    if ranges:
        for source in rollup.sources:
            rows = source.query(_where(source, match, ranges, ())).subquery()
            parts.append(select(*[rows.c[name] for name in names]))
    rows = union_all(*parts).subquery()
    return select(rows).where(*[rows.c[name].in_(values) for name, values in match.items()])


def members(
    session: Session,
    rollup: Rollup,
    *,
    match: Mapping[str, Collection],
    period: tuple[datetime | None, datetime] | None = None,
    categories: Sequence[tuple[str, str]] = (),
) -> Subquery:
    """The rows behind summed()'s figures for the same arguments: one row per deal (or activity, its
    `row_id`) and key, with what it adds; read from the rows themselves by the same source queries, so
    their count and sums are the figure's."""
    match = _of_category(rollup, dict(match), categories)
    parts = []
    for source in rollup.sources:
        rows = source.query(_where(source, match, [period] if period is not None else None, categories), row_key=True)
        rows = rows.subquery()
        parts.append(select(rows).where(*[rows.c[name].in_(values) for name, values in match.items()]))
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def _of_category(rollup: Rollup, match: dict[str, Collection], categories: Sequence[tuple[str, str]]) -> dict:
    """`match` narrowed to the category the figure reads: one category is a range of its own; none, or
    several (read from the rows), the rows of every deal; a match that names categories itself (the
    counts per source, region or segment), those."""
    if not rollup.categorised or "category" in match:
        return match
    category, value = categories[0] if len(categories) == 1 else (EVERY_DEAL, EVERY_DEAL)
    return match | {"category": (category,), "category_value": (value,)}


def _where(source, match: Mapping[str, Collection], ranges, categories: Sequence[tuple[str, str]]) -> list:
    """The conditions on a source's rows: the categories, the keys it reads off the deal, the time ranges."""
    where = [getattr(Deal, name) == value for name, value in categories]
    where += [column.in_(match[name]) for name, column in (source.columns or {}).items() if name in match]
    if ranges is not None:
        where.append(or_(*[and_(*_range(source.time, start, end)) for start, end in ranges]))
    return where


def _from_rows(
    session: Session,
    rollup: Rollup,
    by: Sequence[str],
    match: dict[str, Collection],
    ranges: list[tuple[datetime | None, datetime]] | None,
    categories: Sequence[tuple[str, str]],
) -> Sums:
    sums: Sums = {}
    for source in rollup.sources:
        rows = source.query(_where(source, match, ranges, categories)).subquery()
        columns = [rows.c[name] for name in by]
        query = (
            select(*columns, *[_sum(rows.c[name], rollup) for name in rollup.values])
            .where(*[rows.c[name].in_(values) for name, values in match.items()])
            .group_by(*columns)
        )
        _collect(sums, rollup, session.execute(query), len(by))
    return sums


def _sum(column, rollup: Rollup) -> ColumnElement:
    # PostgreSQL sums whole numbers into NUMERIC: counts and seconds are cast back (amounts are Money).
    return whole(func.sum(column)) if isinstance(rollup.table.c[column.name].type, Integer) else func.sum(column)


def _collect(sums: Sums, rollup: Rollup, rows, width: int) -> Sums:
    for row in rows:
        _merge(sums, {tuple(row[:width]): rollup.record(*row[width:])})
    return sums


def _merge(sums: Sums, more: Sums) -> None:
    for key, values in more.items():
        sums[key] = plus(sums.get(key), values)


def median_days(lengths: Sums) -> float | None:
    """The median of lengths summed per completed day ({(days,): record with the count and the seconds})."""
    total = sum(record.count for record in lengths.values())
    if not total:
        return None
    middle, seen, found = ((total - 1) // 2, total // 2), 0, []
    for (days,) in sorted(lengths):
        count = lengths[(days,)].count
        found += [days for position in middle if seen <= position < seen + count]
        seen += count
    return sum(found) / 2


def mean_days(lengths: Sums) -> float | None:
    """The mean length, to the second, of lengths summed per completed day."""
    total = sum(record.count for record in lengths.values())
    return sum(record.seconds for record in lengths.values()) / total / SECONDS_PER_DAY if total else None
