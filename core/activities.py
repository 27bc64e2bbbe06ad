"""Calls, meetings, tasks and emails: logged when done, or planned with a due time."""

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import deals
from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.permissions import Actor, require_owner_or_admin
from core.validation import clean_text, clean_timestamp
from db.models import Activity, ActivityKind, Deal, User

MAX_RESULT_LENGTH = 4000


def log_activity(
    session: Session,
    actor: Actor,
    *,
    kind: ActivityKind | str,
    subject: str,
    deal_id: int | None = None,
    result: str | None = None,
    owner_id: int | None = None,
) -> int:
    """Record an activity done just now (a call made, a meeting held)."""
    now = utcnow()
    return _create(session, actor, kind, subject, deal_id, owner_id, due_at=None, done_at=now, result=result)


def plan_activity(
    session: Session,
    actor: Actor,
    *,
    kind: ActivityKind | str,
    subject: str,
    due_at: datetime,
    deal_id: int | None = None,
    owner_id: int | None = None,
) -> int:
    return _create(session, actor, kind, subject, deal_id, owner_id, due_at=due_at, done_at=None, result=None)


def complete_activity(session: Session, actor: Actor, activity_id: int, *, result: str | None = None) -> None:
    activity = _get_for_write(session, actor, activity_id, action="complete_activity")
    errors: dict[str, Message] = {}
    clean_result = clean_text(errors, "result", result, max_length=MAX_RESULT_LENGTH, multiline=True)
    if activity.done_at is not None:
        errors["done_at"] = Message("activity.already_done")
    if errors:
        raise ValidationError(errors)
    activity.done_at = utcnow()
    activity.result = clean_result


def reschedule_activity(session: Session, actor: Actor, activity_id: int, *, due_at: datetime) -> None:
    activity = _get_for_write(session, actor, activity_id, action="reschedule_activity")
    errors: dict[str, Message] = {}
    clean_due = clean_timestamp(errors, "due_at", due_at, required=True)
    if activity.done_at is not None:
        errors["due_at"] = Message("activity.done_not_rescheduled")
    if errors:
        raise ValidationError(errors)
    activity.due_at = clean_due


def _create(
    session: Session,
    actor: Actor,
    kind: ActivityKind | str,
    subject: str,
    deal_id: int | None,
    owner_id: int | None,
    *,
    due_at: datetime | None,
    done_at: datetime | None,
    result: str | None,
) -> int:
    errors: dict[str, Message] = {}
    try:
        clean_kind = ActivityKind(kind)
    except ValueError:
        errors["kind"] = Message("one_of", choices=", ".join(k.value for k in ActivityKind))
    clean_subject = clean_text(errors, "subject", subject, required=True)
    clean_result = clean_text(errors, "result", result, max_length=MAX_RESULT_LENGTH, multiline=True)
    if done_at is None:
        due_at = clean_timestamp(errors, "due_at", due_at, required=True)
    deal = None
    if deal_id is not None:
        deal = session.get(Deal, deal_id)
        if deal is None:
            raise NotFound(Message("not_found.deal", id=deal_id))
        require_owner_or_admin(actor, deal.owner_id, action="add_deal_activities")
    owner_id = owner_id or (deal.owner_id if deal else actor.id)
    require_owner_or_admin(actor, owner_id, action="add_activities_for_others")
    owner = session.get(User, owner_id) if owner_id is not None else None
    if owner is None or not owner.is_active:
        errors["owner_id"] = Message("choose_active_user")
    if errors:
        raise ValidationError(errors)
    activity = Activity(
        kind=clean_kind,
        subject=clean_subject,
        deal_id=deal_id,
        owner_id=owner_id,
        due_at=due_at,
        done_at=done_at,
        result=clean_result,
        created_at=utcnow(),
    )
    session.add(activity)
    session.flush()
    return activity.id


def _get_for_write(session: Session, actor: Actor, activity_id: int, *, action: str) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise NotFound(Message("not_found.activity", id=activity_id))
    require_owner_or_admin(actor, activity.owner_id, action=action)
    return activity


ACTIVITY_COLUMNS = ["id", "kind", "subject", "due_at", "done_at", "result", "owner_id"]


def deal_activities(session: Session, actor: Actor, deal_id: int) -> pd.DataFrame:
    """A deal's activities: the ones to do first (by due time), then the done ones, latest first."""
    deals.get_deal(session, actor, deal_id)  # the same visibility as the deal itself
    rows = session.execute(
        select(
            Activity.id,
            Activity.kind,
            Activity.subject,
            Activity.due_at,
            Activity.done_at,
            Activity.result,
            Activity.owner_id,
        )
        .where(Activity.deal_id == deal_id)
        .order_by(Activity.done_at.is_not(None), Activity.due_at, Activity.done_at.desc(), Activity.id)
    ).all()
    return pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)
