"""In-app notifications: what a user is told (a deal of theirs entered a stage that says so), with
the count of the unread ones in the sidebar."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.permissions import Actor
from db.models import Notification

MAX_LISTED = 100


@dataclass(frozen=True)
class NotificationInfo:
    id: int
    kind: str
    deal_id: int | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


def notify(session: Session, user_id: int, kind: str, deal_id: int | None = None, **data: Any) -> None:
    session.add(Notification(user_id=user_id, deal_id=deal_id, kind=kind, data=data, created_at=utcnow()))


def unread_count(session: Session, actor: Actor) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    )


def list_notifications(session: Session, actor: Actor, *, limit: int = MAX_LISTED) -> list[NotificationInfo]:
    """The actor's notifications, the unread first, each newest first."""
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == actor.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [NotificationInfo(n.id, n.kind, n.deal_id, dict(n.data), n.created_at, n.read_at) for n in rows]


def mark_read(session: Session, actor: Actor, notification_ids: list[int] | None = None) -> None:
    """The actor's notifications (those given, or all) read now."""
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    session.execute(query.values(read_at=utcnow()))
