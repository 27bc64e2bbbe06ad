"""Manager activity figures on a hand-built month, every expected number worked out by hand here.
Period: November 2026; now: 2026-11-20 12:00 UTC (passed in, never read from the clock)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core.analytics.activity import manager_activity, totals
from core.errors import PermissionDenied
from db.models import Activity, Deal, StageKind

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOVEMBER = {"date_from": date(2026, 11, 1), "date_to": date(2026, 11, 30), "now": NOW}


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def month(session, world):
    s = world.stages

    def deal(owner, stage, entered, amount=100, closed=None) -> int:
        kind = {s["Won"]: StageKind.WON, s["Lost"]: StageKind.LOST}.get(stage, StageKind.OPEN)
        row = Deal(
            title="d",
            amount=Decimal(amount),
            owner_id=owner.id,
            pipeline_id=world.pipeline_id,
            stage_id=stage,
            status=kind,
            created_at=at(10, 1),
            stage_entered_at=entered,
            closed_at=closed,
            closing_owner_id=owner.id if closed else None,
            lost_reason_id=world.reason_id if kind == StageKind.LOST else None,
        )
        session.add(row)
        session.flush()
        return row.id

    def activity(owner, kind, due=None, done=None, deal_id=None) -> None:
        session.add(
            Activity(
                kind=kind,
                subject="a",
                owner_id=owner.id,
                due_at=due,
                done_at=done,
                deal_id=deal_id,
                created_at=at(10, 1),
            )
        )

    anna, boris = world.anna, world.boris
    activity(anna, "call", due=at(11, 5, 11), done=at(11, 5, 10))  # on time
    activity(anna, "call", due=at(11, 6, 9), done=at(11, 6, 12))  # late
    activity(anna, "call", due=at(10, 30), done=at(10, 30))  # before the period
    activity(anna, "meeting", done=at(11, 10))  # logged, no due time
    activity(anna, "task", due=at(11, 20, 11, 59))  # overdue: due a minute before now
    activity(anna, "task", due=at(11, 20, 12))  # due exactly now: not overdue yet
    activity(anna, "task", due=at(12, 2))  # next month
    # Qualification rots after 7 days. All three entered it on Nov 1.
    deal(anna, s["Qualification"], at(11, 1))  # idle: rotting
    emailed = deal(anna, s["Qualification"], at(11, 1))
    planned_only = deal(anna, s["Qualification"], at(11, 1))
    activity(anna, "email", done=at(11, 18), deal_id=emailed)  # a done activity: not rotting
    activity(anna, "call", due=at(11, 25), deal_id=planned_only)  # planned only: still rotting
    deal(anna, s["Won"], at(11, 10), 1000, closed=at(11, 10))
    deal(anna, s["Won"], at(10, 15), 500, closed=at(10, 15))  # won before the period
    deal(anna, s["Lost"], at(11, 12), 300, closed=at(11, 12))
    activity(boris, "call", due=at(11, 3, 10), done=at(11, 3, 9))
    deal(boris, s["Won"], at(11, 15), 3000, closed=at(11, 15))
    session.flush()


def row_of(frame, name: str) -> dict:
    return frame.set_index("manager").loc[name].to_dict()


def test_a_managers_month(session, world, month):
    anna = row_of(manager_activity(session, world.executive, **NOVEMBER), "Anna")

    assert (anna["calls"], anna["meetings"], anna["overdue"]) == (2, 1, 1)
    # Due in November: the two calls, the two tasks of the 20th and the planned call of the 25th.
    assert anna["planned"] == 5
    assert (anna["done_with_due"], anna["done_on_time"], anna["done_on_time_share"]) == (2, 1, 0.5)
    assert (anna["open_deals"], anna["open_amount"], anna["rotting"]) == (3, 300.0, 2)
    assert (anna["won"], anna["won_amount"], anna["lost"]) == (1, 1000.0, 1)
    assert (anna["win_rate_closed"], anna["average_deal"]) == (0.5, 1000.0)


def test_team_totals_recompute_the_rates_from_the_sums(session, world, month):
    frame = manager_activity(session, world.executive, **NOVEMBER, team_id=world.anna.team_id)

    team = totals(frame, "North").iloc[0].to_dict()

    assert (team["calls"], team["planned"], team["won"], team["won_amount"]) == (3, 6, 2, 4000.0)
    assert team["done_on_time_share"] == pytest.approx(2 / 3)
    assert team["win_rate_closed"] == pytest.approx(2 / 3)
    assert team["average_deal"] == 2000.0


def test_a_manager_sees_only_their_own_row(session, world, month):
    assert manager_activity(session, world.boris, **NOVEMBER)["manager"].tolist() == ["Boris"]
    with pytest.raises(PermissionDenied):
        manager_activity(session, world.boris, **NOVEMBER, manager_ids=(world.anna.id,))


def test_an_executive_sees_every_manager(session, world, month):
    assert manager_activity(session, world.executive, **NOVEMBER)["manager"].tolist() == ["Anna", "Boris"]


def test_a_deal_reassigned_after_it_was_won_stays_with_the_manager_who_won_it(session, world, month):
    session.add(
        Deal(
            title="handed over",
            amount=Decimal(700),
            owner_id=world.anna.id,
            closing_owner_id=world.boris.id,
            pipeline_id=world.pipeline_id,
            stage_id=world.stages["Won"],
            status=StageKind.WON,
            created_at=at(10, 1),
            stage_entered_at=at(11, 16),
            closed_at=at(11, 16),
        )
    )
    session.flush()
    frame = manager_activity(session, world.executive, **NOVEMBER)

    assert (row_of(frame, "Boris")["won"], row_of(frame, "Boris")["won_amount"]) == (2, 3700.0)
    assert (row_of(frame, "Anna")["won"], row_of(frame, "Anna")["won_amount"]) == (1, 1000.0)
