"""The deals' field history (deal_changes): every writer records what it changed, who and by what, on
both databases; a deal's timeline reads it back in its user's terms."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from core import deals, stage_editor, users
from core.analytics.history import bucket_deals, pipeline_as_of, pipeline_changes, slippage
from core.errors import PermissionDenied
from core.periods import DateRange
from core.permissions import Actor
from db.engine import transaction
from db.migrate import upgrade
from db.models import ChangeOperation, Deal, DealChange, Pipeline, Role, Stage, StageKind, StageTransition, User
from db.rollups.build import rebuild
from tests.conftest import new_database
from tests.unit.conftest import World, add_user


def new_deal(session, world: World, **fields) -> int:
    return deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Acme", **fields})


def changes(session, deal_id: int) -> list[tuple]:
    """(field, old, new, by, operation) of the deal's rows, in order."""
    rows = session.execute(
        select(
            DealChange.field, DealChange.old_value, DealChange.new_value, DealChange.by_user_id, DealChange.operation
        )
        .where(DealChange.deal_id == deal_id)
        .order_by(DealChange.id)
    )
    return [tuple(row) for row in rows]


def version(session, deal_id: int) -> int:
    return session.get(Deal, deal_id).version


def test_creating_a_deal_writes_no_change(session, world):
    deal_id = new_deal(session, world, amount="1500")

    assert changes(session, deal_id) == []


def test_an_edit_records_each_changed_field_and_only_those(session, world):
    deal_id = new_deal(session, world, amount="50000", source="website")

    deals.update_deal(
        session,
        world.anna,
        deal_id,
        1,
        {"amount": "5000", "expected_close_date": "15.03.2027", "source": "website", "title": "Acme"},
    )

    anna, edit = world.anna.id, ChangeOperation.EDIT
    assert changes(session, deal_id) == [
        ("amount", "50000.00", "5000.00", anna, edit),
        ("expected_close_date", None, "2027-03-15", anna, edit),
    ]


def test_a_cell_edit_records_the_change_and_a_cell_typed_over_with_the_same_value_records_none(session, world):
    deal_id = new_deal(session, world, expected_close_date="2027-03-15")

    assert deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", "15.03.2027") is None
    deals.edit_cell(session, world.anna, deal_id, 1, "expected_close_date", "2027-04-01")

    assert changes(session, deal_id) == [
        ("expected_close_date", "2027-03-15", "2027-04-01", world.anna.id, ChangeOperation.EDIT)
    ]


def test_a_move_records_the_stage_at_the_time_of_its_transition(session, world):
    deal_id = new_deal(session, world)

    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)

    assert changes(session, deal_id) == [
        ("stage_id", str(world.stages["Qualification"]), str(world.stages["Presentation"]), world.anna.id, "move")
    ]
    change_at = session.scalar(select(DealChange.at).where(DealChange.deal_id == deal_id))
    moved_at = session.scalar(
        select(StageTransition.at).where(
            StageTransition.deal_id == deal_id, StageTransition.to_stage_id == world.stages["Presentation"]
        )
    )
    assert change_at == moved_at


def test_closing_won_with_an_amount_closing_lost_and_reopening_are_told_apart(session, world):
    s, anna = world.stages, world.anna.id
    won = new_deal(session, world, amount="100", expected_close_date="2027-01-01", company_id=world.company_id)
    lost = new_deal(session, world)

    deals.close_won(session, world.anna, won, 1, amount="120")
    deals.close_lost(session, world.anna, lost, 1, lost_reason_id=world.reason_id)
    deals.reopen_deal(session, world.anna, lost, version(session, lost))

    assert changes(session, won) == [
        ("amount", "100.00", "120.00", anna, "close"),
        ("stage_id", str(s["Qualification"]), str(s["Won"]), anna, "close"),
        ("status", "open", "won", anna, "close"),
    ]
    reason = str(world.reason_id)
    assert changes(session, lost) == [
        ("stage_id", str(s["Qualification"]), str(s["Lost"]), anna, "close"),
        ("status", "open", "lost", anna, "close"),
        ("lost_reason_id", None, reason, anna, "close"),
        ("stage_id", str(s["Lost"]), str(s["Qualification"]), anna, "reopen"),
        ("status", "lost", "open", anna, "reopen"),
        ("lost_reason_id", reason, None, anna, "reopen"),
    ]


def test_a_reassignment_records_the_owner_and_who_reassigned(session, world):
    deal_id = new_deal(session, world)

    deals.reassign_deal(session, world.executive, deal_id, world.boris.id, 1)

    assert changes(session, deal_id) == [
        ("owner_id", str(world.anna.id), str(world.boris.id), world.executive.id, ChangeOperation.REASSIGN)
    ]


def test_a_bulk_action_is_recorded_as_one(session, world):
    deal_id = new_deal(session, world)

    deals.in_bulk(session)
    deals.reassign_deal(session, world.admin, deal_id, world.boris.id, 1)

    assert changes(session, deal_id) == [
        ("owner_id", str(world.anna.id), str(world.boris.id), world.admin.id, ChangeOperation.BULK)
    ]


def test_deleting_a_stage_records_each_moved_deal_by_the_admin(session, world):
    s = world.stages
    inside = [new_deal(session, world, title=title) for title in ("A", "B")]
    for deal_id in inside:
        deals.move_deal(session, world.anna, deal_id, s["Presentation"], 1)
    elsewhere = new_deal(session, world, title="C")

    stage_editor.delete_stage(
        session,
        world.admin,
        s["Presentation"],
        s["Commercial proposal"],
        stage_editor.pipeline_version(session, world.pipeline_id),
    )

    for deal_id in inside:
        assert changes(session, deal_id)[-1] == (
            "stage_id",
            str(s["Presentation"]),
            str(s["Commercial proposal"]),
            world.admin.id,
            ChangeOperation.STAGE_DELETION,
        )
    assert changes(session, elsewhere) == []


def test_a_refused_change_records_nothing(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(PermissionDenied):
        deals.update_deal(session, world.boris, deal_id, 1, {"amount": "10"})

    assert changes(session, deal_id) == []


def test_the_field_history_reads_amounts_dates_and_names_and_keeps_stage_changes_to_the_transitions(session, world):
    deal_id = new_deal(session, world, amount="50000")
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": "5000", "company_id": world.company_id})
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 2)
    deals.in_bulk(session)
    deals.reassign_deal(session, world.admin, deal_id, world.boris.id, 3)

    shown, known_since = deals.field_history(session, world.executive, deal_id)

    assert [(c.field, c.old, c.new, c.by_user_id, c.part_of) for c in shown] == [
        ("amount", Decimal("50000.00"), Decimal("5000.00"), world.anna.id, None),
        ("company_id", None, "Acme Ltd", world.anna.id, None),
        ("owner_id", "Anna", "Boris", world.admin.id, "bulk"),
    ]
    assert known_since is None  # created after history began: known from its creation


def test_a_manager_cannot_read_another_managers_deal_history(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(PermissionDenied):
        deals.field_history(session, world.boris, deal_id)


def test_the_migration_marks_each_existing_deal_as_known_from_then_on(engine, tmp_path):
    """Deals that existed before history began get one baseline row; the timeline says since when."""
    old, drop = new_database(engine.dialect.name, tmp_path, revision="0012")
    try:
        # As the code of then wrote them: the columns of revision 0012 (none added since: only the
        # columns given and those with defaults are inserted), without the rollups of later revisions.
        now = datetime.now(UTC)
        with old.begin() as connection:

            def added(model, **values) -> int:
                return connection.execute(insert(model.__table__).values(**values).returning(model.id)).scalar_one()

            owner = added(
                User,
                login="anna",
                display_name="Anna",
                role=Role.MANAGER,
                is_active=True,
                password_hash="x",
                created_at=now,
            )
            pipeline_id = added(Pipeline, name="B2B", is_archived=False, created_at=now, version=1)
            stage_ids = [
                added(
                    Stage,
                    pipeline_id=pipeline_id,
                    name=name,
                    position=position,
                    kind=kind,
                    required_fields=[],
                    entry_tasks=[],
                )
                for position, (name, kind) in enumerate(
                    [("Qualification", StageKind.OPEN), ("Won", StageKind.WON), ("Lost", StageKind.LOST)]
                )
            ]
            before = []
            for title in ("A", "B"):
                fields = {"title": title, "amount": Decimal(0), "owner_id": owner, "pipeline_id": pipeline_id}
                state = {"stage_id": stage_ids[0], "status": StageKind.OPEN, "stage_entered_at": now, "version": 1}
                before.append(added(Deal, **fields, **state, created_at=now))
                added(StageTransition, deal_id=before[-1], to_stage_id=stage_ids[0], at=now)
        system = Actor.system()
        upgrade(old)
        with transaction(old, write=True) as session:
            baseline = session.execute(select(DealChange.deal_id, DealChange.field, DealChange.operation)).all()
            deals.update_deal(session, Actor.system(), before[0], 1, {"amount": "10"})
            shown, known_since = deals.field_history(session, Actor.system(), before[0])
            later = deals.create_deal(session, system, pipeline_id=pipeline_id, fields={"title": "C"}, owner_id=owner)
            _, later_known_since = deals.field_history(session, Actor.system(), later)
    finally:
        drop()

    assert sorted(baseline) == [(deal_id, "history", ChangeOperation.BASELINE) for deal_id in before]
    assert known_since is not None and [(c.field, c.old, c.new) for c in shown] == [
        ("amount", Decimal("0.00"), Decimal("10.00"))
    ]
    assert later_known_since is None


# --- the pipeline on a past day ---------------------------------------------------------------------

ZONE = ZoneInfo("Europe/Moscow")
DAY = date(2026, 10, 1)


def on_day(session, days: int, step):
    """Run `step()`, then date the deals, transitions and changes it wrote at noon (Moscow) of DAY + days
    (and count them so in the rollups)."""
    marks = {
        model: session.scalar(select(func.coalesce(func.max(model.id), 0)))
        for model in (Deal, StageTransition, DealChange)
    }
    result = step()
    moment = datetime.combine(DAY + timedelta(days=days), time(12), ZONE).astimezone(UTC)
    session.execute(update(Deal).where(Deal.id > marks[Deal]).values(created_at=moment))
    for model in (StageTransition, DealChange):
        session.execute(update(model).where(model.id > marks[model]).values(at=moment))
    rebuild(session.connection())  # the rollups count the rows as redated
    session.expire_all()
    return result


def stages_then(session, world, days: int, **options) -> dict[str, tuple[int, float]]:
    frame = pipeline_as_of(session, world.executive, world.pipeline_id, DAY + timedelta(days=days), ZONE, **options)
    return {row.stage: (row.deals, row.amount) for row in frame.itertuples() if row.deals}


def test_the_pipeline_of_a_past_day_has_each_deal_where_and_as_it_was_then(session, world):
    s = world.stages
    # Day 0: A is created in Qualification for 100 (Anna's).
    a = on_day(session, 0, lambda: new_deal(session, world, title="A", amount="100"))
    # Day 1: A moves to Presentation; B is created for 50 (Anna's).
    on_day(session, 1, lambda: deals.move_deal(session, world.anna, a, s["Presentation"], 1))
    b = on_day(session, 1, lambda: new_deal(session, world, title="B", amount="50"))
    # Day 2: A's amount becomes 300; B goes to Boris.
    on_day(session, 2, lambda: deals.update_deal(session, world.anna, a, 2, {"amount": "300"}))
    on_day(session, 2, lambda: deals.reassign_deal(session, world.executive, b, world.boris.id, 1))
    # Day 3: A is won (for 320).
    on_day(session, 3, lambda: deals.close_won(session, world.anna, a, 3, amount="320"))

    assert stages_then(session, world, -1) == {}
    assert stages_then(session, world, 0) == {"Qualification": (1, 100.0)}
    assert stages_then(session, world, 1) == {"Qualification": (1, 50.0), "Presentation": (1, 100.0)}
    assert stages_then(session, world, 2) == {"Qualification": (1, 50.0), "Presentation": (1, 300.0)}
    assert stages_then(session, world, 3) == {"Qualification": (1, 50.0)}  # A won: no longer open
    # The owners of that day: B was Anna's on day 1 and Boris's from day 2.
    assert stages_then(session, world, 1, owner_ids=(world.anna.id,)) == stages_then(session, world, 1)
    assert stages_then(session, world, 2, owner_ids=(world.anna.id,)) == {"Presentation": (1, 300.0)}
    assert stages_then(session, world, 2, owner_ids=(world.boris.id,)) == {"Qualification": (1, 50.0)}
    # Today's probabilities weigh the amounts: Presentation 25 %.
    frame = pipeline_as_of(session, world.executive, world.pipeline_id, DAY + timedelta(days=2), ZONE)
    assert frame.set_index("stage").loc["Presentation", "weighted_amount"] == 75.0


def test_a_manager_sees_the_past_pipeline_of_their_own_deals_only(session, world):
    on_day(session, 0, lambda: new_deal(session, world, title="Anna's", amount="10"))

    mine = pipeline_as_of(session, world.boris, world.pipeline_id, DAY, ZONE)

    assert mine["deals"].sum() == 0
    with pytest.raises(PermissionDenied):
        pipeline_as_of(session, world.boris, world.pipeline_id, DAY, ZONE, owner_ids=(world.anna.id,))


# --- what changed between two days: a hand-built week -------------------------------------------------


def week(session, world):
    """Twelve deals around the week from the end of DAY (A) to the end of DAY + 7 (B); amounts in
    the comments. Returns the deal ids by name and Carl (a manager of another team)."""
    s = world.stages
    south = users.create_team(session, Actor.system(), "South")
    carl = add_user(session, "carl", Role.MANAGER, south)
    made = {}

    def deal(name: str, days: int, amount: str, **fields) -> None:
        made[name] = on_day(session, days, lambda: new_deal(session, world, title=name, amount=amount, **fields))

    def then(days: int, step) -> None:
        on_day(session, days, step)

    v = lambda name: version(session, made[name])  # noqa: E731
    close = lambda day: {"expected_close_date": day}  # noqa: E731
    deal("steady", -1, "100")  # in the start and the end
    deal("won", -1, "300")  # won on day 3: −300
    deal("lost", -1, "400")  # lost on day 4: −400
    deal("reopened", -2, "500")  # lost before A, reopened on day 3: +500
    then(-1, lambda: deals.close_lost(session, world.anna, made["reopened"], 1, lost_reason_id=world.reason_id))
    deal("thrice", -1, "1000")  # 1000 → 1500 (day 1: +500), → 1200 (day 2: −300), moved forward (day 3)
    deal("backward", -1, "50")  # to Presentation before A, back to Qualification on day 5
    then(-1, lambda: deals.move_deal(session, world.anna, made["backward"], s["Presentation"], 1))
    deal("handed over", -1, "700")  # Anna's (North) → Carl's (South) on day 4
    deal("in and out", -1, "800", expected_close_date="2026-12-20")  # into November on day 2, out on day 6
    deal("after B", -1, "60")  # won on day 8: open in the start and the end
    deal("pulled in", -1, "110", expected_close_date="2026-12-05")  # into November on day 3: +110
    deal("new", 2, "200")  # created inside: +200
    deal("new and won", 1, "90")  # created on day 1 (+90), won on day 5 (−90)
    then(1, lambda: deals.update_deal(session, world.anna, made["thrice"], v("thrice"), {"amount": "1500"}))
    then(2, lambda: deals.update_deal(session, world.anna, made["thrice"], v("thrice"), {"amount": "1200"}))
    then(
        2, lambda: deals.update_deal(session, world.anna, made["in and out"], 1, {"expected_close_date": "2026-11-15"})
    )
    then(3, lambda: deals.move_deal(session, world.anna, made["thrice"], s["Presentation"], v("thrice")))
    then(3, lambda: deals.close_won(session, world.anna, made["won"], 1))
    then(3, lambda: deals.reopen_deal(session, world.anna, made["reopened"], v("reopened")))
    then(3, lambda: deals.update_deal(session, world.anna, made["pulled in"], 1, close("2026-11-20")))
    then(4, lambda: deals.close_lost(session, world.anna, made["lost"], 1, lost_reason_id=world.reason_id))
    then(4, lambda: deals.reassign_deal(session, world.executive, made["handed over"], carl.id, 1))
    then(5, lambda: deals.move_deal(session, world.anna, made["backward"], s["Qualification"], v("backward")))
    then(5, lambda: deals.close_won(session, world.anna, made["new and won"], 1))
    then(
        6,
        lambda: deals.update_deal(
            session, world.anna, made["in and out"], v("in and out"), {"expected_close_date": "2027-01-10"}
        ),
    )
    then(8, lambda: deals.close_won(session, world.anna, made["after B"], 1))
    return made, carl


def changes_of(session, world, **options):
    return pipeline_changes(session, world.executive, world.pipeline_id, DAY, DAY + timedelta(days=7), ZONE, **options)


def buckets(session, world, **options) -> dict[str, tuple[float, set[int]]]:
    """Each bucket with changes: its amount and the deals its list opens (as many as it counts)."""
    found = {}
    for bucket in changes_of(session, world, **options).buckets:
        if bucket.deals:
            listed, total = bucket_deals(
                session, world.executive, world.pipeline_id, DAY, DAY + timedelta(days=7), ZONE, bucket.name, **options
            )
            assert bucket.deals == total == len(listed)
            found[bucket.name] = (float(bucket.amount), set(listed["id"]))
    return found


def test_a_hand_built_week_of_pipeline_changes_reconciles_bucket_by_bucket(session, world):
    made, carl = week(session, world)
    north = (world.anna.id, world.boris.id)

    everyone = changes_of(session, world)

    # Start: steady 100 + won 300 + lost 400 + thrice 1000 + backward 50 + handed over 700 + in and out
    # 800 + after B 60 + pulled in 110 = 3520 (reopened was lost before A).
    assert float(everyone.start_amount) == 3520.0 and everyone.start_deals == 9
    assert buckets(session, world) == {
        "new": (290.0, {made["new"], made["new and won"]}),  # 200 + 90
        "won": (-390.0, {made["won"], made["new and won"]}),  # 300 + 90
        "lost": (-400.0, {made["lost"]}),
        "reopened": (500.0, {made["reopened"]}),
        "amount_increased": (500.0, {made["thrice"]}),  # 1000 → 1500
        "amount_decreased": (-300.0, {made["thrice"]}),  # 1500 → 1200
        "moved_forward": (0.0, {made["thrice"]}),
        "moved_backward": (0.0, {made["backward"]}),
    }
    # End: 3520 + 290 − 390 − 400 + 500 + 500 − 300 = 3720.
    assert float(everyone.end_amount) == 3720.0
    # North loses the handed-over deal (−700) and South gains it; everything else is North's.
    assert buckets(session, world, owner_ids=north)["reassigned_out"] == (-700.0, {made["handed over"]})
    south = changes_of(session, world, owner_ids=(carl.id,))
    assert (float(south.start_amount), buckets(session, world, owner_ids=(carl.id,)), float(south.end_amount)) == (
        0.0,
        {"reassigned_in": (700.0, {made["handed over"]})},
        700.0,
    )
    # Closing in November: nothing at the start; "in and out" pulled in (+800) and pushed out again
    # (−800), "pulled in" pulled in (+110): the end is 110.
    closing_in = DateRange(date(2026, 11, 1), date(2026, 11, 30))
    november = changes_of(session, world, closing_in=closing_in)
    assert (float(november.start_amount), float(november.end_amount)) == (0.0, 110.0)
    assert buckets(session, world, closing_in=closing_in) == {
        "pulled_in": (910.0, {made["in and out"], made["pulled in"]}),
        "pushed_out": (-800.0, {made["in and out"]}),
    }


@pytest.mark.parametrize("team", ["everyone", "north", "south"])
def test_the_start_and_end_of_the_changes_are_the_pipeline_of_each_day_and_the_buckets_add_up(session, world, team):
    made, carl = week(session, world)
    owners = {"everyone": (), "north": (world.anna.id, world.boris.id), "south": (carl.id,)}[team]

    found = changes_of(session, world, owner_ids=owners)

    for day, amount, count in (
        (DAY, found.start_amount, found.start_deals),
        (DAY + timedelta(days=7), found.end_amount, found.end_deals),
    ):
        frame = pipeline_as_of(session, world.executive, world.pipeline_id, day, ZONE, owner_ids=owners)
        assert (float(amount), count) == (frame["amount"].sum(), frame["deals"].sum())
    assert found.start_amount + sum(b.amount for b in found.buckets) == found.end_amount


# --- slippage ------------------------------------------------------------------------------------------


def test_slippage_counts_the_pushes_later_of_the_period_per_deal_and_per_manager(session, world):
    made = {}

    def deal(name: str, owner, close: str | None) -> None:
        fields = {"title": name, **({"expected_close_date": close} if close else {})}
        made[name] = on_day(
            session, -3, lambda: deals.create_deal(session, owner, pipeline_id=world.pipeline_id, fields=fields)
        )

    def close_on(name: str, days: int, day: str) -> None:
        on_day(
            session,
            days,
            lambda: deals.update_deal(
                session, world.admin, made[name], version(session, made[name]), {"expected_close_date": day}
            ),
        )

    deal("twice", world.anna, "2026-10-10")  # pushed before the period (not counted), then twice in it
    deal("once", world.anna, "2026-10-05")  # pushed once, 30 days
    deal("pulled", world.anna, "2026-10-20")  # moved earlier: no push
    deal("dated", world.anna, None)  # given a date for the first time: no push
    deal("boris", world.boris, "2026-10-01")  # Boris's: pushed once, 7 days
    deal("still", world.boris, "2026-10-30")  # Boris's, never pushed
    close_on("twice", -1, "2026-10-12")
    close_on("twice", 1, "2026-10-22")  # +10
    close_on("twice", 5, "2026-10-27")  # +5
    close_on("once", 2, "2026-11-04")  # +30
    close_on("pulled", 2, "2026-10-15")
    close_on("dated", 3, "2026-12-01")
    close_on("boris", 4, "2026-10-08")  # +7
    close_on("twice", 9, "2026-11-30")  # after the period

    found = slippage(session, world.executive, DAY, DAY + timedelta(days=7), ZONE, pipeline_id=world.pipeline_id)

    assert found.deals[["title", "pushes", "days"]].values.tolist() == [
        ["twice", 2, 15],
        ["once", 1, 30],
        ["boris", 1, 7],
    ]
    assert found.pushed_deals == 3
    per = found.managers.set_index("manager")
    # Anna: 4 open deals, 2 pushed (3 pushes, 45 days: 15 on average); Boris: 2 open, 1 pushed by 7 days.
    assert per.loc["Anna", ["open_deals", "slipped", "pushes"]].tolist() == [4, 2, 3]
    assert per.loc["Anna", "share"] == 0.5 and per.loc["Anna", "average_push_days"] == 15
    assert per.loc["Boris", ["open_deals", "slipped", "pushes", "average_push_days"]].tolist() == [2, 1, 1, 7]
    mine = slippage(session, world.boris, DAY, DAY + timedelta(days=7), ZONE)
    assert mine.deals["title"].tolist() == ["boris"] and mine.managers["manager"].tolist() == ["Boris"]
