"""Keeping the rollups current in the transaction of every write.

Before a flush, what the deals and activities it touches add to the rollups their change touches (by
the columns each reads, and the stage history); after it, what they add then; the difference is added
to the stored rows. In the rollups of appended events (rollup_flow, rollup_changes) a deal that only
gains events after all of its own is counted by those new events alone, after the flush. `install`
hooks this on the project's sessionmaker (db/engine.py). Writers that bypass the ORM (a bulk UPDATE, an
INSERT … SELECT, an import) use `changing` and `add_deals`.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Connection, Delete, Insert, Select, bindparam, delete, event, inspect, or_, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from db.models import Activity, Deal, DealChange, StageTransition
from db.rollups.sources import (
    ACTIVITIES,
    FLOW_FIELDS,
    IDLE,
    OF_DEALS,
    ROLLUPS,
    Rollup,
    Source,
    at_day_and_month,
    plus,
)

CHUNK = 1_000  # ids per IN list

# What the rows touched add to each rollup: (rollup, key) → the summed values.
Contributions = dict[tuple[Rollup, tuple], tuple]


def _by_ids(source: Source) -> Select:
    return source.query([source.row_id.in_(bindparam("ids", expanding=True))])


# Each source restricted to given rows, built once: a flush only binds the ids.
BY_IDS = [(rollup, source, _by_ids(source)) for rollup in ROLLUPS for source in rollup.sources]
# The rollups of appended events, and their sources restricted to given events (by the event's model).
APPENDED = tuple(rollup for rollup in OF_DEALS if rollup.appended)
BY_EVENTS = [
    (rollup, source.event_id.table, source.query([source.event_id.in_(bindparam("ids", expanding=True))]))
    for rollup in APPENDED
    for source in rollup.sources
]


def snapshot(
    connection: Connection,
    deals: Mapping[Rollup, Iterable[int]],
    activity_ids: Iterable[int] = (),
    events: Iterable[StageTransition | DealChange] = (),
) -> Contributions:
    """What these deals add to these rollups now (rollup → deal ids), these activities, and these
    events to the rollups of appended events."""
    sums: Contributions = {}
    activity_ids = sorted(set(activity_ids))
    queries = [
        (rollup, query, activity_ids if source.of_activities else deals.get(rollup, ()))
        for rollup, source, query in BY_IDS
    ]
    events = list(events)
    queries += [(rollup, query, [e.id for e in events if e.__table__ is table]) for rollup, table, query in BY_EVENTS]
    for rollup, query, wanted in queries:
        ids = sorted(set(wanted))
        for start in range(0, len(ids), CHUNK):
            for row in connection.execute(query, {"ids": ids[start : start + CHUNK]}):
                _add_row(sums, rollup, row._mapping)
    return sums


def every(deal_ids: Iterable[int]) -> dict[Rollup, set[int]]:
    """These deals in every rollup of deals."""
    deal_ids = set(deal_ids)
    return {rollup: deal_ids for rollup in OF_DEALS}


def _add_row(sums: Contributions, rollup: Rollup, row: Mapping) -> None:
    values = rollup.record(*(row[name] for name in rollup.values))
    for one in at_day_and_month(rollup, {name: row[name] for name in rollup.source_keys}):
        sums[(rollup, one)] = plus(sums.get((rollup, one)), values)


def apply_change(connection: Connection, before: Contributions, after: Contributions) -> None:
    """Add (after − before) to the stored rows, in key order (so concurrent writers lock rows in the
    same order), and remove the rows that count nothing any more."""
    change: dict[Rollup, list[tuple[tuple, tuple]]] = defaultdict(list)
    for rollup_key in sorted(set(before) | set(after), key=_sort_key):
        values = plus(after.get(rollup_key), before[rollup_key], -1) if rollup_key in before else after[rollup_key]
        if any(values):
            change[rollup_key[0]].append((rollup_key[1], values))
    for rollup in ROLLUPS:
        if rows := change.get(rollup):
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


def _sort_key(rollup_key: tuple[Rollup, tuple]) -> tuple:
    rollup, key = rollup_key
    return rollup.table.name, tuple(str(part) for part in key)


def _add(connection: Connection, rollup: Rollup, rows: list[tuple[tuple, tuple]]) -> None:
    add, remove_empty = _statements(rollup, connection.dialect.name)
    connection.execute(
        add, [dict(zip(rollup.key_columns, key, strict=True)) | values._asdict() for key, values in rows]
    )
    emptied = [key for key, values in rows if rollup.signed or values.count < 0]
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
    counted = rollup.values if rollup.signed else rollup.values[:1]
    return add, delete(table).where(*keys, *[table.c[name] == 0 for name in counted])


class _Pending:
    """What a flush is about to change, and what those rows added before it."""

    def __init__(self) -> None:
        self.deals: dict[Rollup, set[int]] = defaultdict(set)
        self.activity_ids: set[int] = set()
        self.new_rows: list = []
        self.events: list[StageTransition | DealChange] = []  # appended: counted alone in APPENDED
        self.before: Contributions = {}

    def touch(self, deal_id: int | None, rollups: Iterable[Rollup]) -> None:
        if deal_id is not None:
            for rollup in rollups:
                self.deals[rollup].add(deal_id)

    def deal_ids(self) -> set[int]:
        return set().union(*self.deals.values())


PENDING = "rollups.pending"
# What makes an activity recount the deal it belongs to (when the deal went idle).
IDLE_READS = IDLE.activity_reads


def _before_flush(session: Session, _flush_context, _instances) -> None:
    pending = _Pending()
    changed_deals: dict[int, set[str]] = {}
    for row in session.dirty:
        changed = {attribute.key for attribute in inspect(row).attrs if attribute.history.has_changes()}
        if isinstance(row, Deal):
            changed_deals[row.id] = changed
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
    _lock(connection, pending)  # first: no other writer adds an event to these deals meanwhile
    _count_appended(session, connection, pending, changed_deals)
    pending.before = snapshot(connection, pending.deals, pending.activity_ids)
    session.info[PENDING] = pending


def _count_appended(
    session: Session, connection: Connection, pending: _Pending, changed_deals: dict[int, set[str]]
) -> None:
    """The deals whose part of the APPENDED rollups changes only by the events this flush appends after
    all of their events (a move, an amount or owner edit, with its history): only those events are
    counted there, after the flush, instead of the deals before and after. db.history adds the field
    changes before this runs (db/engine.py installs it first)."""
    events: dict[int, list] = defaultdict(list)
    for row in session.new:
        if isinstance(row, StageTransition) or (isinstance(row, DealChange) and row.field in FLOW_FIELDS):
            events[row.deal_id].append(row)
    history_rows = (StageTransition, DealChange)
    rewritten = {row.deal_id for row in session.dirty if isinstance(row, history_rows)}
    rewritten |= {row.deal_id for row in session.deleted if isinstance(row, history_rows)}
    rewritten |= {row.id for row in session.deleted if isinstance(row, Deal)}
    read = frozenset().union(*(rollup.reads for rollup in APPENDED))
    candidates = {
        deal_id
        for deal_id, new in events.items()
        if deal_id is not None
        and deal_id not in rewritten
        and all(deal_id in pending.deals[rollup] for rollup in APPENDED)
        and changed_deals.get(deal_id, set()) & read <= {event.field for event in new if isinstance(event, DealChange)}
    }
    if not candidates:
        return
    ids = sorted(candidates)
    new = [event for deal_id in ids for event in events[deal_id]]
    first_move = min((event.at for event in new if isinstance(event, StageTransition)), default=None)
    first_change = min((event.at for event in new if isinstance(event, DealChange)), default=None)
    # What an existing event comes after (at one moment a field change comes before a move, then the ids).
    moves_after = [StageTransition.at > first_move] if first_move else []
    moves_after += [StageTransition.at >= first_change] if first_change else []
    first = min(moment for moment in (first_move, first_change) if moment)
    later = union(
        select(StageTransition.deal_id).where(StageTransition.deal_id.in_(ids), or_(*moves_after)),
        select(DealChange.deal_id).where(
            DealChange.deal_id.in_(ids), DealChange.field.in_(FLOW_FIELDS), DealChange.at > first
        ),
    )
    candidates -= set(connection.execute(later).scalars())
    for deal_id in candidates:
        pending.events += events[deal_id]
        for rollup in APPENDED:
            pending.deals[rollup].discard(deal_id)


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
    after = snapshot(connection, pending.deals, pending.activity_ids, pending.events)
    apply_change(connection, pending.before, after)


def install(sessions: sessionmaker) -> None:
    """Keep the rollups in every flush of the sessions this factory makes."""
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "after_flush", _after_flush)
