"""Outgoing webhooks: admins say where the deals' events go; the worker delivers them.

A delivery is a POST of the event as JSON, signed: `X-Funnel-Timestamp` (Unix seconds) and
`X-Funnel-Signature: sha256=<hex>`, the HMAC-SHA256 with the webhook's secret of the timestamp, a dot
and the body. `X-Funnel-Delivery` is the delivery's id: the same on every attempt, so a receiver
that got it already can tell. An answer other than 2xx, or none within DELIVERY_TIMEOUT_S, is tried
again later (RETRY_FIRST, doubling, at most RETRY_MOST apart) for a day from the event; after that
the delivery is given up (failed) and an admin may send it again. Every attempt is logged.

Several workers (threads or processes) share the work: each takes a few due deliveries for
LEASE at a time (on PostgreSQL with FOR UPDATE SKIP LOCKED, so two never take the same; on SQLite
under the write lock), so an event is delivered once, and a worker that dies mid-delivery leaves it
to be taken again when its lease runs out: at least once, never lost.
"""

import hashlib
import hmac
import json
import secrets
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.mail import Mailer
from core.messages import Message
from core.outbox import EVENTS
from core.permissions import Actor, require_role
from core.validation import clean_text
from db.engine import transaction, write
from db.models import Delivery, DeliveryAttempt, DeliveryStatus, OutboxEvent, Role, Webhook

DELIVERY_TIMEOUT_S = 10
SMTP_OK = 250  # an e-mail's delivery logs the SMTP server's "OK" as its answer
NO_SMTP = "SMTP is not configured (SMTP_HOST): the e-mail waits, and is given up after a day"
BATCH = 5  # deliveries a worker takes at once
# A worker sends its batch one after another, each within the timeout (an e-mail's is the same): the
# lease outlasts the whole batch, so no other worker takes one of them while it is still in hand.
LEASE = timedelta(seconds=DELIVERY_TIMEOUT_S * BATCH + 30)
RETRY_FIRST = timedelta(seconds=30)
RETRY_MOST = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=1)
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    url: str
    events: tuple[str, ...]
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    event: str
    deal_id: int | None
    url: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class AttemptInfo:
    at: datetime
    status_code: int | None  # None: no answer (the error says why)
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    url: str
    secret: str
    event: str
    body: bytes
    email_to: str | None = None
    payload: dict | None = None
    deal_id: int | None = None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """What `X-Funnel-Signature` carries for this body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def create_webhook(session: Session, actor: Actor, url: str, events: list[str]) -> tuple[int, str]:
    """A new webhook; returns its id and its secret (shown to the admin, who gives it to the receiver)."""
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    errors: dict[str, Message] = {}
    clean_url = clean_text(errors, "url", url, required=True, max_length=500)
    if clean_url is not None:
        address = urlsplit(clean_url)
        if address.scheme not in ("http", "https") or not address.netloc:
            errors["url"] = Message("webhook.url")
    chosen = list(dict.fromkeys(events or []))  # none: only the stages that name it call it
    if any(event not in EVENTS for event in chosen):
        errors["events"] = Message("choose_one_of", choices=", ".join(EVENTS))
    if errors:
        raise ValidationError(errors)
    secret = secrets.token_urlsafe(24)
    hook = Webhook(url=clean_url, events=chosen, secret=secret, is_active=True, created_at=utcnow())
    session.add(hook)
    session.flush()
    return hook.id, secret


def set_active(session: Session, actor: Actor, webhook_id: int, active: bool) -> None:
    """Stop (or start again) telling a webhook of events; the deliveries already due still go."""
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    hook = session.get(Webhook, webhook_id)
    if hook is None:
        raise NotFound(Message("not_found.webhook", id=webhook_id))
    hook.is_active = active


def list_webhooks(session: Session, actor: Actor) -> list[WebhookInfo]:
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    hooks = session.scalars(select(Webhook).order_by(Webhook.id))
    return [WebhookInfo(h.id, h.url, tuple(h.events), h.is_active, h.created_at) for h in hooks]


def list_deliveries(session: Session, actor: Actor, *, limit: int = 200) -> list[DeliveryInfo]:
    """The newest deliveries first, each with its last answer."""
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    rows = session.execute(
        select(Delivery, OutboxEvent.event, OutboxEvent.deal_id, Webhook.url)
        .join(OutboxEvent, OutboxEvent.id == Delivery.outbox_id)
        .outerjoin(Webhook, Webhook.id == Delivery.webhook_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    ).all()
    return [
        DeliveryInfo(
            d.id,
            event,
            deal_id,
            url if url is not None else f"mailto:{d.email_to}",
            d.status,
            d.attempts,
            d.last_status_code,
            d.last_error,
            d.next_attempt_at,
            d.delivered_at,
            d.created_at,
        )
        for d, event, deal_id, url in rows
    ]


def delivery_attempts(session: Session, actor: Actor, delivery_id: int) -> list[AttemptInfo]:
    """A delivery's attempts, oldest first."""
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    rows = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)
    ).all()
    return [AttemptInfo(a.at, a.status_code, a.error, a.duration_ms) for a in rows]


def resend(session: Session, actor: Actor, delivery_id: int, *, now: datetime | None = None) -> None:
    """Send a delivery again (a given-up one, or one delivered that the receiver lost): due now, for
    another day of attempts."""
    require_role(actor, Role.ADMIN, action="manage_webhooks")
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(Message("not_found.delivery", id=delivery_id))
    now = now or utcnow()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.created_at = now  # the day of retries counts from here
    delivery.locked_until = None


def _due(now: datetime):
    return (
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
    )


def _claim(engine: Engine, now: datetime, limit: int) -> list[_Job]:
    """Up to `limit` deliveries due now, taken for LEASE; asked first without the write lock, so an
    idle worker never takes it."""
    with transaction(engine) as session:
        if session.scalar(_due(now).with_only_columns(Delivery.id).limit(1)) is None:
            return []

    def claim(session: Session) -> list[_Job]:
        due = _due(now).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        jobs = []
        for delivery in session.scalars(due).all():
            delivery.locked_until = now + LEASE
            event = session.get(OutboxEvent, delivery.outbox_id)
            if delivery.email_to is not None:
                jobs.append(
                    _Job(delivery.id, "", "", event.event, b"", delivery.email_to, dict(event.payload), event.deal_id)
                )
                continue
            hook = session.get(Webhook, delivery.webhook_id)
            body = {
                "id": event.id,
                "event": event.event,
                "created_at": event.created_at.isoformat(),
                "data": event.payload,
            }
            jobs.append(_Job(delivery.id, hook.url, hook.secret, event.event, json.dumps(body).encode()))
        return jobs

    return write(engine, claim)


def _mail(mailer: Mailer | None, job: _Job) -> tuple[int | None, str | None, int]:
    if mailer is None:
        return None, NO_SMTP, 0
    started = time.perf_counter()
    try:
        mailer.send(mailer.message(job.email_to, job.payload["kind"], job.deal_id, job.payload["data"]))
    except (smtplib.SMTPException, OSError) as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH], _ms(started)
    return SMTP_OK, None, _ms(started)


def _send(client: httpx.Client, job: _Job) -> tuple[int | None, str | None, int]:
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "sales-funnel-webhooks/1",
        "X-Funnel-Event": job.event,
        "X-Funnel-Delivery": str(job.delivery_id),
        "X-Funnel-Timestamp": timestamp,
        "X-Funnel-Signature": signature(job.secret, timestamp, job.body),
    }
    started = time.perf_counter()
    try:
        answer = client.post(job.url, content=job.body, headers=headers, timeout=DELIVERY_TIMEOUT_S)
    except httpx.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH], _ms(started)
    error = None if answer.is_success else answer.text[:MAX_ERROR_LENGTH] or answer.reason_phrase
    return answer.status_code, error, _ms(started)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _record(engine: Engine, now: datetime, job: _Job, code: int | None, error: str | None, duration_ms: int) -> None:
    def record(session: Session) -> None:
        delivery = session.get(Delivery, job.delivery_id)
        session.add(
            DeliveryAttempt(delivery_id=delivery.id, at=now, status_code=code, error=error, duration_ms=duration_ms)
        )
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = code, error
        delivery.locked_until = None
        if code is not None and 200 <= code < 300:  # an e-mail sent: SMTP_OK
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        elif now - delivery.created_at >= GIVE_UP_AFTER:
            delivery.status = DeliveryStatus.FAILED
        else:
            delay = min(RETRY_FIRST * 2 ** (delivery.attempts - 1), RETRY_MOST)
            delivery.next_attempt_at = now + delay

    write(engine, record)


def deliver_due(
    engine: Engine,
    client: httpx.Client,
    *,
    mailer: Mailer | None = None,
    now: datetime | None = None,
    limit: int = BATCH,
) -> int:
    """Take the deliveries due at `now` (a few at a time), send each (an e-mail through `mailer`) and
    record how it went; returns how many were attempted."""
    now = now or utcnow()
    jobs = _claim(engine, now, limit)
    for job in jobs:
        _record(engine, now, job, *(_mail(mailer, job) if job.email_to else _send(client, job)))
    return len(jobs)
