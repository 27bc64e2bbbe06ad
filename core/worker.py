"""The worker: delivers the webhooks' events (core.webhooks) and gives idle deals their tasks
(core.automation), every few seconds, until told to stop. The app starts one in each process
(server.py's lifespan); `python -m cli worker` runs one alone. Any number may run at once."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from core import automation, webhooks
from core.clock import utcnow
from core.mail import Mailer
from core.settings import Settings
from db.engine import transaction, write

IDLE_EVERY_S = 300  # how often idle deals are looked for
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
log = logging.getLogger(__name__)


def step(
    engine: Engine,
    client: httpx.Client,
    *,
    mailer: Mailer | None = None,
    now: datetime | None = None,
    idle: bool = True,
) -> int:
    """One round: every delivery due now (a batch at a time), then the idle tasks when `idle`.
    Returns how many deliveries were attempted."""
    attempted = 0
    while sent := webhooks.deliver_due(engine, client, mailer=mailer, now=now):
        attempted += sent
    if idle:
        with transaction(engine) as session:
            rules = automation.has_idle_rules(session)
        if rules:  # the write lock only when a stage has a rule
            write(engine, lambda session: automation.idle_tasks(session, now or utcnow()))
    return attempted


def mailer_of(settings: Settings) -> Mailer | None:
    return None if settings.smtp is None else Mailer(settings.smtp, settings.app_url, settings.language)


def run(engine: Callable[[], Engine], settings: Settings, stop: threading.Event, *, every_s: float = 2.0) -> None:
    """Rounds until `stop` is set, on the database `engine()` gives (asked for each round: the app's
    is made, and migrated, on first use); one that does not answer is tried again next round."""
    idle_due = 0.0
    mailer = mailer_of(settings)
    with httpx.Client(follow_redirects=False) as client:
        while not stop.is_set():
            idle = time.monotonic() >= idle_due
            try:
                step(engine(), client, mailer=mailer, idle=idle)
            except DATABASE_UNAVAILABLE as error:
                log.warning("worker: the database did not answer (%s); trying again", error)
            else:
                if idle:
                    idle_due = time.monotonic() + IDLE_EVERY_S
            stop.wait(every_s)
