"""The data version: bumped in the transaction of every change the dashboards show, so an open page
can poll one row and recompute only when it moved (several app instances share it through the DB)."""

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Activity, DataVersion, Deal, Pipeline, Plan, Stage, StageTransition

WATCHED = (Deal, StageTransition, Activity, Stage, Pipeline, Plan)


def bump(session: Session) -> None:
    session.execute(update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1))


def current(session: Session) -> int:
    return session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


def _bump_when_watched_rows_change(session: Session, _flush_context, _instances) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, WATCHED) for row in changed):
        bump(session)


def install(sessions: sessionmaker) -> None:
    """Bump the version in every flush of the sessions this factory makes that changes a watched row."""
    event.listen(sessions, "before_flush", _bump_when_watched_rows_change)
