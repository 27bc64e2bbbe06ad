"""Rollups: summary tables kept in the transaction of every write, so a dashboard reads a few hundred
sums instead of a million rows.

Each rollup is the GROUP BY of one or more *sources*: queries over the deals, their stage history and
the activities saying what each row adds to which key. The same source queries

- build the tables from scratch (`rebuild`);
- keep them current: before a flush, what the deals and activities it touches add now; after it, what
  they add then; the difference is added to the stored rows (`_before_flush`, `_after_flush`; writers
  that bypass the ORM use `changing` and `add_deals`);
- answer what the stored rows cannot, restricted to a time range and filters (core/analytics/sums.py);
- and prove the stored rows right (`check`).

Time-keyed rollups are stored per UTC day and per UTC month (see db/models.py). A stay's or a sales
cycle's length is in whole seconds; its `days` are the completed days (seconds // 86400).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Delete,
    Insert,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    distinct,
    event,
    except_,
    func,
    insert,
    inspect,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from db.models import (
    Activity,
    Deal,
    RollupActivity,
    RollupCategory,
    RollupClosed,
    RollupCreated,
    RollupCycle,
    RollupForecast,
    RollupIdle,
    RollupLost,
    RollupOpen,
    RollupState,
    RollupStay,
    Stage,
    StageKind,
    StageTransition,
)
from db.types import epoch_seconds, month_of, utc_day

# Bump when a source changes what it adds: the next upgrade rebuilds every rollup.
VERSION = 1
SECONDS_PER_DAY = 86_400
_DAY_SECONDS = literal_column(str(SECONDS_PER_DAY), BigInteger)
DAY, MONTH = "day", "month"
CHUNK = 1_000  # ids per IN list
# A pipeline's open stages are bits of one BIGINT in rollup_created: this many at most, deleted ones included.
MAX_OPEN_STAGES = 62


@dataclass(frozen=True)
class Source:
    """One query feeding a rollup: `query(conditions)` groups the rows matching the conditions by the
    rollup's key (the first column, for a time-keyed rollup, being the UTC day of `time`)."""

    query: Callable[[list[ColumnElement[bool]]], Select]
    row_id: ColumnElement  # Deal.id or Activity.id: restricts the source to given rows
    time: ColumnElement | None = None
    # Key columns of the rollup and the base columns they come from, to filter before grouping.
    columns: dict[str, ColumnElement] | None = None


@dataclass(frozen=True, eq=False)  # one object per rollup: hashed by identity
class Rollup:
    model: type
    keys: tuple[str, ...]  # the key columns besides grain and first_day
    values: tuple[str, ...]  # summed; the first is the count (a row counting nothing is removed)
    sources: tuple[Source, ...]
    # What a row adds depends on these columns of it (a deal's or an activity's) and, with `history`,
    # on the deal's stage transitions: a flush recounts a deal only in the rollups its change touches.
    reads: frozenset[str] = frozenset()
    history: bool = False

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def timed(self) -> bool:
        return "grain" in self.table.c

    @property
    def key_columns(self) -> tuple[str, ...]:
        return ("grain", "first_day", *self.keys) if self.timed else self.keys


def whole(total: ColumnElement) -> ColumnElement:
    # PostgreSQL sums BIGINT into NUMERIC; seconds stay whole numbers.
    return cast(total, BigInteger)


def _status(column) -> ColumnElement:
    return type_coerce(column, String)


def _grain(name: str) -> ColumnElement:
    return literal_column(f"'{name}'").label("grain")


DEAL_COLUMNS = {"pipeline_id": Deal.pipeline_id, "owner_id": Deal.owner_id, "closing_owner_id": Deal.closing_owner_id}


def _stage_bit(stage: type[Stage]) -> ColumnElement:
    """k for the k-th open stage of its pipeline in the order of creation (ids): never changes."""
    earlier = aliased(Stage)
    return (
        select(func.count())
        .where(earlier.pipeline_id == stage.pipeline_id, earlier.kind == StageKind.OPEN, earlier.id < stage.id)
        .scalar_subquery()
    )


def stages_by_bit(connection: Connection, pipeline_id: int) -> list[int]:
    """The open stages of a pipeline in the order of their bits in entered_stages (see _stage_bit)."""
    open_stages = select(Stage.id).where(Stage.pipeline_id == pipeline_id, Stage.kind == StageKind.OPEN)
    return list(connection.scalars(open_stages.order_by(Stage.id)))


def _created(where: list) -> Select:
    entered, stage = aliased(StageTransition), aliased(Stage)
    bits = (
        select(func.sum(distinct(cast(literal_column("1"), BigInteger).op("<<")(cast(_stage_bit(stage), Integer)))))
        .select_from(entered)
        .join(stage, stage.id == entered.to_stage_id)
        .where(entered.deal_id == Deal.id, stage.kind == StageKind.OPEN)
        .scalar_subquery()
    )
    deals = (
        select(
            utc_day(Deal.created_at).label("first_day"),
            Deal.pipeline_id,
            Deal.owner_id,
            _status(Deal.status).label("status"),
            whole(func.coalesce(bits, 0)).label("entered_stages"),
            Deal.amount,
        )
        .where(*where)
        .subquery()
    )
    keys = [deals.c.first_day, deals.c.pipeline_id, deals.c.owner_id, deals.c.status, deals.c.entered_stages]
    return select(*keys, func.count().label("deals"), func.sum(deals.c.amount).label("amount")).group_by(*keys)


def _closed(where: list) -> Select:
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(Deal.closing_owner_id, 0).label("closing_owner_id"),
        _status(Deal.status).label("status"),
    ]
    return (
        select(*keys, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .where(Deal.status.in_((StageKind.WON, StageKind.LOST)), Deal.closed_at.is_not(None), *where)
        .group_by(*keys)
    )


def _lost(where: list) -> Select:
    closing = aliased(StageTransition)
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(closing.from_stage_id, 0).label("stage_id"),
        func.coalesce(Deal.lost_reason_id, 0).label("lost_reason_id"),
    ]
    # The stage it was lost from: the one the transition into its lost stage, at its closing, left.
    return (
        select(*keys, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .join(
            closing,
            and_(closing.deal_id == Deal.id, closing.to_stage_id == Deal.stage_id, closing.at == Deal.closed_at),
        )
        .where(Deal.status == StageKind.LOST, *where)
        .group_by(*keys)
    )


def _cycles(where: list) -> Select:
    seconds = epoch_seconds(Deal.closed_at) - epoch_seconds(Deal.created_at)
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(Deal.closing_owner_id, 0).label("closing_owner_id"),
        (seconds // _DAY_SECONDS).label("days"),
    ]
    return (
        select(*keys, func.count().label("deals"), whole(func.sum(seconds)).label("seconds"))
        .where(Deal.status == StageKind.WON, Deal.closed_at.is_not(None), *where)
        .group_by(*keys)
    )


def _stays(where: list) -> Select:
    # A stay ends with the transition out of its stage, which records when the stay began.
    seconds = epoch_seconds(StageTransition.at) - epoch_seconds(StageTransition.from_entered_at)
    keys = [
        utc_day(StageTransition.at).label("first_day"),
        Deal.pipeline_id,
        StageTransition.from_stage_id.label("stage_id"),
        Deal.owner_id,
        (seconds // _DAY_SECONDS).label("days"),
    ]
    return (
        select(*keys, func.count().label("stays"), whole(func.sum(seconds)).label("seconds"))
        .select_from(StageTransition)
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(StageTransition.from_stage_id.is_not(None), StageTransition.from_entered_at.is_not(None), *where)
        .group_by(*keys)
    )


def _activities(day_of: ColumnElement, event: ColumnElement, *only: ColumnElement[bool]) -> Callable:
    def query(where: list) -> Select:
        keys = [
            utc_day(day_of).label("first_day"),
            Activity.owner_id,
            _status(Activity.kind).label("kind"),
            event.label("event"),
        ]
        # A constant event is not a key to group by (PostgreSQL refuses constants there).
        grouped = keys[:3] if getattr(event, "is_literal", False) else keys
        return select(*keys, func.count().label("activities")).where(*only, *where).group_by(*grouped)

    return query


DONE_EVENT = case(
    (Activity.due_at.is_(None), literal_column("'done_undated'")),
    (Activity.done_at <= Activity.due_at, literal_column("'done_on_time'")),
    else_=literal_column("'done_late'"),
)
DONE_EVENTS = ("done_on_time", "done_late", "done_undated")


def _open(where: list) -> Select:
    keys = [Deal.pipeline_id, Deal.stage_id, Deal.owner_id]
    return (
        select(
            *keys,
            func.count().label("deals"),
            func.sum(Deal.amount).label("amount"),
            whole(func.sum(epoch_seconds(Deal.stage_entered_at))).label("entered_seconds"),
        )
        .where(Deal.status == StageKind.OPEN, *where)
        .group_by(*keys)
    )


def _forecast(where: list) -> Select:
    keys = [Deal.expected_close_date, Deal.pipeline_id, Deal.stage_id, Deal.owner_id]
    return (
        select(*keys, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .where(Deal.status == StageKind.OPEN, Deal.expected_close_date.is_not(None), *where)
        .group_by(*keys)
    )


def idle_since() -> ColumnElement:
    """When a deal went idle: the later of its last stage change and its last done activity."""
    last_done = select(func.max(Activity.done_at)).where(Activity.deal_id == Deal.id).scalar_subquery()
    return case((last_done > Deal.stage_entered_at, last_done), else_=Deal.stage_entered_at)


def _idle(where: list) -> Select:
    keys = [Deal.stage_id, idle_since().label("idle_since"), Deal.owner_id, Deal.id.label("deal_id")]
    return select(*keys, func.count().label("deals")).where(Deal.status == StageKind.OPEN, *where).group_by(*keys)


def _category(name: str) -> Callable:
    column = getattr(Deal, name)

    def query(where: list) -> Select:
        return (
            select(
                Deal.pipeline_id,
                literal_column(f"'{name}'").label("field"),
                column.label("value"),
                func.count().label("deals"),
            )
            .where(column.is_not(None), *where)
            .group_by(Deal.pipeline_id, column)
        )

    return query


CREATED = Rollup(
    RollupCreated,
    ("pipeline_id", "owner_id", "status", "entered_stages"),
    ("deals", "amount"),
    (Source(_created, Deal.id, Deal.created_at, DEAL_COLUMNS),),
    frozenset({"pipeline_id", "owner_id", "status", "amount", "created_at"}),
    history=True,
)
CLOSED = Rollup(
    RollupClosed,
    ("pipeline_id", "owner_id", "closing_owner_id", "status"),
    ("deals", "amount"),
    (Source(_closed, Deal.id, Deal.closed_at, DEAL_COLUMNS),),
    frozenset({"pipeline_id", "owner_id", "closing_owner_id", "status", "closed_at", "amount"}),
)
LOST = Rollup(
    RollupLost,
    ("pipeline_id", "owner_id", "stage_id", "lost_reason_id"),
    ("deals", "amount"),
    (Source(_lost, Deal.id, Deal.closed_at, DEAL_COLUMNS),),
    frozenset({"pipeline_id", "owner_id", "status", "closed_at", "stage_id", "lost_reason_id", "amount"}),
    history=True,
)
CYCLES = Rollup(
    RollupCycle,
    ("pipeline_id", "owner_id", "closing_owner_id", "days"),
    ("deals", "seconds"),
    (Source(_cycles, Deal.id, Deal.closed_at, DEAL_COLUMNS),),
    frozenset({"pipeline_id", "owner_id", "closing_owner_id", "status", "closed_at", "created_at"}),
)
STAYS = Rollup(
    RollupStay,
    ("pipeline_id", "stage_id", "owner_id", "days"),
    ("stays", "seconds"),
    (Source(_stays, Deal.id, StageTransition.at, DEAL_COLUMNS),),
    frozenset({"pipeline_id", "owner_id"}),
    history=True,
)
ACTIVITIES = Rollup(
    RollupActivity,
    ("owner_id", "kind", "event"),
    ("activities",),
    (
        Source(
            _activities(Activity.done_at, DONE_EVENT, Activity.done_at.is_not(None)),
            Activity.id,
            Activity.done_at,
            {"owner_id": Activity.owner_id},
        ),
        Source(
            _activities(Activity.due_at, literal_column("'due'"), Activity.due_at.is_not(None)),
            Activity.id,
            Activity.due_at,
            {"owner_id": Activity.owner_id},
        ),
        Source(
            _activities(
                Activity.due_at, literal_column("'open'"), Activity.due_at.is_not(None), Activity.done_at.is_(None)
            ),
            Activity.id,
            Activity.due_at,
            {"owner_id": Activity.owner_id},
        ),
    ),
    frozenset({"owner_id", "kind", "due_at", "done_at"}),
)
OPEN = Rollup(
    RollupOpen,
    ("pipeline_id", "stage_id", "owner_id"),
    ("deals", "amount", "entered_seconds"),
    (Source(_open, Deal.id, columns=DEAL_COLUMNS),),
    frozenset({"pipeline_id", "stage_id", "owner_id", "status", "amount", "stage_entered_at"}),
)
FORECAST = Rollup(
    RollupForecast,
    ("expected_close_date", "pipeline_id", "stage_id", "owner_id"),
    ("deals", "amount"),
    (Source(_forecast, Deal.id, columns=DEAL_COLUMNS),),
    frozenset({"pipeline_id", "stage_id", "owner_id", "status", "amount", "expected_close_date"}),
)
IDLE = Rollup(
    RollupIdle,
    ("stage_id", "idle_since", "owner_id", "deal_id"),
    ("deals",),
    (Source(_idle, Deal.id, columns=DEAL_COLUMNS),),
    # Also the done_at of the deal's activities: an activity done or moved to another deal recounts it.
    frozenset({"stage_id", "owner_id", "status", "stage_entered_at"}),
)
CATEGORIES = Rollup(
    RollupCategory,
    ("pipeline_id", "field", "value"),
    ("deals",),
    tuple(Source(_category(name), Deal.id, columns=DEAL_COLUMNS) for name in ("source", "region", "segment")),
    frozenset({"pipeline_id", "source", "region", "segment"}),
)
ROLLUPS = (CREATED, CLOSED, LOST, CYCLES, STAYS, ACTIVITIES, OPEN, FORECAST, IDLE, CATEGORIES)
OF_DEALS = tuple(rollup for rollup in ROLLUPS if rollup is not ACTIVITIES)
# What makes an activity recount the deal it belongs to (when the deal went idle).
IDLE_READS = frozenset({"done_at", "deal_id"})
TABLES = frozenset(rollup.table.name for rollup in ROLLUPS) | {RollupState.__tablename__}

# What the rows touched add to each rollup: (rollup's table name, key) → the summed values.
Contributions = dict[tuple[str, tuple], list]


def _by_ids(source: Source) -> Select:
    return source.query([source.row_id.in_(bindparam("ids", expanding=True))])


# Each source restricted to given rows, built once: a flush only binds the ids.
BY_IDS = [(rollup, source.row_id is Activity.id, _by_ids(source)) for rollup in ROLLUPS for source in rollup.sources]


def snapshot(
    connection: Connection, deals: Mapping[Rollup, Iterable[int]], activity_ids: Iterable[int] = ()
) -> Contributions:
    """What these deals add to these rollups now (rollup → deal ids), and these activities."""
    sums: Contributions = {}
    activity_ids = sorted(set(activity_ids))
    for rollup, of_activities, query in BY_IDS:
        ids = activity_ids if of_activities else sorted(set(deals.get(rollup, ())))
        for start in range(0, len(ids), CHUNK):
            for row in connection.execute(query, {"ids": ids[start : start + CHUNK]}):
                _add_row(sums, rollup, tuple(row))
    return sums


def every(deal_ids: Iterable[int]) -> dict[Rollup, set[int]]:
    """These deals in every rollup of deals."""
    deal_ids = set(deal_ids)
    return {rollup: deal_ids for rollup in OF_DEALS}


def _add_row(sums: Contributions, rollup: Rollup, row: tuple) -> None:
    size = len(rollup.keys) + (1 if rollup.timed else 0)
    key, values = row[:size], list(row[size:])
    keys = [(DAY, *key), (MONTH, key[0].replace(day=1), *key[1:])] if rollup.timed else [key]
    for one in keys:
        sums[(rollup.table.name, one)] = plus(sums.get((rollup.table.name, one)), values)


def plus(left: list | None, right: list, sign: int = 1) -> list:
    """Sums added (or, with sign -1, taken away) value by value; None is nothing yet."""
    if left is None:
        return [sign * value for value in right]
    return [a + sign * b for a, b in zip(left, right, strict=True)]


def apply_change(connection: Connection, before: Contributions, after: Contributions) -> None:
    """Add (after − before) to the stored rows, in key order (so concurrent writers lock rows in the
    same order), and remove the rows that count nothing any more."""
    change: dict[str, list[tuple[tuple, list]]] = defaultdict(list)
    for table_key in sorted(set(before) | set(after), key=_sort_key):
        values = plus(after.get(table_key), before[table_key], -1) if table_key in before else after[table_key]
        if any(values):
            change[table_key[0]].append((table_key[1], values))
    for rollup in ROLLUPS:
        rows = change.get(rollup.table.name)
        if rows:
            _add(connection, rollup, rows)


@contextmanager
def changing(session: Session, deal_ids: Sequence[int]) -> Iterator[None]:
    """For a write that bypasses the ORM (a bulk UPDATE or INSERT … SELECT): what these deals add is
    counted before the block and again after it."""
    connection = session.connection()
    before = snapshot(connection, every(deal_ids))
    yield
    apply_change(connection, before, snapshot(connection, every(deal_ids)))


def add_deals(session: Session, deal_ids: Sequence[int]) -> None:
    """Count deals inserted without the ORM (an import), with their history."""
    connection = session.connection()
    apply_change(connection, {}, snapshot(connection, every(deal_ids)))


def _sort_key(table_key: tuple[str, tuple]) -> tuple:
    return table_key[0], tuple(str(part) for part in table_key[1])


def _add(connection: Connection, rollup: Rollup, rows: list[tuple[tuple, list]]) -> None:
    add, remove_empty = _statements(rollup, connection.dialect.name)
    connection.execute(
        add,
        [dict(zip(rollup.key_columns, key, strict=True)) | dict(zip(rollup.values, values, strict=True))
         for key, values in rows],
    )  # fmt: skip
    emptied = [key for key, values in rows if values[0] < 0]
    if emptied:
        keys = [{f"key_{name}": part for name, part in zip(rollup.key_columns, key, strict=True)} for key in emptied]
        connection.execute(remove_empty, keys)


@cache
def _statements(rollup: Rollup, dialect_name: str) -> tuple[Insert, Delete]:
    """Add to a row (inserting it when new), and remove a row that counts nothing: built once."""
    table = rollup.table
    statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
    add = statement.on_conflict_do_update(
        index_elements=list(rollup.key_columns),
        set_={name: table.c[name] + statement.excluded[name] for name in rollup.values},
    )
    keys = [table.c[name] == bindparam(f"key_{name}") for name in rollup.key_columns]
    return add, delete(table).where(*keys, table.c[rollup.values[0]] == 0)


def _from_sources(rollup: Rollup) -> Select:
    """Every row of the rollup as its sources give it (per day, for a time-keyed one)."""
    rows = [
        select(_grain(DAY), *source.query([]).subquery().c) if rollup.timed else source.query([])
        for source in rollup.sources
    ]
    return select(union_all(*rows).subquery()) if len(rows) > 1 else rows[0]


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


def _months(rollup: Rollup, day_rows: Select) -> Select:
    days = day_rows.subquery()
    month = month_of(days.c.first_day)
    keys = [days.c[name] for name in rollup.keys]
    sums = [func.sum(days.c[name]).label(name) for name in rollup.values]
    return select(_grain(MONTH), month.label("first_day"), *keys, *sums).group_by(month, *keys)


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


class _Pending:
    """What a flush is about to change, and what those rows added before it."""

    def __init__(self) -> None:
        self.deals: dict[Rollup, set[int]] = defaultdict(set)
        self.activity_ids: set[int] = set()
        self.new_rows: list = []
        self.before: Contributions = {}

    def touch(self, deal_id: int | None, rollups: Iterable[Rollup]) -> None:
        if deal_id is not None:
            for rollup in rollups:
                self.deals[rollup].add(deal_id)

    def deal_ids(self) -> set[int]:
        return set().union(*self.deals.values())


PENDING = "rollups.pending"


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context, _instances) -> None:
    pending = _Pending()
    for row in session.dirty:
        changed = {attribute.key for attribute in inspect(row).attrs if attribute.history.has_changes()}
        if isinstance(row, Deal):
            pending.touch(row.id, [rollup for rollup in OF_DEALS if rollup.reads & changed])
        elif isinstance(row, Activity):
            if ACTIVITIES.reads & changed:
                pending.activity_ids.add(row.id)
            if IDLE_READS & changed:
                for deal_id in _old_and_new(row, "deal_id"):
                    pending.touch(deal_id, [IDLE])
    for row in session.deleted:
        if isinstance(row, Deal):
            pending.touch(row.id, OF_DEALS)
        elif isinstance(row, Activity):
            pending.activity_ids.add(row.id)
            pending.touch(row.deal_id, [IDLE])
    for row in session.new:
        if isinstance(row, StageTransition):
            pending.touch(row.deal_id, [rollup for rollup in OF_DEALS if rollup.history])
        elif isinstance(row, Deal | Activity):
            pending.new_rows.append(row)
            if isinstance(row, Activity) and row.done_at is not None:
                pending.touch(row.deal_id, [IDLE])
    if not (pending.deals or pending.activity_ids or pending.new_rows):
        return
    connection = session.connection()
    _lock(connection, pending)
    pending.before = snapshot(connection, pending.deals, pending.activity_ids)
    session.info[PENDING] = pending


def _old_and_new(row, name: str) -> set[int]:
    history = inspect(row).attrs[name].history
    return {value for value in (*history.deleted, getattr(row, name)) if value is not None}


def _lock(connection: Connection, pending: _Pending) -> None:
    """On PostgreSQL, lock the rows first: what they add must be read as nobody else is changing it."""
    if connection.dialect.name != "postgresql":
        return  # SQLite writers hold the database's write lock already
    for model, ids in ((Deal, pending.deal_ids()), (Activity, pending.activity_ids)):
        if ids:
            connection.execute(select(model.id).where(model.id.in_(sorted(ids))).order_by(model.id).with_for_update())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush_context) -> None:
    pending: _Pending | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    for row in pending.new_rows:
        if isinstance(row, Deal):
            pending.touch(row.id, OF_DEALS)
        else:
            pending.activity_ids.add(row.id)
    connection = session.connection()
    apply_change(connection, pending.before, snapshot(connection, pending.deals, pending.activity_ids))
