"""The deals' events, for other systems, and the app's e-mails: written to the outbox in the same
transaction as the change, with a delivery for each active webhook that asked for the event, or for
the e-mail's address (the worker sends them: core.webhooks)."""

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from db.models import Deal, Delivery, DeliveryStatus, OutboxEvent, Stage, Webhook

EVENTS = ("deal.created", "deal.stage_entered", "deal.won", "deal.lost", "deal.reassigned")


def emit(session: Session, event: str, deal: Deal, stage: Stage, *, also: Collection[int] = (), **extra) -> int | None:
    """Tell the webhooks that asked for `event` (and those of `also`, a stage's) what happened to
    `deal` (now in `stage`). Returns the outbox row's id, or None when no webhook is to be told
    (nothing is written then)."""
    active = session.scalars(select(Webhook).where(Webhook.is_active.is_(True)))
    hooks = [hook for hook in active if event in hook.events or hook.id in also]
    if not hooks:
        return None
    now = utcnow()
    payload = {
        "deal": {
            "id": deal.id,
            "title": deal.title,
            "amount": f"{deal.amount:.2f}",
            "pipeline_id": deal.pipeline_id,
            "stage_id": stage.id,
            "stage": stage.name,
            "status": deal.status.value,
            "owner_id": deal.owner_id,
            "external_id": deal.external_id,
        },
        **extra,
    }
    row = OutboxEvent(event=event, deal_id=deal.id, payload=payload, created_at=now)
    session.add(row)
    session.flush()
    for hook in hooks:
        session.add(
            Delivery(
                outbox_id=row.id,
                webhook_id=hook.id,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return row.id


def mail(session: Session, to: str, kind: str, deal_id: int | None, **data) -> None:
    """An e-mail of a notification (core.mail), sent by the worker after the commit."""
    now = utcnow()
    row = OutboxEvent(
        event=f"notification.{kind}", deal_id=deal_id, payload={"kind": kind, "data": data}, created_at=now
    )
    session.add(row)
    session.flush()
    session.add(
        Delivery(
            outbox_id=row.id,
            email_to=to,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
