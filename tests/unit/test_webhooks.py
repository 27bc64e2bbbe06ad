"""Outgoing webhooks and the worker, on SQLite and PostgreSQL, against a local HTTP receiver: signed
deliveries, retries with back-off, giving up and sending again, two worker processes delivering each
event once, a worker killed mid-delivery losing nothing; the outbox written with the change only."""

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text

from core import deals, pipelines, stage_editor, users, webhooks, worker
from core.clock import utcnow
from core.errors import ValidationError
from core.permissions import Actor
from core.settings import Settings, Smtp
from db.engine import transaction, write
from db.models import Delivery, DeliveryStatus, OutboxEvent, Pipeline, Role
from deploy.floor import free_port
from tests.conftest import POSTGRES_URL

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a request still held when the test ends is dropped, not waited for


class Receiver:
    """An HTTP server on a free port that records every POST and answers `codes` in turn (then 200);
    `hold` keeps a request waiting that many seconds before answering."""

    def __init__(self, codes=(), hold: float = 0.0) -> None:
        self.codes, self.hold, self.received = list(codes), hold, []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                time.sleep(receiver.hold)
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b"ok" if code == 200 else b"not now")

            def log_message(self, *_args):
                pass

        self.server = _Server(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(codes=(), hold=0.0) -> Receiver:
        made.append(Receiver(codes, hold))
        return made[-1]

    yield make
    for each in made:
        each.close()


def _company(engine):
    """An admin, a manager and the B2B pipeline, committed: (admin, manager, stage ids by name)."""
    with transaction(engine, write=True) as session:
        system = Actor.system()
        admin_id = users.create_user(
            session,
            system,
            login="root",
            display_name="Root",
            role=Role.ADMIN,
            password="",
            password_hash=users.NO_PASSWORD_HASH,
        )
        manager_id = users.create_user(
            session,
            system,
            login="anna",
            display_name="Anna",
            role=Role.MANAGER,
            password="",
            password_hash=users.NO_PASSWORD_HASH,
        )
        pipeline_id = pipelines.create_from_template(session, system, "b2b_classic", "en")
        stages = {s.name: s.id for s in pipelines.list_stages(session, pipeline_id)}
    return Actor(admin_id, Role.ADMIN), Actor(manager_id, Role.MANAGER), pipeline_id, stages


def _hook(engine, admin, url, events=("deal.stage_entered",)) -> str:
    return write(engine, lambda s: webhooks.create_webhook(s, admin, url, list(events)))[1]


def _moved_deal(engine, manager, pipeline_id, stages, title="Acme") -> int:
    def act(session):
        deal_id = deals.create_deal(session, manager, pipeline_id=pipeline_id, fields={"title": title})
        deals.move_deal(session, manager, deal_id, stages["Presentation"], 1)
        return deal_id

    return write(engine, act)


def _deliveries(engine) -> list[Delivery]:
    with transaction(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        session.expunge_all()
    return rows


def test_a_delivery_is_signed_with_the_secret_and_logged(fresh_engine, receiver):
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    hook = receiver()
    secret = _hook(fresh_engine, admin, hook.url)
    deal_id = _moved_deal(fresh_engine, manager, pipeline_id, stages)

    with httpx.Client() as client:
        assert worker.step(fresh_engine, client, idle=False) == 1

    ((headers, body),) = hook.received
    assert headers["X-Funnel-Signature"] == webhooks.signature(secret, headers["X-Funnel-Timestamp"], body)
    assert headers["X-Funnel-Signature"] != webhooks.signature("another secret", headers["X-Funnel-Timestamp"], body)
    assert abs(int(headers["X-Funnel-Timestamp"]) - time.time()) < 60
    sent = json.loads(body)
    assert (sent["event"], sent["data"]["deal"]["id"], sent["data"]["deal"]["stage"]) == (
        "deal.stage_entered",
        deal_id,
        "Presentation",
    )
    assert sent["data"]["from_stage_id"] == stages["Qualification"]
    (delivery,) = _deliveries(fresh_engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert headers["X-Funnel-Delivery"] == str(delivery.id)
    with transaction(fresh_engine) as session:
        attempts = webhooks.delivery_attempts(session, admin, delivery.id)
    assert [(a.status_code, a.error) for a in attempts] == [(200, None)]


def test_a_receiver_failing_twice_then_answering_gets_the_event_exactly_once_more(fresh_engine, receiver):
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    hook = receiver(codes=[500, 503])
    _hook(fresh_engine, admin, hook.url)
    _moved_deal(fresh_engine, manager, pipeline_id, stages)
    start = utcnow()

    with httpx.Client() as client:
        for seconds in (0, 1, 29, 31, 60, 91, 95, 3600, 7200):  # the retries are due 30 s, then 60 s later
            worker.step(fresh_engine, client, now=start + timedelta(seconds=seconds), idle=False)

    assert len(hook.received) == 3
    assert len({headers["X-Funnel-Delivery"] for headers, _ in hook.received}) == 1
    (delivery,) = _deliveries(fresh_engine)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 3)
    with transaction(fresh_engine) as session:
        codes = [a.status_code for a in webhooks.delivery_attempts(session, admin, delivery.id)]
    assert codes == [500, 503, 200]


def test_a_delivery_is_given_up_after_a_day_and_sent_again_by_an_admin(fresh_engine, receiver):
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    hook = receiver(codes=[500] * 30)
    _hook(fresh_engine, admin, hook.url)
    _moved_deal(fresh_engine, manager, pipeline_id, stages)
    start = utcnow()

    with httpx.Client() as client:
        for hours in range(0, 26):
            worker.step(fresh_engine, client, now=start + timedelta(hours=hours, seconds=1), idle=False)
        (failed,) = _deliveries(fresh_engine)
        assert failed.status == DeliveryStatus.FAILED and failed.attempts < 30
        tried = len(hook.received)
        worker.step(fresh_engine, client, now=start + timedelta(days=3), idle=False)
        assert len(hook.received) == tried  # given up: no more attempts

        hook.codes = []
        write(fresh_engine, lambda s: webhooks.resend(s, admin, failed.id))
        worker.step(fresh_engine, client, idle=False)

    assert _deliveries(fresh_engine)[0].status == DeliveryStatus.DELIVERED
    assert len(hook.received) == tried + 1


def test_a_taken_batch_stays_taken_while_its_last_delivery_may_still_be_in_hand(fresh_engine):
    """Each delivery of a batch may take the whole timeout: another worker must not take the last one
    while the first is still sending it."""
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    _hook(fresh_engine, admin, "http://127.0.0.1:9/unused")
    for n in range(webhooks.BATCH + 1):
        _moved_deal(fresh_engine, manager, pipeline_id, stages, title=f"Deal {n}")
    now = utcnow()

    first = webhooks._claim(fresh_engine, now, webhooks.BATCH)
    last_sent_by = now + timedelta(seconds=webhooks.DELIVERY_TIMEOUT_S * webhooks.BATCH)
    second = webhooks._claim(fresh_engine, last_sent_by, webhooks.BATCH)

    assert len(first) == webhooks.BATCH
    assert {job.delivery_id for job in second} & {job.delivery_id for job in first} == set()
    assert len(second) == 1  # only the one the first worker did not take


def test_an_unreachable_receiver_is_an_attempt_with_its_error(fresh_engine):
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    _hook(fresh_engine, admin, f"http://127.0.0.1:{free_port()}/nobody")
    _moved_deal(fresh_engine, manager, pipeline_id, stages)

    with httpx.Client() as client:
        worker.step(fresh_engine, client, idle=False)

    (delivery,) = _deliveries(fresh_engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    assert "ConnectError" in delivery.last_error
    assert delivery.next_attempt_at > utcnow() + timedelta(seconds=20)


def test_the_outbox_is_written_with_the_change_only_and_for_the_events_asked(session, world):
    assert webhooks.create_webhook(session, world.admin, "https://example.com/h", ["deal.won", "deal.created"])
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    deals.close_won(session, world.anna, deal_id, 2)

    events = session.scalars(select(OutboxEvent.event).order_by(OutboxEvent.id)).all()
    assert events == ["deal.created", "deal.won"]  # stage_entered was not asked for
    assert session.scalar(select(func.count()).select_from(Delivery)) == 2

    with pytest.raises(ValidationError), session.begin_nested():
        moved = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "E"})
        deals.move_deal(session, world.anna, moved, world.stages["Commercial proposal"], 1)  # needs an amount
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 2  # the undone create told nobody


@pytest.mark.parametrize(
    ("url", "events", "field"),
    [
        ("", ["deal.won"], "url"),
        ("ftp://example.com/h", ["deal.won"], "url"),
        ("https://", ["deal.won"], "url"),
        ("https://example.com/h", ["deal.burned"], "events"),
    ],
)
def test_a_bad_webhook_is_refused_naming_the_field(session, world, url, events, field):
    with pytest.raises(ValidationError) as raised:
        webhooks.create_webhook(session, world.admin, url, events)
    assert field in raised.value.errors


def test_a_stage_calls_the_webhooks_it_names_on_entry_into_it(session, world):
    hook_id, _ = webhooks.create_webhook(session, world.admin, "https://example.com/stage", [])  # no event of its own
    version = session.get(Pipeline, world.pipeline_id).version
    rules = {"webhook_ids": [hook_id]}
    stage_editor.update_stage(session, world.admin, world.stages["Presentation"], version, automation=rules)
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D", "amount": 5})

    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    deals.move_deal(session, world.anna, deal_id, world.stages["Commercial proposal"], 2)

    told = session.execute(select(OutboxEvent.event, OutboxEvent.payload, Delivery.webhook_id).join(Delivery)).all()
    assert [(event, payload["deal"]["stage"], hook) for event, payload, hook in told] == [
        ("deal.stage_entered", "Presentation", hook_id)
    ]
    with pytest.raises(ValidationError) as raised:
        stage_editor.update_stage(
            session, world.admin, world.stages["Lost"], version + 1, automation={"webhook_ids": [999_999]}
        )
    assert "webhook_ids" in raised.value.errors


def _worker_process(url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _url_of(engine) -> str:
    if engine.dialect.name == "sqlite":
        return str(engine.url)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def _wait(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_two_worker_processes_on_postgresql_deliver_each_event_once(fresh_engine, receiver, tmp_path):
    if fresh_engine.dialect.name != "postgresql":
        pytest.skip("several processes share the work on PostgreSQL; on SQLite one writer works at a time")
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    hook = receiver(hold=0.02)
    _hook(fresh_engine, admin, hook.url)
    for n in range(40):
        _moved_deal(fresh_engine, manager, pipeline_id, stages, title=f"Deal {n}")

    workers = [_worker_process(_url_of(fresh_engine), tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        _wait(lambda: all(d.status == DeliveryStatus.DELIVERED for d in _deliveries(fresh_engine)))
    finally:
        for each in workers:
            each.send_signal(signal.SIGTERM)
        for each in workers:
            each.wait(20)

    sent = Counter(headers["X-Funnel-Delivery"] for headers, _ in hook.received)
    assert len(sent) == 40 and set(sent.values()) == {1}


def test_a_worker_killed_mid_delivery_loses_nothing(fresh_engine, receiver, tmp_path):
    admin, manager, pipeline_id, stages = _company(fresh_engine)
    hook = receiver(hold=30)
    _hook(fresh_engine, admin, hook.url)
    _moved_deal(fresh_engine, manager, pipeline_id, stages)
    process = _worker_process(_url_of(fresh_engine), tmp_path / "worker.log")
    try:
        _wait(lambda: len(hook.received) == 1)
    finally:
        process.kill()
        process.wait(10)

    (taken,) = _deliveries(fresh_engine)
    assert (taken.status, taken.attempts) == (DeliveryStatus.PENDING, 0)  # in hand when it died
    hook.hold = 0
    with httpx.Client() as client:
        assert worker.step(fresh_engine, client, idle=False) == 0  # still taken: the lease runs
        worker.step(fresh_engine, client, now=utcnow() + webhooks.LEASE, idle=False)

    assert _deliveries(fresh_engine)[0].status == DeliveryStatus.DELIVERED
    assert len(hook.received) == 2  # at least once: the receiver tells the repeat by X-Funnel-Delivery


class Inbox:
    """A local SMTP server (aiosmtpd) keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _notify_by_email(engine, admin, manager, pipeline_id, stages) -> None:
    """The manager has an e-mail address, and Presentation notifies the owner."""

    def configure(session):
        users.set_email(session, admin, manager.id, "anna@example.com")
        version = session.get(Pipeline, pipeline_id).version
        stage_editor.update_stage(session, admin, stages["Presentation"], version, automation={"notify_owner": True})

    write(engine, configure)


def test_the_owner_gets_an_email_with_the_deals_link(fresh_engine):
    admin, manager, pipeline_id, stages = _company(fresh_engine)

    _notify_by_email(fresh_engine, admin, manager, pipeline_id, stages)
    deal_id = _moved_deal(fresh_engine, manager, pipeline_id, stages, title="Acme <b>bold</b>")
    inbox = Inbox()
    mailer = worker.mailer_of(
        Settings(app_url="https://crm.example.com", smtp=Smtp("127.0.0.1", inbox.controller.port))
    )
    try:
        with httpx.Client() as client:
            assert worker.step(fresh_engine, client, mailer=mailer, idle=False) == 1
    finally:
        inbox.controller.stop()

    ((to, message),) = inbox.messages
    assert to == ["anna@example.com"]
    assert message["Subject"] == "Deal Acme <b>bold</b> entered Presentation"
    assert f"https://crm.example.com/deals?deal={deal_id}" in message.get_payload()
    (delivery,) = _deliveries(fresh_engine)
    assert (delivery.status, delivery.email_to, delivery.last_status_code) == (
        DeliveryStatus.DELIVERED,
        "anna@example.com",
        250,
    )


def test_without_smtp_an_email_waits_with_the_reason(fresh_engine):
    admin, manager, pipeline_id, stages = _company(fresh_engine)

    _notify_by_email(fresh_engine, admin, manager, pipeline_id, stages)
    _moved_deal(fresh_engine, manager, pipeline_id, stages)
    with httpx.Client() as client:
        worker.step(fresh_engine, client, idle=False)

    (delivery,) = _deliveries(fresh_engine)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.PENDING, webhooks.NO_SMTP)
    with transaction(fresh_engine) as session:
        (listed,) = webhooks.list_deliveries(session, admin)
    assert (listed.event, listed.url) == ("notification.stage_entered", "mailto:anna@example.com")
