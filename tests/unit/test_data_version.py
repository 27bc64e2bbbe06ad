import multiprocessing
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from core import activities, deals, pipelines, users
from core.analytics.deal_list import list_deals
from core.analytics.filters import DealFilter
from core.permissions import Actor
from db import changes
from db.engine import make_engine, transaction
from db.models import DataVersion, Deal, Role

WAIT_S = 60  # a guard against a hang, never a measure: every wait below returns as soon as it is set


def test_every_change_the_dashboards_show_moves_the_version_and_reads_do_not(session, world):
    seen = [changes.current(session)]

    def step() -> None:
        seen.append(changes.current(session))

    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    step()
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": 5})
    step()
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 2)
    step()
    task = activities.plan_activity(
        session, world.anna, kind="task", subject="t", deal_id=deal_id, due_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    step()
    activities.complete_activity(session, world.anna, task)
    session.flush()
    step()
    list_deals(session, world.anna, DealFilter(world.pipeline_id), now=datetime.now(UTC))
    pipelines.list_stages(session, world.pipeline_id)
    step()

    assert all(later > earlier for earlier, later in zip(seen[:-2], seen[1:-1], strict=True))
    assert seen[-1] == seen[-2]


def slots(session: Session) -> dict[int, int]:
    return dict(session.execute(select(DataVersion.id, DataVersion.version)).all())


def test_the_marker_has_a_row_for_every_slot_a_change_may_bump(session):
    assert sorted(slots(session)) == list(range(1, changes.SLOTS + 1))


def test_a_transaction_bumps_one_slot_however_many_times_it_flushes(session, world):
    """Two transactions bumping two random rows each could take them in opposite orders and deadlock."""
    before = slots(session)
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": 5})
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 2)
    after = slots(session)

    moved = {slot: after[slot] - before[slot] for slot in after if after[slot] != before[slot]}
    assert len(moved) == 1
    assert sum(moved.values()) == changes.current(session) - sum(before.values()) >= 3


def one_deal(engine: Engine) -> tuple[Actor, int]:
    """A fresh database with a pipeline, a manager and one deal of theirs (committed)."""
    with transaction(engine, write=True) as session:
        system = Actor.system()
        pipeline_id = pipelines.create_from_template(session, system, "b2b_classic")
        anna = Actor(
            users.create_user(
                session, system, login="anna", display_name="Anna", role=Role.MANAGER, password="", password_hash="x"
            ),
            Role.MANAGER,
        )
        deal_id = deals.create_deal(session, anna, pipeline_id=pipeline_id, fields={"title": "D", "amount": 100})
    return anna, deal_id


def figures(session: Session) -> Decimal:
    """What the reader computes and keeps under the marker: the deals' amount."""
    return session.scalar(select(func.sum(Deal.amount)))


@dataclass(frozen=True)
class Race:
    marker_during_the_write: int  # read while the writer's change was flushed but not committed
    figures_kept: Decimal  # read in a later transaction, kept under marker_during_the_write
    marker_after_the_commit: int
    figures_after_the_commit: Decimal

    def problems(self) -> list[str]:
        """What a page caching figures under the marker would get wrong."""
        found = []
        if self.marker_after_the_commit <= self.marker_during_the_write:
            found.append("a page that read the marker during the write does not see it move after the commit")
        cache = {self.marker_during_the_write: self.figures_kept}
        if cache.get(self.marker_after_the_commit, self.figures_after_the_commit) != self.figures_after_the_commit:
            found.append("figures older than the data are cached under the marker a page reads now")
        return found


def race(engine: Engine, figures_read: str) -> Race:
    """A writer raises the deal's amount; it flushes (the marker bumped) and holds its transaction
    open while a reader reads the marker; the reader reads its figures (in a new transaction, as a
    page does) before or after the writer commits; then everyone reads again.

    Between the writer's bump and its commit is where a marker outside the transaction (a sequence,
    a counter in a cache server) goes wrong: the reader sees the new marker, computes the old figures
    and keeps them under it, and after the commit the marker does not move again."""
    anna, deal_id = one_deal(engine)
    flushed, may_commit, committed = threading.Event(), threading.Event(), threading.Event()
    failures = []

    def write() -> None:
        try:
            with transaction(engine, write=True) as session:
                deals.update_deal(session, anna, deal_id, 1, {"amount": 150})
                flushed.set()
                if not may_commit.wait(WAIT_S):
                    raise TimeoutError("the reader never let the writer commit")
            committed.set()
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            failures.append(error)
            flushed.set()

    def wait(event: threading.Event) -> None:
        if not event.wait(WAIT_S):
            raise TimeoutError("the writer did not get there")
        if failures:
            raise failures[0]

    writer = threading.Thread(target=write)
    writer.start()
    try:
        wait(flushed)
        with transaction(engine) as session:
            marker = changes.current(session)
        if figures_read == "after the commit":
            may_commit.set()
            wait(committed)
        with transaction(engine) as session:
            kept = figures(session)
        may_commit.set()
        wait(committed)
    finally:
        may_commit.set()
        writer.join(WAIT_S)
    with transaction(engine) as session:
        return Race(marker, kept, changes.current(session), figures(session))


@pytest.mark.parametrize("figures_read", ["before the commit", "after the commit"])
def test_a_writer_committing_between_the_marker_and_the_figures_leaves_nothing_stale(fresh_engine, figures_read):
    outcome = race(fresh_engine, figures_read)

    assert outcome.problems() == []
    assert outcome.figures_after_the_commit == Decimal(150)


class MarkerOutsideTheTransaction:
    """A counter the database's transactions do not cover (like a sequence): moves when bumped."""

    def __init__(self) -> None:
        self.value = 0

    def bump(self, _session: Session) -> None:
        self.value += 1

    def current(self, _session: Session) -> int:
        return self.value


@pytest.mark.parametrize(
    ("figures_read", "expected"),
    [
        (
            "before the commit",
            [
                "a page that read the marker during the write does not see it move after the commit",
                "figures older than the data are cached under the marker a page reads now",
            ],
        ),
        ("after the commit", ["a page that read the marker during the write does not see it move after the commit"]),
    ],
)
def test_the_race_catches_a_marker_bumped_outside_the_transaction(fresh_engine, monkeypatch, figures_read, expected):
    outside = MarkerOutsideTheTransaction()
    monkeypatch.setattr(changes, "bump", outside.bump)
    monkeypatch.setattr(changes, "current", outside.current)

    assert race(fresh_engine, figures_read).problems() == expected


def same_database(engine: Engine) -> tuple[str, dict]:
    """What another process needs to open this engine's database: its URL and connect arguments."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url, {}
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    return url, {"connect_args": {"options": f"-csearch_path={schema}"}}


def bump_in_own_transactions(url: str, options: dict, bumps: int, start) -> None:
    """One app process: `bumps` changes, each committed in its own transaction."""
    engine = make_engine(url, **options)
    start.wait(WAIT_S)
    for _ in range(bumps):
        with transaction(engine, write=True) as session:
            changes.bump(session)
    engine.dispose()


def test_concurrent_writer_processes_lose_no_bump(fresh_engine):
    """Several app processes (on SQLite, one writer at a time) each committing many changes at once."""
    processes, bumps = 4, 40
    url, options = same_database(fresh_engine)
    with transaction(fresh_engine) as session:
        before = changes.current(session)
    fresh_engine.dispose()  # no open connection goes into the children (SQLAlchemy's advice for fork)
    fork = multiprocessing.get_context("fork")  # spawn's imports take many seconds on a busy machine
    start = fork.Barrier(processes)
    writers = [
        fork.Process(target=bump_in_own_transactions, args=(url, options, bumps, start)) for _ in range(processes)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(WAIT_S * 2)
    stuck = [writer for writer in writers if writer.is_alive()]
    for writer in stuck:
        writer.kill()

    assert not stuck
    assert [writer.exitcode for writer in writers] == [0] * processes
    with transaction(fresh_engine) as session:
        assert changes.current(session) - before == processes * bumps
        assert len([slot for slot, version in slots(session).items() if version]) > 1
