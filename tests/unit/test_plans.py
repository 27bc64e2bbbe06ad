"""Plan editing: who may, what is refused, copying with an uplift, and the history of every change."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import plans
from core.errors import PermissionDenied, ValidationError
from core.periods import Period
from db.models import Plan, PlanChange
from tests.unit.conftest import add_user

JULY = date(2026, 7, 1)


def plan_of(session, **who) -> Plan:
    return session.scalar(select(Plan).filter_by(**who))


@pytest.mark.parametrize(
    ("role", "allowed"), [("anna", False), ("executive", True), ("admin", True)], ids=["manager", "executive", "admin"]
)
def test_who_may_edit_plans(session, world, role, allowed):
    actor = getattr(world, role)
    writes = [
        lambda: plans.set_plan(session, actor, month=JULY, user_id=world.anna.id, target_amount=1, target_count=1),
        lambda: plans.set_target(session, actor, month=JULY, user_id=world.anna.id, field="target_calls", value=5),
        lambda: plans.copy_plans(
            session, actor, source=Period.parse("2026-Q3"), target=Period.parse("2026-Q4"), uplift_percent=10
        ),
    ]
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    if not allowed:
        assert session.scalar(select(func.count()).select_from(Plan)) == 0
        with pytest.raises(PermissionDenied):
            plans.plan_history(session, actor)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_amount", -1, "must not be negative"),
        ("target_amount", "a lot", "must be a number"),
        ("target_amount", "", "is required"),
        ("target_count", 1.5, "must be a whole number"),
        ("target_count", -2, "must not be negative"),
        ("target_calls", -3, "must not be negative"),
        ("target_meetings", "x", "must be a whole number"),
    ],
)
def test_bad_targets_are_refused_by_field(session, world, field, value, message):
    with pytest.raises(ValidationError) as error:
        plans.set_target(session, world.executive, month=JULY, user_id=world.anna.id, field=field, value=value)

    assert message in error.value.errors[field]
    assert plan_of(session, user_id=world.anna.id) is None


def test_a_plan_is_for_one_manager_or_one_team(session, world):
    with pytest.raises(ValidationError) as error:
        plans.set_plan(
            session,
            world.executive,
            month=JULY,
            user_id=world.anna.id,
            team_id=world.anna.team_id,
            target_amount=1,
            target_count=1,
        )
    assert "user_id" in error.value.errors
    with pytest.raises(ValidationError) as error:
        plans.set_target(session, world.executive, month=JULY, user_id=9999, field="target_amount", value=1)
    assert "no such user" in error.value.errors["user_id"]


def test_one_plan_per_manager_month_and_pipeline(session, world):
    for amount in (100, 200):
        plans.set_plan(
            session, world.executive, month=JULY, user_id=world.anna.id, target_amount=amount, target_count=1
        )
    plans.set_plan(
        session,
        world.executive,
        month=date(2026, 7, 20),  # any day names its month
        user_id=world.anna.id,
        pipeline_id=world.pipeline_id,
        target_amount=50,
        target_count=1,
    )

    assert session.scalars(select(Plan.target_amount).order_by(Plan.id)).all() == [Decimal(200), Decimal(50)]


def test_a_cell_edit_creates_the_plan_and_keeps_the_other_targets(session, world):
    plans.set_target(session, world.executive, month=JULY, user_id=world.anna.id, field="target_calls", value="40")
    plans.set_target(
        session, world.executive, month=JULY, user_id=world.anna.id, field="target_amount", value="1 500,5"
    )

    plan = plan_of(session, user_id=world.anna.id)
    assert (plan.target_amount, plan.target_count, plan.target_calls, plan.target_meetings) == (
        Decimal("1500.50"),
        0,
        40,
        None,
    )
    history = plans.plan_history(session, world.executive)
    assert history[["by", "plan_of", "target", "was", "now"]].fillna("-").values.tolist() == [
        ["Chief", "Anna", "target_amount", "0.00", "1500.50"],
        ["Chief", "Anna", "target_calls", "-", "40"],
    ]


def test_copy_a_quarter_with_an_uplift(session, world):
    chief, anna, boris = world.executive, world.anna, world.boris
    for month in (7, 8, 9):
        plans.set_plan(
            session,
            chief,
            month=date(2026, month, 1),
            user_id=anna.id,
            target_amount=Decimal("1000.05"),
            target_count=3,
            target_calls=50,
        )
    plans.set_plan(session, chief, month=JULY, team_id=anna.team_id, target_amount=5000, target_count=10)
    plans.set_plan(session, chief, month=JULY, user_id=boris.id, target_amount=700, target_count=1)
    plans.set_plan(  # already there: replaced
        session, chief, month=date(2026, 10, 1), user_id=anna.id, target_amount=1, target_count=1
    )

    written = plans.copy_plans(
        session, chief, source=Period.parse("2026-Q3"), target=Period.parse("2026-Q4"), uplift_percent="10"
    )

    assert written == 5
    october = {(p.user_id, p.team_id): p for p in session.scalars(select(Plan).where(Plan.month == date(2026, 10, 1)))}
    anna_october = october[(anna.id, None)]
    # 1000.05 × 1.1 = 1100.055 → 1100 (whole units); 3 × 1.1 = 3.3 → 3; 50 × 1.1 = 55; no meetings target stays none.
    assert (
        anna_october.target_amount,
        anna_october.target_count,
        anna_october.target_calls,
        anna_october.target_meetings,
    ) == (Decimal(1100), 3, 55, None)
    assert october[(None, anna.team_id)].target_amount == Decimal(5500)
    assert october[(boris.id, None)].target_amount == Decimal(770)
    assert session.scalar(select(func.count()).select_from(Plan).where(Plan.month == date(2026, 12, 1))) == 1


def test_copy_for_one_team_leaves_other_people_alone(session, world):
    clara = add_user(session, "clara", world.anna.role)
    plans.set_plan(session, world.executive, month=JULY, user_id=world.anna.id, target_amount=100, target_count=1)
    plans.set_plan(session, world.executive, month=JULY, user_id=clara.id, target_amount=100, target_count=1)

    written = plans.copy_plans(
        session,
        world.executive,
        source=Period.parse("2026-07"),
        target=Period.parse("2026-08"),
        uplift_percent=0,
        team_id=world.anna.team_id,
    )

    assert written == 1
    assert plan_of(session, user_id=clara.id, month=date(2026, 8, 1)) is None


@pytest.mark.parametrize(
    ("source", "target", "uplift", "field"),
    [
        ("2026-Q3", "2026-Q3", 10, "target"),
        ("2026-Q3", "2026-10", 10, "target"),
        ("2026-Q3", "2026-Q4", "ten", "uplift_percent"),
        ("2026-Q3", "2026-Q4", -101, "uplift_percent"),
    ],
)
def test_bad_copies_are_refused_and_write_nothing(session, world, source, target, uplift, field):
    plans.set_plan(session, world.executive, month=JULY, user_id=world.anna.id, target_amount=100, target_count=1)

    with pytest.raises(ValidationError) as error:
        plans.copy_plans(
            session,
            world.executive,
            source=Period.parse(source),
            target=Period.parse(target),
            uplift_percent=uplift,
        )

    assert field in error.value.errors
    assert session.scalar(select(func.count()).select_from(Plan)) == 1
    assert session.scalar(select(func.count()).select_from(PlanChange)) == 2  # the two targets set above


def test_managers_read_their_own_plans_only(session, world):
    for who in (world.anna, world.boris):
        plans.set_plan(session, world.executive, month=JULY, user_id=who.id, target_amount=100, target_count=1)

    assert plans.list_plans(session, world.anna, period=Period.parse("2026-Q3"))["user_id"].tolist() == [world.anna.id]
    assert len(plans.list_plans(session, world.executive, period=Period.parse("2026-Q3"))) == 2


@pytest.mark.parametrize("text", ["2026-Q5", "26-Q1", "2026-13", "Q3", "", "0000"])
def test_bad_period_names(text):
    with pytest.raises(ValidationError) as error:
        Period.parse(text)
    assert "period" in error.value.errors


def test_period_names():
    assert [str(Period.parse(t)) for t in ("2026", "2026-q3", "2026Q1", "2026-7", "2026-07")] == [
        "2026",
        "2026-Q3",
        "2026-Q1",
        "2026-07",
        "2026-07",
    ]
    assert Period.parse("2026-Q4").last == date(2026, 12, 31) and Period.parse("2024-02").days == 29
    assert Period.parse("2026-Q4").shifted(1) == Period.parse("2027-Q1")


def plans_and_changes(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Plan)),
        session.scalar(select(func.count()).select_from(PlanChange)),
    )


def test_a_copy_is_previewed_with_the_plans_it_replaces_and_writes_nothing(session, world):
    chief, anna, boris = world.executive, world.anna, world.boris
    clara = add_user(session, "clara", anna.role)  # in no team
    for month in (7, 8, 9):
        plans.set_plan(session, chief, month=date(2026, month, 1), user_id=anna.id, target_amount=100, target_count=1)
    plans.set_plan(session, chief, month=JULY, team_id=anna.team_id, target_amount=500, target_count=5)
    plans.set_plan(session, chief, month=JULY, user_id=boris.id, target_amount=70, target_count=1)
    plans.set_plan(session, chief, month=JULY, user_id=clara.id, target_amount=70, target_count=1)
    for month in (10, 11):  # already there: anna's October and November, and boris's December, which no copy takes
        plans.set_plan(session, chief, month=date(2026, month, 1), user_id=anna.id, target_amount=1, target_count=1)
    plans.set_plan(session, chief, month=date(2026, 12, 1), user_id=boris.id, target_amount=1, target_count=1)
    plans.set_plan(  # for one pipeline: not a plan for all pipelines, so neither copied nor replaced
        session, chief, month=JULY, user_id=anna.id, pipeline_id=world.pipeline_id, target_amount=9, target_count=1
    )
    q3, q4 = Period.parse("2026-Q3"), Period.parse("2026-Q4")
    before = plans_and_changes(session)

    preview = plans.preview_copy(session, chief, source=q3, target=q4, team_id=anna.team_id)

    assert preview == plans.CopyPreview(copied=5, replaced=2)  # anna's three, boris's and the team's; not clara's
    assert plans_and_changes(session) == before
    written = plans.copy_plans(session, chief, source=q3, target=q4, uplift_percent=0, team_id=anna.team_id)
    assert written == preview.copied
    assert plans_and_changes(session)[0] == before[0] + preview.copied - preview.replaced
    assert plans.preview_copy(session, chief, source=q3, target=q4, team_id=anna.team_id) == plans.CopyPreview(5, 5)
    assert plans.preview_copy(session, chief, source=q3, target=q4) == plans.CopyPreview(6, 5)  # and clara's, new
    assert plans.preview_copy(session, chief, source=q3, target=q4, pipeline_id=world.pipeline_id) == (
        plans.CopyPreview(1, 0)
    )


def test_a_preview_refuses_what_the_copy_refuses(session, world):
    with pytest.raises(ValidationError) as error:
        plans.preview_copy(session, world.executive, source=Period.parse("2026-Q3"), target=Period.parse("2026-Q3"))
    assert set(error.value.errors) == {"target"}
    with pytest.raises(PermissionDenied):
        plans.preview_copy(session, world.anna, source=Period.parse("2026-Q3"), target=Period.parse("2026-Q4"))


@pytest.mark.parametrize(
    ("planned", "shown", "suggested"),
    [
        # the plans on screen onto the first later quarter without plans
        (["2026-Q3"], "2026-Q3", ("2026-Q3", "2026-Q4")),
        (["2026-Q3", "2026-Q4"], "2026-Q3", ("2026-Q3", "2027-Q1")),
        (["2026-Q3", "2026-11"], "2026-Q3", ("2026-Q3", "2027-Q1")),  # one month planned is planned
        # a quarter without plans yet: the latest earlier quarter's plans onto it
        (["2026-Q1"], "2026-Q3", ("2026-Q1", "2026-Q3")),
        ([], "2026-Q3", ("2026-Q2", "2026-Q3")),
        # every later quarter has plans: the next one, whose plans the copy will name before replacing them
        (["2026-Q3", "2026-Q4", "2027-Q1"], "2026-Q3", ("2026-Q3", "2026-Q4")),
    ],
)
def test_the_suggested_copy_replaces_no_plans_when_it_can(session, world, planned, shown, suggested):
    for name in planned:
        for month in Period.parse(name).months:
            plans.set_plan(
                session, world.executive, month=month, user_id=world.anna.id, target_amount=1, target_count=1
            )

    source, target = plans.suggested_copy(session, world.executive, shown=Period.parse(shown), earlier=3, later=2)

    assert (str(source), str(target)) == suggested


def test_the_suggested_copy_looks_at_the_team_and_pipeline_chosen(session, world):
    clara = add_user(session, "clara", world.anna.role)  # no team
    for month in Period.parse("2026-Q4").months:
        plans.set_plan(session, world.executive, month=month, user_id=clara.id, target_amount=1, target_count=1)
    plans.set_plan(session, world.executive, month=JULY, user_id=world.anna.id, target_amount=1, target_count=1)
    q3 = Period.parse("2026-Q3")

    everyone = plans.suggested_copy(session, world.executive, shown=q3, earlier=2, later=2)
    team = plans.suggested_copy(session, world.executive, shown=q3, earlier=2, later=2, team_id=world.anna.team_id)
    pipeline = plans.suggested_copy(
        session, world.executive, shown=q3, earlier=2, later=2, pipeline_id=world.pipeline_id
    )

    assert [tuple(map(str, pair)) for pair in (everyone, team, pipeline)] == [
        ("2026-Q3", "2027-Q1"),  # clara's plans fill 2026-Q4
        ("2026-Q3", "2026-Q4"),  # not in anna's team
        ("2026-Q2", "2026-Q3"),  # no plans for that pipeline anywhere
    ]
