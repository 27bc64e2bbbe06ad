"""The change marker: moved in the transaction of every change the dashboards show, so an open page can
poll one number and recompute only when it moved (several app instances share it through the DB).

The marker is the sum of SLOTS counter rows (data_version, migration 0011). A change adds 1 to one
row chosen at random for its transaction, so writers of different deals rarely wait for each other
(one row serialised every PostgreSQL writer), and the bump commits with the change or not at all:
a reader never sees the new marker before the data it stands for. Every commit raises the sum, and
a later snapshot sees every commit an earlier one saw, so figures read after the marker include at
least what the marker says, and equal markers mean equal data.

Never a sequence or another counter outside the transaction: a reader could read the new marker
while the writer has not committed, compute the old figures and keep them under the new marker.
"""

import random

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Activity, DataVersion, Deal, Pipeline, Plan, Stage, StageTransition

WATCHED = (Deal, StageTransition, Activity, Stage, Pipeline, Plan)
SLOTS = 64  # rows 1..SLOTS of data_version; ~8 writers at once meet on one row rarely
_SLOT_KEY = "data_version_slot"  # in Session.info: (the transaction, its slot)


def bump(session: Session) -> None:
    """Move the marker in the session's transaction (it shows when that commits)."""
    slot = _slot_of(session)
    session.execute(update(DataVersion).where(DataVersion.id == slot).values(version=DataVersion.version + 1))


def current(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(DataVersion.version), 0))))


def _slot_of(session: Session) -> int:
    """One slot for the whole transaction: two transactions that each flushed twice into two random
    rows could lock them in opposite orders and deadlock."""
    session.connection()  # begins the transaction if it has not begun
    transaction = session.get_transaction()
    held = session.info.get(_SLOT_KEY)
    if held is None or held[0] is not transaction:
        held = (transaction, random.randint(1, SLOTS))
        session.info[_SLOT_KEY] = held
    return held[1]


def _bump_when_watched_rows_change(session: Session, _flush_context, _instances) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, WATCHED) for row in changed):
        bump(session)


def install(sessions: sessionmaker) -> None:
    """Move the marker in every flush of the sessions this factory makes that changes a watched row."""
    event.listen(sessions, "before_flush", _bump_when_watched_rows_change)
