"""What happens on its own when a deal enters a stage, or stays in one too long, as the stage says
(`Stage.automation`, set in the stage editor):

- `notify_owner`: the deal's owner is notified in the app when it enters the stage, and by e-mail
  when they have an address (sent when SMTP is configured);
- `webhook_ids`: these webhooks are told of each entry into the stage (as those that asked for
  every `deal.stage_entered` are);
- `idle_days` and `idle_task`: a deal in the stage that long with no activity (none created, none
  done) gets that task for its owner, once a stay (the worker looks every few minutes).

Every entry (and a new deal, a reassignment) is also an event for the webhooks that asked for it
(core.outbox), written in the same transaction as the change.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from core import notifications, outbox
from core.messages import Message
from core.validation import clean_count, clean_text
from db.models import Activity, ActivityKind, Deal, Stage, StageKind, User, Webhook

MAX_IDLE_DAYS = 365
IDLE_TASK_DUE = timedelta(days=1)
_CLOSING = {StageKind.WON: "deal.won", StageKind.LOST: "deal.lost"}


def clean(session: Session, errors: dict[str, Message], automation: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stage's automation as stored: None when it does nothing."""
    if not automation:
        return None
    notify = bool(automation.get("notify_owner"))
    hooks = list(dict.fromkeys(automation.get("webhook_ids") or []))
    known = set(session.scalars(select(Webhook.id).where(Webhook.id.in_(hooks)))) if hooks else set()
    if any(hook not in known for hook in hooks):
        errors["webhook_ids"] = Message("automation.webhooks")
    idle_days = clean_count(errors, "idle_days", automation.get("idle_days"), required=False)
    if idle_days is not None and not 1 <= idle_days <= MAX_IDLE_DAYS:
        errors["idle_days"] = Message("automation.idle_days", maximum=MAX_IDLE_DAYS)
    title = clean_text(errors, "idle_task", automation.get("idle_task"), required=idle_days is not None)
    if idle_days is None and title is not None:
        errors["idle_days"] = Message("automation.idle_days_for_task")
    if not notify and idle_days is None and not hooks:
        return None
    rules = {"notify_owner": notify, "idle_days": idle_days, "idle_task": title if idle_days else None}
    return rules | ({"webhook_ids": hooks} if hooks else {})


def entered(session: Session, deal: Deal, source: Stage | None, target: Stage) -> None:
    """`deal` has just entered `target` (from `source`; none: it was created there)."""
    if (target.automation or {}).get("notify_owner"):
        told = {"title": deal.title, "stage": target.name}
        notifications.notify(session, deal.owner_id, "stage_entered", deal.id, **told)
        email = session.scalar(select(User.email).where(User.id == deal.owner_id))
        if email:
            outbox.mail(session, email, "stage_entered", deal.id, **told)
    if source is None:
        outbox.emit(session, "deal.created", deal, target)
        return
    called = (target.automation or {}).get("webhook_ids", ())
    outbox.emit(session, "deal.stage_entered", deal, target, also=called, from_stage_id=source.id)
    if target.kind in _CLOSING:
        outbox.emit(session, _CLOSING[target.kind], deal, target, from_stage_id=source.id)


def reassigned(session: Session, deal: Deal, from_owner_id: int) -> None:
    outbox.emit(session, "deal.reassigned", deal, deal.stage, from_owner_id=from_owner_id)


def _idle_rules(session: Session) -> list[tuple[Stage, dict]]:
    stages = session.scalars(select(Stage).where(Stage.deleted_at.is_(None), Stage.automation.is_not(None)))
    return [(stage, stage.automation) for stage in stages if (stage.automation or {}).get("idle_days")]


def has_idle_rules(session: Session) -> bool:
    return bool(_idle_rules(session))


def idle_tasks(session: Session, now: datetime) -> int:
    """Give each deal idle too long in a stage that says so its task; returns how many were given."""
    given = 0
    for stage, rule in _idle_rules(session):
        since = now - timedelta(days=int(rule["idle_days"]))
        recent = exists(
            select(Activity.id).where(
                Activity.deal_id == Deal.id, or_(Activity.created_at >= since, Activity.done_at >= since)
            )
        )
        given_this_stay = exists(
            select(Activity.id).where(
                Activity.deal_id == Deal.id,
                Activity.subject == rule["idle_task"],
                Activity.created_at >= Deal.stage_entered_at,
            )
        )
        idle = session.execute(
            select(Deal.id, Deal.owner_id).where(
                Deal.stage_id == stage.id, Deal.stage_entered_at <= since, ~recent, ~given_this_stay
            )
        ).all()
        for deal_id, owner_id in idle:
            session.add(
                Activity(
                    kind=ActivityKind.TASK,
                    subject=rule["idle_task"],
                    deal_id=deal_id,
                    owner_id=owner_id,
                    due_at=now + IDLE_TASK_DUE,
                    created_at=now,
                )
            )
        given += len(idle)
    return given
