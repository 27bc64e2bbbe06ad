"""The rollups (db/rollups.py) equal what their sources give after random writes through every writer,
and every figure read from them equals the same figure read from the rows themselves: for whole
quarters, loose days, periods in other time zones (whose edge hours come from the rows), teams,
managers, and every combination of source, region and segment with them. The dashboard's overdue and
rotting lists are the first rows of the full lists sorted."""

import itertools
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Connection, event, func, select, text, update
from sqlalchemy.orm import Session

import core.activities
import core.deals
import core.stage_editor
from core import activities, deals, pipelines, stage_editor, users
from core.analytics import activity, funnel, plan_fact
from core.analytics.behind import activities_behind, deals_behind
from core.analytics.deal_list import overdue_activities
from core.analytics.filters import DealFilter, FunnelFilter, overdue_activity
from core.analytics.history import pipeline_as_of
from core.analytics.rotting import rotting_condition, rotting_deals
from core.analytics.sums import from_rows, slices
from core.exchange import files, foreign
from core.exchange.foreign import Mapping
from core.periods import Period, PeriodKind
from db.engine import new_session
from db.models import Activity, Deal, Role, RollupCreated, RollupStay, Stage, StageKind, StageTransition
from db.rollups import build, upkeep
from db.rollups.sources import ACTIVITIES, OF_DEALS, ROLLUPS, idle_since
from tests.conftest import session_of
from tests.unit.conftest import World, make_world

START = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)
MOSCOW, NEW_YORK = ZoneInfo("Europe/Moscow"), ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
IMPORTED = (
    "id,title,owner,stage,amount,created,closed,source\n"
    "X-1,Imported open,anna,Presentation,700,2026-02-03,,fair\n"
    "X-2,Imported won,boris,Won,900,2026-02-10,2026-03-30,fair\n"
    "X-3,Imported lost,anna,Lost,50,2026-03-01,2026-04-02,web\n"
)


@pytest.fixture(scope="module")
def busy_work(engine) -> Iterator[tuple[Connection, World]]:
    """Six months of random work by two managers and an admin, at random hours, through the services:
    done once per database, in a transaction of a connection that the tests using `busy` share (each
    in a savepoint, rolled back after it), and rolled back at the end."""
    with engine.connect() as connection, pytest.MonkeyPatch.context() as monkeypatch:
        outer = connection.begin()
        with new_session(bind=connection, join_transaction_mode="create_savepoint") as session:
            world = _busy(session, make_world(session), monkeypatch)
            session.commit()  # releases its savepoint into the outer transaction
        yield connection, world
        outer.rollback()


@pytest.fixture
def busy(busy_work) -> World:
    return busy_work[1]


@pytest.fixture
def session(request, engine) -> Iterator[Session]:
    """With `busy`: a session in a savepoint of the busy work's transaction; otherwise a new one."""
    if "busy" not in request.fixturenames:
        yield from session_of(engine)
        return
    connection, _ = request.getfixturevalue("busy_work")
    savepoint = connection.begin_nested()
    with new_session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    savepoint.rollback()


def _busy(session, world, monkeypatch):
    clock = {"now": START}
    for module in (core.deals, core.activities, core.stage_editor):
        monkeypatch.setattr(module, "utcnow", lambda: clock["now"])
    rng = random.Random(7)
    managers = [world.anna, world.boris]
    carla = users.create_user(
        session,
        world.admin,
        login="carla",
        display_name="Carla",
        role=Role.MANAGER,
        password="",
        password_hash=users.NO_PASSWORD_HASH,
    )
    versions, tasks = {}, []

    def stages():
        return [s for s in pipelines.list_stages(session, world.pipeline_id) if s.kind == StageKind.OPEN]

    def step() -> None:
        deal_id = rng.choice(list(versions))
        owner, version = versions[deal_id]
        deal = deals.get_deal(session, owner, deal_id)
        choice = rng.random()
        if deal.status != StageKind.OPEN:
            version = deals.reopen_deal(session, owner, deal_id, version)
        elif choice < 0.12:
            version = deals.close_won(session, owner, deal_id, version, amount=rng.randint(100, 5000))
        elif choice < 0.22:
            version = deals.close_lost(session, owner, deal_id, version, lost_reason_id=world.reason_id)
        elif choice < 0.3:
            fields = {
                "amount": rng.randint(0, 900),
                "source": rng.choice(["web", "fair", None]),
                "region": rng.choice(["North", "South"]),
                "segment": rng.choice(["SMB", None]),
                "expected_close_date": (clock["now"] + timedelta(days=rng.randint(0, 90))).date(),
            }
            version = deals.update_deal(session, owner, deal_id, version, fields)
        elif choice < 0.36:
            new_owner = rng.choice([*managers, users.get_user(session, carla).as_actor()])
            version = deals.reassign_deal(session, world.admin, deal_id, new_owner.id, version)
            owner = new_owner
        elif choice < 0.5:
            kind = rng.choice(["call", "meeting", "email"])
            activities.log_activity(session, owner, kind=kind, subject="Done", deal_id=deal_id)
        elif choice < 0.62:
            due = clock["now"] + timedelta(hours=rng.randint(-72, 240))
            tasks.append(
                activities.plan_activity(session, owner, kind="task", subject="To do", deal_id=deal_id, due_at=due)
            )
        elif choice < 0.7 and tasks:
            task = tasks.pop(rng.randrange(len(tasks)))
            if session.get(Activity, task).done_at is None:
                activities.complete_activity(session, world.admin, task)
        elif choice < 0.74 and tasks:
            activities.reschedule_activity(
                session, world.admin, rng.choice(tasks), due_at=clock["now"] + timedelta(days=rng.randint(1, 20))
            )
        else:
            fields = {"amount": 500, "expected_close_date": date(2026, 8, 1), "company_id": world.company_id}
            target = rng.choice([s.id for s in stages() if s.id != deal.stage_id])
            version = deals.move_deal(session, owner, deal_id, target, version, fields=fields)
        versions[deal_id] = (owner, version)

    for number in range(260):
        clock["now"] += timedelta(minutes=rng.randint(20, 1500))
        if number % 5 == 0 or not versions:
            owner = rng.choice(managers)
            deal_id = deals.create_deal(
                session,
                owner,
                pipeline_id=world.pipeline_id,
                fields={
                    "title": f"D{number}",
                    "amount": rng.randint(0, 3000),
                    "source": rng.choice(["web", "fair"]),
                    "region": rng.choice(["North", "South", None]),
                    "segment": rng.choice(["SMB", "Enterprise"]),
                },
            )
            versions[deal_id] = (owner, 1)
        else:
            step()
        if number == 120:  # the admin reorders, adds and deletes stages half way
            version = stage_editor.pipeline_version(session, world.pipeline_id)
            version = stage_editor.move_stage(session, world.admin, world.stages["Presentation"], 1, version)
            added = stage_editor.add_stage(
                session,
                world.admin,
                world.pipeline_id,
                version,
                name="Demo",
                after_stage_id=world.stages["Qualification"],
            )
            version = stage_editor.pipeline_version(session, world.pipeline_id)
            stage_editor.delete_stage(session, world.admin, world.stages["Commercial proposal"], added, version)
            versions = {
                deal_id: (owner, deals.get_deal(session, owner, deal_id).version)
                for deal_id, (owner, _) in versions.items()
            }
    table = files.read_table(IMPORTED.encode(), "deals.csv")
    raw = {
        "pipeline": "B2B classic",
        "stages": {"Presentation": "Presentation", "Won": "Won", "Lost": "Lost"},
        "columns": {
            "external_id": "id",
            "title": "title",
            "owner": "owner",
            "stage": "stage",
            "amount": "amount",
            "created_at": "created",
            "closed_at": "closed",
            "source": "source",
        },
    }
    prepared = foreign.prepare(session, world.admin, table, Mapping.from_dict(raw), today=NOW.date())
    foreign.apply(session, world.admin, prepared, Mapping.from_dict(raw))
    session.flush()
    return world


def test_the_rollups_equal_their_sources_after_random_writes(session, busy):
    assert session.scalar(select(RollupStay.stays)) is not None
    assert build.check(session.connection()) == {}


def test_the_check_finds_a_wrong_row_and_a_missing_one(session, busy):
    session.execute(update(RollupCreated).where(RollupCreated.grain == "month").values(deals=RollupCreated.deals + 1))
    grain, day, stage_id = session.execute(select(RollupStay.grain, RollupStay.first_day, RollupStay.stage_id)).first()
    one = (RollupStay.grain == grain, RollupStay.first_day == day, RollupStay.stage_id == stage_id)
    session.execute(RollupStay.__table__.delete().where(*one))

    assert set(build.check(session.connection())) == {"rollup_created", "rollup_stays"}

    build.rebuild(session.connection())
    assert build.check(session.connection()) == {}


FILTERS = [
    {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)},  # whole months
    {"date_from": date(2026, 2, 10), "date_to": date(2026, 5, 20)},  # loose days at both ends
    {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30), "zone": MOSCOW},  # edge hours
    {"date_from": date(2026, 3, 1), "date_to": date(2026, 4, 15), "zone": NEW_YORK},  # and a DST change
    {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30), "team_id": "team"},
    {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30), "owner_ids": "boris"},
    {"date_from": date(2026, 1, 1), "date_to": date(2026, 6, 30), "source": "fair"},
]


def both_ways(function, *args, **kwargs):
    """The figure read the usual way, and read from the rows alone."""
    with from_rows():
        expected = function(*args, **kwargs)
    return function(*args, **kwargs), expected


def test_funnel_figures_read_from_the_rollups_equal_the_rows(session, busy):
    executive = busy.executive
    for chosen in FILTERS:
        values = dict(chosen)
        if values.get("team_id"):
            values["team_id"] = busy.anna.team_id
        if values.get("owner_ids"):
            values["owner_ids"] = (busy.boris.id,)
        scope = FunnelFilter(busy.pipeline_id, **values)
        for function, options in (
            (funnel.cohort_funnel, {}),
            (funnel.time_in_stage, {"now": NOW}),
            (funnel.lost_analysis, {}),
            (funnel.monthly_trend, {}),
        ):
            ours, expected = both_ways(function, session, executive, scope, **options)
            pd.testing.assert_frame_equal(ours, expected)
        ours, expected = both_ways(funnel.win_rates, session, executive, scope)
        assert ours == expected, chosen
        assert ours["created"] >= 5 and ours["won"] >= 1, chosen


def test_activity_and_plan_figures_read_from_the_rollups_equal_the_rows(session, busy):
    executive = busy.executive
    spring, may = {"date_from": date(2026, 2, 3), "date_to": date(2026, 6, 9)}, date(2026, 5, 15)
    for zone in (ZoneInfo("UTC"), MOSCOW, NEW_YORK):
        for function, options in (
            (activity.manager_activity, {**spring, "now": NOW}),
            (activity.weekly_activity, spring),
            (plan_fact.plan_fact, {"period": Period(date(2026, 4, 1), PeriodKind.QUARTER), "today": may}),
            (plan_fact.monthly_plan_fact, {"year": 2026, "today": may}),
        ):
            ours, expected = both_ways(function, session, executive, zone=zone, **options)
            pd.testing.assert_frame_equal(ours, expected)
        ours, expected = both_ways(
            plan_fact.assumptions, session, executive, manager_id=busy.anna.id, today=NOW.date(), zone=zone
        )
        assert ours == expected and ours.closed > 0
    ours, expected = both_ways(funnel.current_pipeline, session, executive, DealFilter(busy.pipeline_id))
    pd.testing.assert_frame_equal(ours, expected)
    assert ours["deals"].sum() > 5


CATEGORIES = {"source": "fair", "region": "North", "segment": "SMB"}
WHOSE = ("everyone", "team", "manager")


def every_filter(world) -> list[dict]:
    """Every combination of the source, region and segment filters (none, each, two, all three), each for
    everyone, a team and a manager."""
    whose = {"everyone": {}, "team": {"team_id": world.anna.team_id}, "manager": {"owner_ids": (world.boris.id,)}}
    chosen = []
    for size in range(len(CATEGORIES) + 1):
        for names in itertools.combinations(CATEGORIES, size):
            chosen += [{name: CATEGORIES[name] for name in names} | whose[who] for who in WHOSE]
    return chosen


@pytest.mark.parametrize("zone", [ZoneInfo("UTC"), MOSCOW, LOS_ANGELES], ids=str)
def test_every_filter_combination_reads_the_same_from_the_rollups_as_from_the_rows(session, busy, zone):
    """Loose days at both ends, so the month rows, the day rows and (outside UTC) the edge hours all count."""
    counted = 0
    for chosen in every_filter(busy):
        scope = FunnelFilter(busy.pipeline_id, date(2026, 2, 10), date(2026, 6, 20), zone=zone, **chosen)
        for function, options in (
            (funnel.cohort_funnel, {}),
            (funnel.time_in_stage, {"now": NOW}),
            (funnel.lost_analysis, {}),
            (funnel.monthly_trend, {}),
        ):
            ours, expected = both_ways(function, session, busy.executive, scope, **options)
            pd.testing.assert_frame_equal(ours, expected, obj=f"{function.__name__} {chosen}")
        ours, expected = both_ways(funnel.win_rates, session, busy.executive, scope)
        assert ours == expected, chosen
        counted += ours["created"] > 0 and ours["won"] > 0
    assert counted >= 12  # most filters find deals: the comparison is not of empty figures


def test_the_deals_behind_every_funnel_figure_are_as_many_as_it_counts_and_add_up_to_its_amount(session, busy, visible):
    """For filter combinations picked at random: each row of the funnel, the rates' closed, won and lost deals and the
    cycle, each lost row, each stage's stays and open deals; and a manager's list holds their deals alone."""
    listed = 0
    for chosen in random.Random(11).sample(every_filter(busy), 9):
        scope = FunnelFilter(busy.pipeline_id, date(2026, 2, 10), date(2026, 6, 20), zone=MOSCOW, **chosen)
        # A manager asking for another manager's deals is refused (test_permissions): Anna asks for hers.
        for actor in (busy.executive, *([busy.anna] if "owner_ids" not in chosen else [])):

            def behind(members, actor=actor, chosen=chosen):
                found = deals_behind(session, members)
                assert found.complete and found.rows["owner"].isin(visible[actor]).all(), chosen
                return found

            rows = funnel.cohort_funnel(session, actor, scope)
            for row in rows.itertuples():
                found = behind(funnel.reached_deals(session, actor, scope, row.stage_id))
                assert (found.count, found.amount) == (row.reached, row.reached_amount), (chosen, row.stage)
                listed += found.count
            rates = funnel.win_rates(session, actor, scope)
            assert behind(funnel.created_deals(session, actor, scope)).count == rates["created"]
            won = behind(funnel.closed_deals(session, actor, scope, StageKind.WON))
            assert (won.count, won.amount) == (rates["won"], rates["won_amount"]), chosen
            assert behind(funnel.closed_deals(session, actor, scope, StageKind.LOST)).count == rates["lost"]
            assert behind(funnel.closed_deals(session, actor, scope)).count == rates["won"] + rates["lost"]
            assert behind(funnel.cycle_deals(session, actor, scope)).count == rates["won"]
            for row in funnel.lost_analysis(session, actor, scope).itertuples():
                found = behind(funnel.lost_deals(session, actor, scope, row.stage_id, row.lost_reason_id))
                assert (found.count, found.amount) == (row.deals, row.amount), chosen
            for row in funnel.time_in_stage(session, actor, scope, now=NOW).itertuples():
                assert behind(funnel.stay_deals(session, actor, scope, row.stage_id)).count == row.stays, chosen
                assert behind(funnel.open_deals(session, actor, scope, row.stage_id)).count == row.open_now, chosen
    assert listed > 100  # the lists are of real deals, not of empty figures


@pytest.mark.parametrize("zone", [ZoneInfo("UTC"), NEW_YORK], ids=str)
def test_the_rows_behind_every_dashboard_figure_are_as_many_as_it_counts(session, busy, zone):
    """Each manager's calls, meetings, overdue, open and rotting deals, won (count and amount) and closed
    deals, from the same rows the dashboard counts; a manager's own only."""
    spring = {"date_from": date(2026, 2, 3), "date_to": date(2026, 6, 9), "now": NOW, "zone": zone}
    columns = {"calls": "calls", "meetings": "meetings", "overdue": "overdue", "open_deals": "open_deals"}
    columns |= {"rotting": "rotting", "won_at_close": "won"}
    for actor in (busy.executive, busy.anna):
        frame = activity.manager_activity(session, actor, **spring)
        for row in frame.itertuples():
            owners = (int(row.manager_id),)
            for figure, column in columns.items():
                rows = activity.figure_rows(session, actor, figure, owner_ids=owners, **spring)
                listed = (activities_behind if figure in activity.OF_ACTIVITIES else deals_behind)(session, rows)
                assert (listed.count, listed.complete) == (getattr(row, column), True), (row.manager, figure)
            won = deals_behind(
                session, activity.figure_rows(session, actor, "won_at_close", owner_ids=owners, **spring)
            )
            closed = deals_behind(
                session, activity.figure_rows(session, actor, "win_rate_at_close", owner_ids=owners, **spring)
            )
            assert won.amount == row.won_amount and closed.count == row.won + row.lost, row.manager
            assert set(closed.rows["status"]) <= {StageKind.WON, StageKind.LOST}
    assert frame["calls"].sum() > 0 and frame["won"].sum() > 0  # even Anna's own figures are not empty


@pytest.fixture
def visible(busy) -> dict:
    """The owners whose deals each actor may see listed, by display name."""
    return {busy.executive: {"Anna", "Boris", "Carla"}, busy.anna: {"Anna"}}


def executed(session, work) -> list[tuple[str, object]]:
    """The statements (and their parameters) that `work` runs."""
    found = []

    def seen(_connection, _cursor, statement, parameters, *_):
        found.append((statement, parameters))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return found


@pytest.mark.parametrize("name", sorted(CATEGORIES))
def test_one_category_with_a_team_is_read_from_the_rollups_alone(session, busy, name):
    """A source, region or segment filter, with a team, over whole UTC days: not a row of the deals,
    their history or the activities is read (the rows-only reading does read them)."""
    scope = FunnelFilter(
        busy.pipeline_id, date(2026, 2, 10), date(2026, 6, 20), team_id=busy.anna.team_id, **{name: CATEGORIES[name]}
    )

    def figures():
        funnel.cohort_funnel(session, busy.executive, scope)
        funnel.win_rates(session, busy.executive, scope)
        funnel.lost_analysis(session, busy.executive, scope)
        funnel.monthly_trend(session, busy.executive, scope)

    def reads_rows(statements):
        return [s for s, _ in statements if any(f"FROM {t}" in s or f"JOIN {t}" in s for t in ROW_TABLES)]

    assert reads_rows(executed(session, figures)) == []
    with from_rows():
        assert reads_rows(executed(session, figures))


ROW_TABLES = ("deals", "stage_transitions", "activities")


def _each_prefix_is_shown(session, owner_sets, everything, owner, shown_by) -> None:
    """For each owner set, the list shown with a limit is the first `limit` ids of the full list
    `everything` sorted in its display order (`owner`: its owner column)."""
    for owners in owner_sets:
        query = everything.where(owner.in_(owners)) if owners else everything
        full = session.scalars(query).all()
        assert len(full) > 3, owners
        for limit in (1, 3, len(full) + 5):
            assert shown_by(owners, limit)["id"].tolist() == full[:limit], (owners, limit)


def test_the_overdue_list_is_the_first_of_the_sorted_full_list(session, busy):
    managers = (busy.anna.id, busy.boris.id)
    everything = select(Activity.id).where(overdue_activity(NOW)).order_by(Activity.due_at, Activity.id)
    _each_prefix_is_shown(
        session,
        ((), managers, (busy.anna.id,), (busy.boris.id,)),
        everything,
        Activity.owner_id,
        lambda owners, limit: overdue_activities(session, busy.executive, owner_ids=owners, now=NOW, limit=limit),
    )
    mine = overdue_activities(session, busy.anna, owner_ids=(), now=NOW, limit=50)
    assert set(mine["owner"]) == {"Anna"}


def test_the_rotting_list_is_the_first_of_the_sorted_full_list(session, busy):
    stages = session.scalars(select(Stage).where(Stage.deleted_at.is_(None))).all()
    managers = tuple(session.scalars(select(Deal.owner_id).distinct()))
    everything = select(Deal.id).where(rotting_condition(stages, NOW)).order_by(idle_since(), Deal.owner_id, Deal.id)
    _each_prefix_is_shown(
        session,
        ((), managers, (busy.anna.id,), (busy.boris.id,)),
        everything,
        Deal.owner_id,
        lambda owners, limit: rotting_deals(session, busy.executive, owner_ids=owners, now=NOW, limit=limit),
    )


def test_the_lists_read_one_owner_from_the_start_of_an_index_range(session, busy):
    """Each owner's part of the overdue and the rotting list is walked in an index's order: no sort of
    every row that is overdue or rotting. (PostgreSQL scans tables this small whole: told not to, it
    shows whether an index yields the order.)"""
    owners = (busy.anna.id, busy.boris.id)
    raw = session.connection().connection.driver_connection
    sqlite = session.get_bind().dialect.name == "sqlite"
    if not sqlite:
        session.execute(text("SET LOCAL enable_seqscan = off"))

    def plans(work) -> str:
        """The plans of the statements that read the first rows of each owner's range."""
        limited = [(s, p) for s, p in executed(session, work) if "LIMIT" in s]
        assert limited
        explain = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
        return "\n".join(str(row) for s, p in limited for row in raw.execute(f"{explain} {s}", p).fetchall())

    overdue = plans(lambda: overdue_activities(session, busy.executive, owner_ids=owners, now=NOW, limit=3))
    mine = plans(lambda: rotting_deals(session, busy.executive, owner_ids=owners[:1], now=NOW, limit=3))
    ours = plans(lambda: rotting_deals(session, busy.executive, owner_ids=owners, now=NOW, limit=3))
    sort = "TEMP B-TREE" if sqlite else "Sort"
    assert "ix_activities_owner_id_due_at_id" in overdue and sort not in overdue, overdue
    assert "ix_rollup_idle_stage_id_owner_id_idle_since_deal_id" in mine and sort not in mine, mine
    assert sort not in ours, ours


def test_a_period_is_cut_into_whole_months_loose_days_and_edge_hours():
    def at(month, day, hour=0):
        return datetime(2026, month, day, hour, tzinfo=UTC)

    quarter = slices(at(7, 1), at(10, 1))
    assert (quarter.months, quarter.days, quarter.edges) == ((date(2026, 7, 1), date(2026, 10, 1)), (), ())
    moscow = slices(at(6, 30, 21), at(9, 30, 21))
    assert moscow.months == (date(2026, 7, 1), date(2026, 9, 1))
    assert moscow.days == ((date(2026, 9, 1), date(2026, 9, 30)),)
    assert moscow.edges == ((at(6, 30, 21), at(7, 1)), (at(9, 30), at(9, 30, 21)))
    assert slices(at(7, 15), at(7, 21)).days == ((date(2026, 7, 15), date(2026, 7, 21)),)
    assert slices(at(7, 15, 3), at(7, 15, 9)).edges == ((at(7, 15, 3), at(7, 15, 9)),)
    overdue = slices(None, at(11, 24, 15))
    assert (overdue.months, overdue.days) == ((None, date(2026, 11, 1)), ((date(2026, 11, 1), date(2026, 11, 24)),))
    assert overdue.edges == ((at(11, 24), at(11, 24, 15)),)


def test_each_source_gives_its_tables_columns_by_name():
    for rollup in ROLLUPS:
        table_columns = [column.name for column in rollup.table.columns if column.name != "grain"]
        for source in rollup.sources:
            assert sorted(source.query([]).selected_columns.keys()) == sorted(table_columns), rollup.table.name
        assert rollup.key_columns == tuple(c.name for c in rollup.table.primary_key.columns)


def contributions(session, deal_id: int, activity_ids=()) -> dict:
    """What one deal (and these activities) add to each rollup: rollup → key → sums."""
    found = {}
    for (rollup, key), values in upkeep.snapshot(session.connection(), upkeep.every([deal_id]), activity_ids).items():
        found.setdefault(rollup, {})[key] = values
    return found


def changed_rollups(session, table, row_id: int, deal_id: int, column: str, value, activity_ids=()) -> set:
    """The rollups whose contribution of the deal changes when one column of one row takes `value`
    (written with a bare UPDATE in a savepoint, which is then rolled back)."""
    before = contributions(session, deal_id, activity_ids)
    savepoint = session.begin_nested()
    session.execute(update(table).where(table.c.id == row_id).values({column: value}))
    after = contributions(session, deal_id, activity_ids)
    savepoint.rollback()
    return {rollup for rollup in set(before) | set(after) if before.get(rollup) != after.get(rollup)}


def test_a_change_recounts_a_row_in_every_rollup_whose_sums_it_moves(session, busy):
    """The columns each rollup reads (found in its source queries) hold every column whose change
    moves what a deal or an activity adds: the upkeep skips the others."""
    deals_table, activities_table = Deal.__table__, Activity.__table__
    deal_rows = session.execute(select(deals_table).order_by(deals_table.c.id)).mappings().all()
    sample = [deal for status in StageKind for deal in [d for d in deal_rows if d["status"] == status][:4]]
    seen = set()
    for deal in sample:
        for column in [each.name for each in deals_table.columns]:
            if column in ("id", "version", "external_id"):  # identities, not figures
                continue
            for value in {other[column] for other in deal_rows if other[column] != deal[column]}:
                moved = changed_rollups(session, deals_table, deal["id"], deal["id"], column, value)
                for rollup in moved:
                    assert column in rollup.reads, (rollup.table.name, column)
                    seen.add(rollup)
                break
    assert seen == set(OF_DEALS)
    activity = (
        session.execute(select(activities_table).where(activities_table.c.deal_id.is_not(None))).mappings().first()
    )
    for column, value in (("done_at", NOW), ("due_at", NOW), ("kind", "meeting"), ("owner_id", busy.boris.id)):
        moved = changed_rollups(
            session, activities_table, activity["id"], activity["deal_id"], column, value, [activity["id"]]
        )
        assert moved, column
        for rollup in moved:
            assert column in (rollup.reads if rollup is ACTIVITIES else rollup.activity_reads), (rollup, column)


def test_the_rollups_that_read_the_stage_history_are_the_ones_a_new_transition_moves(session, busy):
    deal_id, stage_id, entered = session.execute(select(Deal.id, Deal.stage_id, Deal.stage_entered_at)).first()
    before = contributions(session, deal_id)
    savepoint = session.begin_nested()
    session.execute(
        StageTransition.__table__.insert().values(
            deal_id=deal_id, from_stage_id=stage_id, to_stage_id=stage_id, at=NOW, from_entered_at=entered
        )
    )
    after = contributions(session, deal_id)
    savepoint.rollback()
    moved = {rollup for rollup in set(before) | set(after) if before.get(rollup) != after.get(rollup)}
    assert moved and moved <= {rollup for rollup in OF_DEALS if rollup.history}


def test_the_pipeline_of_a_past_day_read_from_the_flow_equals_its_rows(session, busy):
    """rollup_flow, kept through the random writes (moves, edits, reassignments, a stage deletion, an
    import), gives the pipeline of every day as its sources do from the deals' history, in UTC and in
    a zone whose days are not UTC days, for everyone and for one owner of the time; after the last
    write it is the pipeline now."""
    first = session.scalar(select(func.min(Deal.created_at))).date()
    for zone in (UTC, ZoneInfo("Asia/Vladivostok")):
        for days in range(-1, 60, 3):
            for owners in ((), (busy.boris.id,)):
                day = first + timedelta(days=days)
                ours, expected = both_ways(
                    pipeline_as_of, session, busy.executive, busy.pipeline_id, day, zone, owner_ids=owners
                )
                pd.testing.assert_frame_equal(ours, expected)
    later = pipeline_as_of(session, busy.executive, busy.pipeline_id, date(2030, 1, 1), UTC)
    now = session.execute(
        select(Deal.stage_id, func.count(), func.sum(Deal.amount))
        .where(Deal.pipeline_id == busy.pipeline_id, Deal.status == StageKind.OPEN)
        .group_by(Deal.stage_id)
    ).all()
    shown = {row.stage_id: (row.deals, row.amount) for row in later.itertuples() if row.deals}
    assert shown == {stage_id: (deals, float(amount)) for stage_id, deals, amount in now}
    assert sum(deals for _, deals, _ in now) >= 10
