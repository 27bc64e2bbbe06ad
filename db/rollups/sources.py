"""What each rollup sums: one definition per summary table, as source queries over the data.

A rollup is the GROUP BY of one or more *sources*. A source is a query over the deals (with their stage
history) or over the activities, saying what each row adds to which key of the table; its columns are
named after the table's. Everything else is read off the model and the queries:

- the key columns are the table's primary key, the summed values its other columns (the first, a
  count: a row counting nothing is removed);
- the columns of a deal or an activity that a rollup reads, and whether it reads the stage history,
  are found in its source queries, so a flush recounts a row only in the rollups its change touches.

Time-keyed rollups (a `grain` and a `first_day` in their key) are stored per UTC day and per UTC
month; their sources key each row by the UTC day of their `time` column.

The rollups the funnel reads count each deal several times, once per *category* (their first key
columns): under "" (every deal, the figures without a source, region or segment filter) and under each
of its source, region and segment (`category_value`), so a figure filtered on one of them reads a range
of its own. Crossing the three (or adding them as plain key columns) would give nearly a row per deal at
a million deals; a filter on two or three of them at once is read from the deals themselves. A stay's or a sales cycle's
length is in whole seconds; its `days` are the completed days (seconds // SECONDS_PER_DAY).
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    Numeric,
    Select,
    String,
    Subquery,
    Table,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import visitors

from db.models import (
    Activity,
    Deal,
    DealChange,
    RollupActivity,
    RollupCategory,
    RollupChange,
    RollupClosed,
    RollupCreated,
    RollupCycle,
    RollupFlow,
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
from db.types import epoch_seconds, utc_day

# Bump when a source changes what it adds: the next upgrade rebuilds every rollup.
VERSION = 4
SECONDS_PER_DAY = 86_400
_DAY_SECONDS = literal_column(str(SECONDS_PER_DAY), BigInteger)
DAY, MONTH = "day", "month"
TIME_KEYS = ("grain", "first_day")
CATEGORY_KEYS = ("category", "category_value")
CATEGORY_FIELDS = ("source", "region", "segment")
EVERY_DEAL = ""  # the category (and its value) under which every deal counts
# A pipeline's open stages are bits of one BIGINT in rollup_created: this many at most, deleted ones included.
MAX_OPEN_STAGES = 62


@dataclass(frozen=True)
class Source:
    """One query feeding a rollup: `query(conditions)` groups the rows matching the conditions by the
    rollup's key (for a time-keyed rollup, first the UTC day of `time`). A source of one row per deal or
    activity also takes `row_key=True`: the row's id is one more key, `row_id`, so that a figure lists
    the deals (or activities) it counts (core.analytics.sums.members)."""

    query: Callable[[list[ColumnElement[bool]]], Select]
    row_id: ColumnElement  # Deal.id or Activity.id: restricts the source to given rows
    time: ColumnElement | None = None
    # Key columns of the rollup and the base columns they come from, to filter before grouping.
    columns: dict[str, ColumnElement] | None = None
    # A source of one row per event (a stage transition or a field change): the event's id, restricting
    # it to given events (see Rollup.appended).
    event_id: ColumnElement | None = None

    @property
    def of_activities(self) -> bool:
        return self.row_id is Activity.id


@dataclass(frozen=True, eq=False)  # one object per rollup: hashed by identity
class Rollup:
    model: type
    sources: tuple[Source, ...]
    # Its sums are changes, of either sign: a row is empty when every sum is zero, not its count.
    signed: bool = False

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def timed(self) -> bool:
        return "grain" in self.table.c

    @cached_property
    def key_columns(self) -> tuple[str, ...]:
        """The table's primary key: for a time-keyed rollup, grain and first_day, then the keys."""
        return tuple(column.name for column in self.table.primary_key.columns)

    @property
    def categorised(self) -> bool:
        """Whether each deal counts once per category (see the module's docstring)."""
        return "category" in self.table.c

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The key columns besides grain and first_day."""
        return tuple(name for name in self.key_columns if name not in TIME_KEYS)

    @cached_property
    def source_keys(self) -> tuple[str, ...]:
        """The key columns a source gives (every key column but the grain)."""
        return tuple(name for name in self.key_columns if name != "grain")

    @cached_property
    def values(self) -> tuple[str, ...]:
        """The summed columns: every column not in the key, the count first."""
        return tuple(column.name for column in self.table.columns if column.name not in self.key_columns)

    @cached_property
    def record(self) -> type:
        """The summed values of one key, by name (`.deals`, `.amount`, …; `.count`, the first)."""
        fields = namedtuple(f"{self.model.__name__}Sums", self.values)
        return type(fields.__name__, (fields,), {"__slots__": (), "count": property(lambda record: record[0])})

    @property
    def zero(self):
        return self.record(*(0 for _ in self.values))

    @cached_property
    def reads(self) -> frozenset[str]:
        """The columns of a deal (of an activity, for a rollup of activities) whose change can change
        what the row adds."""
        return frozenset().union(*(_columns_of(source.query([]), _base(source)) for source in self.sources))

    @cached_property
    def activity_reads(self) -> frozenset[str]:
        """For a rollup of deals: the columns of an activity whose change can change what its deal adds."""
        if any(source.of_activities for source in self.sources):
            return frozenset()
        return frozenset().union(*(_columns_of(source.query([]), Activity.__table__) for source in self.sources))

    @property
    def appended(self) -> bool:
        """Whether what a deal adds is what each of its events adds, decided by the deal's events up to it
        and the values it changed: an event appended after all of a deal's events adds its own rows and
        changes no earlier event's (db/rollups/upkeep.py counts only the new events then)."""
        return all(source.event_id is not None for source in self.sources)

    @cached_property
    def history(self) -> bool:
        """Whether what a deal adds depends on its stage transitions."""
        return any(_columns_of(source.query([]), StageTransition.__table__) for source in self.sources)


def _base(source: Source) -> Table:
    return Activity.__table__ if source.of_activities else Deal.__table__


def _columns_of(query: Select, table: Table) -> frozenset[str]:
    """The columns of `table` that the query refers to anywhere (aliases of it included)."""
    names = set()
    for element in visitors.iterate(query):
        if isinstance(element, Column):
            names |= {column.name for column in element.proxy_set if column.table is table}
    return frozenset(names)


Record = TypeVar("Record", bound=tuple)


def plus(left: Record | None, right: Record, sign: int = 1) -> Record:
    """Sums added (or, with sign -1, taken away) value by value; None is nothing yet."""
    if left is None:
        return right._make(sign * value for value in right)
    return right._make(a + sign * b for a, b in zip(left, right, strict=True))


def whole(total: ColumnElement) -> ColumnElement:
    # PostgreSQL sums BIGINT into NUMERIC; seconds stay whole numbers.
    return cast(total, BigInteger)


def _status(column) -> ColumnElement:
    return type_coerce(column, String)


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


def _categories() -> Subquery:
    """The categories a deal counts under: one row each."""
    names = [select(_text(name).label("category")) for name in (EVERY_DEAL, *CATEGORY_FIELDS)]
    return union_all(*names).subquery("categories")


def _text(value: str) -> ColumnElement:
    # A literal, not a parameter: PostgreSQL groups by it, and refuses a parameter there.
    return literal_column(f"'{value}'", String)


def by_category(query: Select, *, grouped: bool = True) -> Select:
    """The query (over the deals) with a deal's every category as its first key columns: joined with
    the categories, a deal's row once under "" and once under each of its source, region and segment
    that is set (and grouped by them too, for a grouped query)."""
    categories = _categories()
    category = categories.c.category
    value = case(*[(category == _text(name), getattr(Deal, name)) for name in CATEGORY_FIELDS], else_=_text(EVERY_DEAL))
    keys = [category, value.label("category_value")]
    query = query.join(categories, true()).where(or_(category == _text(EVERY_DEAL), value.is_not(None)))
    query = query.with_only_columns(*keys, *query.selected_columns, maintain_column_froms=True)
    return query.group_by(category, value) if grouped else query


def _row(row_key: bool, row_id: ColumnElement = Deal.id) -> list[ColumnElement]:
    """The row's id as a key column, when the rows behind a figure are asked for (Source)."""
    return [row_id.label("row_id")] if row_key else []


def _created(where: list, row_key: bool = False) -> Select:
    entered, stage = aliased(StageTransition), aliased(Stage)
    bits = (
        select(func.sum(distinct(cast(literal_column("1"), BigInteger).op("<<")(cast(_stage_bit(stage), Integer)))))
        .select_from(entered)
        .join(stage, stage.id == entered.to_stage_id)
        .where(entered.deal_id == Deal.id, stage.kind == StageKind.OPEN)
        .scalar_subquery()
    )
    deals = by_category(
        select(
            utc_day(Deal.created_at).label("first_day"),
            Deal.pipeline_id,
            Deal.owner_id,
            _status(Deal.status).label("status"),
            whole(func.coalesce(bits, 0)).label("entered_stages"),
            Deal.amount,
            *_row(row_key),
        ).where(*where),
        grouped=False,
    ).subquery()
    keys = [deals.c[name] for name in (*CATEGORY_KEYS, "first_day", "pipeline_id", "owner_id", "status")]
    keys += [deals.c.entered_stages, *([deals.c.row_id] if row_key else [])]
    return select(*keys, func.count().label("deals"), func.sum(deals.c.amount).label("amount")).group_by(*keys)


def _closed(where: list, row_key: bool = False) -> Select:
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(Deal.closing_owner_id, 0).label("closing_owner_id"),
        _status(Deal.status).label("status"),
        *_row(row_key),
    ]
    return by_category(
        select(*keys, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .where(Deal.status.in_((StageKind.WON, StageKind.LOST)), Deal.closed_at.is_not(None), *where)
        .group_by(*keys)
    )


def _lost(where: list, row_key: bool = False) -> Select:
    closing = aliased(StageTransition)
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(closing.from_stage_id, 0).label("stage_id"),
        func.coalesce(Deal.lost_reason_id, 0).label("lost_reason_id"),
        *_row(row_key),
    ]
    # The stage it was lost from: the one the transition into its lost stage, at its closing, left.
    return by_category(
        select(*keys, func.count().label("deals"), func.sum(Deal.amount).label("amount"))
        .join(
            closing,
            and_(closing.deal_id == Deal.id, closing.to_stage_id == Deal.stage_id, closing.at == Deal.closed_at),
        )
        .where(Deal.status == StageKind.LOST, *where)
        .group_by(*keys)
    )


def _cycles(where: list, row_key: bool = False) -> Select:
    seconds = epoch_seconds(Deal.closed_at) - epoch_seconds(Deal.created_at)
    keys = [
        utc_day(Deal.closed_at).label("first_day"),
        Deal.pipeline_id,
        Deal.owner_id,
        func.coalesce(Deal.closing_owner_id, 0).label("closing_owner_id"),
        (seconds // _DAY_SECONDS).label("days"),
        *_row(row_key),
    ]
    return by_category(
        select(*keys, func.count().label("deals"), whole(func.sum(seconds)).label("seconds"))
        .where(Deal.status == StageKind.WON, Deal.closed_at.is_not(None), *where)
        .group_by(*keys)
    )


def _stays(where: list, row_key: bool = False) -> Select:
    # A stay ends with the transition out of its stage, which records when the stay began.
    seconds = epoch_seconds(StageTransition.at) - epoch_seconds(StageTransition.from_entered_at)
    keys = [
        utc_day(StageTransition.at).label("first_day"),
        Deal.pipeline_id,
        StageTransition.from_stage_id.label("stage_id"),
        Deal.owner_id,
        (seconds // _DAY_SECONDS).label("days"),
        *_row(row_key),
    ]
    return by_category(
        select(*keys, func.count().label("stays"), whole(func.sum(seconds)).label("seconds"))
        .select_from(StageTransition)
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(StageTransition.from_stage_id.is_not(None), StageTransition.from_entered_at.is_not(None), *where)
        .group_by(*keys)
    )


def _activities(day_of: ColumnElement, event: ColumnElement, *only: ColumnElement[bool]) -> Callable:
    def query(where: list, row_key: bool = False) -> Select:
        keys = [
            utc_day(day_of).label("first_day"),
            Activity.owner_id,
            _status(Activity.kind).label("kind"),
            event.label("event"),
        ]
        # A constant event is not a key to group by (PostgreSQL refuses constants there).
        grouped = keys[:3] if getattr(event, "is_literal", False) else keys
        rows = _row(row_key, Activity.id)
        return select(*keys, *rows, func.count().label("activities")).where(*only, *where).group_by(*grouped, *rows)

    return query


DONE_EVENT = case(
    (Activity.due_at.is_(None), literal_column("'done_undated'")),
    (Activity.done_at <= Activity.due_at, literal_column("'done_on_time'")),
    else_=literal_column("'done_late'"),
)
DONE_EVENTS = ("done_on_time", "done_late", "done_undated")


def _open(where: list, row_key: bool = False) -> Select:
    keys = [Deal.pipeline_id, Deal.stage_id, Deal.owner_id, *_row(row_key)]
    return by_category(
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


# The fields whose changes move a deal's part of the open pipeline between keys of rollup_flow (besides
# its stage): the amount it adds and the owner it counts under.
FLOW_FIELDS = ("amount", "owner_id")
_CENTS = literal_column("100", BigInteger)


def _state(event: type[StageTransition] | type[DealChange], *, through: bool) -> dict[str, ColumnElement]:
    """The deal's stage and FLOW_FIELDS just before one of its events (a stage transition or a field
    change), or just after it (`through`). At one moment a field change comes before the stage change
    (a won deal's last amount), then the ids (db.history writes the field changes of a flush first)."""
    moving = event is StageTransition

    def until(other, *, a_move: bool) -> ColumnElement[bool]:
        """The other event (a_move: a transition, else a field change) comes before this one (or is it,
        through)."""
        if a_move is moving:
            later_id = other.id <= event.id if through else other.id < event.id
            return or_(other.at < event.at, and_(other.at == event.at, later_id))
        return other.at <= event.at if moving else other.at < event.at

    move, change = aliased(StageTransition), aliased(DealChange)
    stage = (
        select(move.to_stage_id)
        .where(move.deal_id == Deal.id, until(move, a_move=True))
        .order_by(move.at.desc(), move.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    values = {}
    for name in FLOW_FIELDS:
        # Its value then: the old value of its first change after, or today's value.
        after = (
            select(change.old_value)
            .where(change.deal_id == Deal.id, change.field == name, ~until(change, a_move=False))
            .order_by(change.at, change.id)
            .limit(1)
            .scalar_subquery()
        )
        then = func.round(cast(after, Numeric(20, 2)) * _CENTS) if name == "amount" else after
        values[name] = func.coalesce(cast(then, BigInteger), getattr(Deal, name))
    return {"stage_id": stage, **values}


def _events_of(event: type[StageTransition] | type[DealChange], columns: list, where: list) -> Select:
    """One row per event of the deals matching `where` (a field change: of a field in FLOW_FIELDS)."""
    only = [event.field.in_(FLOW_FIELDS)] if event is DealChange else []
    return select(*columns).select_from(event).join(Deal, Deal.id == event.deal_id).where(*only, *where)


def _flow(event: type[StageTransition] | type[DealChange]) -> Callable[[list], Select]:
    """The source of rollup_flow for one kind of event: at each, the deal's state just after it is
    added and its state just before taken away, where the stage is open."""

    def query(where: list) -> Select:
        sides = []
        for through, sign in ((True, 1), (False, -1)):
            now = _state(event, through=through)
            columns = [
                utc_day(event.at).label("first_day"),
                Deal.pipeline_id,
                now["stage_id"].label("stage_id"),
                now["owner_id"].label("owner_id"),
                literal_column(str(sign), Integer).label("deals"),
                (now["amount"] * sign).label("amount"),
            ]
            sides.append(_events_of(event, columns, where).subquery())
        rows = union_all(*(select(side) for side in sides)).subquery()
        stage = aliased(Stage)
        keys = [rows.c.first_day, rows.c.pipeline_id, rows.c.stage_id, rows.c.owner_id]
        amount = type_coerce(func.sum(rows.c.amount), Deal.amount.type)
        return (
            select(*keys, whole(func.sum(rows.c.deals)).label("deals"), amount.label("amount"))
            .join(stage, stage.id == rows.c.stage_id)
            .where(stage.kind == StageKind.OPEN)
            .group_by(*keys)
            .having(or_(func.sum(rows.c.deals) != 0, func.sum(rows.c.amount) != 0))
        )

    return query


# rollup_changes' buckets decided when read: a reassignment (in or out by the owners looked at), and a
# move between open stages (forward or backward by the stages' order of the day, which an admin changes).
REASSIGNED, MOVED = "reassigned", "moved"


_CHANGE_KEYS = ("stage_before", "stage_after", "owner_before", "owner_after", "deal_id")


def _changes(event: type[StageTransition] | type[DealChange]) -> Callable[[list], Select]:
    """The source of rollup_changes for one kind of event: each event of a deal in the open pipeline
    just before or just after it, in its bucket (core.analytics.history.BUCKETS, or MOVED with its two
    stages, or REASSIGNED), with what it added
    to the pipeline (a new or reopened deal its amount, a won or lost one minus its amount, an amount
    edit the difference, a move between open stages nothing, a reassignment of an open deal its
    amount). An event that leaves the open pipeline as it was has no row."""

    def query(where: list) -> Select:
        before, after = _state(event, through=False), _state(event, through=True)
        kind = event.field if event is DealChange else literal_column("'stage'", String)
        columns = [
            utc_day(event.at).label("first_day"),
            Deal.pipeline_id,
            Deal.id.label("deal_id"),
            kind.label("kind"),
            *(before[name].label(f"{name}_before") for name in ("stage_id", "amount", "owner_id")),
            *(after[name].label(f"{name}_after") for name in ("stage_id", "amount", "owner_id")),
        ]
        rows = _events_of(event, columns, where).subquery()
        was, now = aliased(Stage), aliased(Stage)
        in_before, in_after = was.kind == StageKind.OPEN, now.kind == StageKind.OPEN
        moved = rows.c.kind == "stage"
        between = and_(moved, in_before, in_after)
        bucket = case(
            (and_(moved, rows.c.stage_id_before.is_(None), in_after), literal_column("'new'")),
            (and_(moved, in_before, now.kind == StageKind.WON), literal_column("'won'")),
            (and_(moved, in_before, now.kind == StageKind.LOST), literal_column("'lost'")),
            (and_(moved, ~in_before, in_after), literal_column("'reopened'")),
            (and_(moved, in_before, in_after), literal_column(f"'{MOVED}'")),
            (
                and_(rows.c.kind == "amount", in_before, rows.c.amount_after > rows.c.amount_before),
                literal_column("'amount_increased'"),
            ),
            (
                and_(rows.c.kind == "amount", in_before, rows.c.amount_after < rows.c.amount_before),
                literal_column("'amount_decreased'"),
            ),
            (
                and_(rows.c.kind == "owner_id", in_before, rows.c.owner_id_after != rows.c.owner_id_before),
                literal_column(f"'{REASSIGNED}'"),
            ),
        )
        amount = case(
            (rows.c.kind == "owner_id", rows.c.amount_before),
            else_=case((in_after, rows.c.amount_after), else_=0) - case((in_before, rows.c.amount_before), else_=0),
        )
        keyed = (
            select(
                rows.c.first_day,
                rows.c.pipeline_id,
                bucket.label("bucket"),
                case((between, rows.c.stage_id_before), else_=0).label("stage_before"),
                case((between, rows.c.stage_id_after), else_=0).label("stage_after"),
                rows.c.owner_id_before.label("owner_before"),
                rows.c.owner_id_after.label("owner_after"),
                rows.c.deal_id,
                amount.label("amount"),
            )
            .join(now, now.id == rows.c.stage_id_after)
            .outerjoin(was, was.id == rows.c.stage_id_before)
            .subquery()
        )
        keys = [keyed.c[name] for name in ("first_day", "pipeline_id", "bucket", *_CHANGE_KEYS)]
        total = type_coerce(func.sum(keyed.c.amount), Deal.amount.type)
        return (
            select(*keys, func.count().label("changes"), total.label("amount"))
            .where(keyed.c.bucket.is_not(None))
            .group_by(*keys)
        )

    return query


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


def _of_activities(day_of: ColumnElement, event: ColumnElement, *only: ColumnElement[bool]) -> Source:
    return Source(_activities(day_of, event, *only), Activity.id, day_of, {"owner_id": Activity.owner_id})


CREATED = Rollup(RollupCreated, (Source(_created, Deal.id, Deal.created_at, DEAL_COLUMNS),))
CLOSED = Rollup(RollupClosed, (Source(_closed, Deal.id, Deal.closed_at, DEAL_COLUMNS),))
LOST = Rollup(RollupLost, (Source(_lost, Deal.id, Deal.closed_at, DEAL_COLUMNS),))
CYCLES = Rollup(RollupCycle, (Source(_cycles, Deal.id, Deal.closed_at, DEAL_COLUMNS),))
STAYS = Rollup(RollupStay, (Source(_stays, Deal.id, StageTransition.at, DEAL_COLUMNS),))
ACTIVITIES = Rollup(
    RollupActivity,
    (
        _of_activities(Activity.done_at, DONE_EVENT, Activity.done_at.is_not(None)),
        _of_activities(Activity.due_at, literal_column("'due'"), Activity.due_at.is_not(None)),
        _of_activities(
            Activity.due_at, literal_column("'open'"), Activity.due_at.is_not(None), Activity.done_at.is_(None)
        ),
    ),
)
FLOW = Rollup(
    RollupFlow,
    tuple(
        Source(_flow(event), Deal.id, event.at, {"pipeline_id": Deal.pipeline_id}, event.id)
        for event in (StageTransition, DealChange)
    ),
    signed=True,
)
CHANGES = Rollup(
    RollupChange,
    tuple(
        Source(_changes(event), Deal.id, event.at, {"pipeline_id": Deal.pipeline_id}, event.id)
        for event in (StageTransition, DealChange)
    ),
)
OPEN = Rollup(RollupOpen, (Source(_open, Deal.id, columns=DEAL_COLUMNS),))
FORECAST = Rollup(RollupForecast, (Source(_forecast, Deal.id, columns=DEAL_COLUMNS),))
IDLE = Rollup(RollupIdle, (Source(_idle, Deal.id, columns=DEAL_COLUMNS),))
CATEGORIES = Rollup(
    RollupCategory,
    tuple(Source(_category(name), Deal.id, columns=DEAL_COLUMNS) for name in ("source", "region", "segment")),
)
ROLLUPS = (CREATED, CLOSED, LOST, CYCLES, STAYS, ACTIVITIES, FLOW, CHANGES, OPEN, FORECAST, IDLE, CATEGORIES)
OF_DEALS = tuple(rollup for rollup in ROLLUPS if not any(source.of_activities for source in rollup.sources))
TABLES = frozenset(rollup.table.name for rollup in ROLLUPS) | {RollupState.__tablename__}


def at_day_and_month(rollup: Rollup, key: dict[str, Any]) -> list[tuple]:
    """The stored keys (in the table's order) that a source's row (its keys by name) adds to: itself,
    and for a time-keyed rollup, per day and per month."""
    if not rollup.timed:
        return [tuple(key[name] for name in rollup.key_columns)]
    day = {**key, "grain": DAY}
    month = {**key, "grain": MONTH, "first_day": key["first_day"].replace(day=1)}
    return [tuple(one[name] for name in rollup.key_columns) for one in (day, month)]


def grain(name: str) -> ColumnElement:
    return literal_column(f"'{name}'").label("grain")


def source_columns(rollup: Rollup, source: Source, where: list[Any]) -> Select:
    """The source's rows with the rollup's columns in the table's order, picked by name (per day, for a
    time-keyed rollup)."""
    query = source.query(where)
    columns = [
        grain(DAY) if name == "grain" else query.selected_columns[name]
        for name in (*rollup.key_columns, *rollup.values)
    ]
    return query.with_only_columns(*columns, maintain_column_froms=True)
