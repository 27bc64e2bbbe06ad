"""The deals' field history, written in the transaction of every write (deal_changes, SPEC §2).

Before a flush, each changed deal's tracked fields become DealChange rows: old and new value, when,
by whom and by what. The writer names itself with `acting` (the user; and the operation when the
change alone cannot tell it: an import, a bulk action, the API); otherwise the operation follows
from what changed (a closed status is a close, an open one after a closed one a reopen, a new stage a
move, a new owner a reassignment, anything else an edit). Writers that bypass the ORM (a bulk UPDATE)
write their rows themselves (`moved_in_bulk`). `install` hooks this on the project's sessionmaker.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Integer, Select, String, cast, event, insert, inspect, literal, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import ChangeOperation, Deal, DealChange, StageKind
from db.types import UTCDateTime

# The deal columns whose changes are kept, in the order a change lists them.
TRACKED = (
    "title",
    "amount",
    "expected_close_date",
    "owner_id",
    "company_id",
    "contact_id",
    "source",
    "region",
    "segment",
    "stage_id",
    "status",
    "lost_reason_id",
)
BASELINE_FIELD = "history"  # the field of a BASELINE row (migration 0013)
_ACTOR, _OPERATION, _AT = "history.actor", "history.operation", "history.at"  # in Session.info


def acting(session: Session, user_id: int | None, *, at: datetime | None = None) -> None:
    """The user of the deal changes this session writes from now on, and their time when it must be
    the same as another row's (a move's transition); otherwise the time of the flush."""
    session.info[_ACTOR] = user_id
    session.info[_AT] = at


def part_of(session: Session, operation: ChangeOperation) -> None:
    """The deal changes this session writes from now on are `operation`'s (an import, a bulk action,
    the API), whatever they change."""
    session.info[_OPERATION] = operation


def encoded(value: Any) -> str | None:
    """A field's value as deal_changes stores it."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def operation_of(changed: dict[str, tuple[Any, Any]]) -> ChangeOperation:
    """What a change was, from the fields it changed: field → (old, new)."""
    if "status" in changed:
        old, new = changed["status"]
        return ChangeOperation.REOPEN if new == StageKind.OPEN and old != StageKind.OPEN else ChangeOperation.CLOSE
    if "stage_id" in changed:
        return ChangeOperation.MOVE
    if "owner_id" in changed:
        return ChangeOperation.REASSIGN
    return ChangeOperation.EDIT


def _changed(deal: Deal) -> dict[str, tuple[Any, Any]]:
    state = inspect(deal)
    found = {}
    for name in TRACKED:
        history = state.attrs[name].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            if encoded(old) != encoded(getattr(deal, name)):
                found[name] = (old, getattr(deal, name))
    return found


def _before_flush(session: Session, _flush_context, _instances) -> None:
    now = session.info.get(_AT)
    for deal in [row for row in session.dirty if isinstance(row, Deal)]:
        changed = _changed(deal)
        if not changed:
            continue
        now = now or datetime.now(UTC)
        operation = session.info.get(_OPERATION) or operation_of(changed)
        session.add_all(
            DealChange(
                deal_id=deal.id,
                field=name,
                old_value=encoded(old),
                new_value=encoded(new),
                at=now,
                by_user_id=session.info.get(_ACTOR),
                operation=operation,
            )
            for name, (old, new) in changed.items()
        )


def moved_in_bulk(
    session: Session, moved: Select, target_stage_id: int, at: datetime, user_id: int, operation: ChangeOperation
) -> None:
    """For a bulk UPDATE that moves deals into `target_stage_id`: their stage changes. `moved` selects
    (deal id, stage id) of the deals before the update."""
    deal_id, stage_id = moved.selected_columns
    rows = moved.with_only_columns(
        deal_id,
        literal("stage_id", String),
        cast(stage_id, String),
        literal(str(target_stage_id), String),
        literal(at, UTCDateTime()),
        literal(user_id, Integer),
        literal(operation.value, String),
    )
    columns = ["deal_id", "field", "old_value", "new_value", "at", "by_user_id", "operation"]
    session.execute(insert(DealChange).from_select(columns, rows))


def baseline(session: Session, at: datetime | None = None) -> None:
    """Mark every deal as known from `at` (now) on: its values before are not known (a BASELINE row
    each; migration 0013 writes the same for the deals of an upgraded database)."""
    rows = select(
        Deal.id,
        literal(BASELINE_FIELD, String),
        literal(at or datetime.now(UTC), UTCDateTime()),
        literal(ChangeOperation.BASELINE.value, String),
    )
    session.execute(insert(DealChange).from_select(["deal_id", "field", "at", "operation"], rows))


def install(sessions: sessionmaker) -> None:
    """Keep the field history in every flush of the sessions this factory makes."""
    event.listen(sessions, "before_flush", _before_flush)
