"""Plan vs fact on a hand-built summer, every expected figure worked out by hand in the comments.

Team North: Anna and Boris. Today is 2026-08-15; Q3 2026 has 92 days, of which 46 have elapsed
(today included). Deals go through the services with the clock set, so "owner at close" is what
the services record. Stage probabilities (B2B classic): Qualification 10, Presentation 25, Contracting 80.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

import core.deals
from core import deals, plans
from core.analytics.plan_fact import assumptions, deals_needed, monthly_plan_fact, plan_fact, rate_window, run_rate
from core.errors import PermissionDenied
from core.periods import DateRange, Period, PeriodKind

TODAY = date(2026, 8, 15)
Q2, Q3, Q4 = Period.parse("2026-Q2"), Period.parse("2026-Q3"), Period.parse("2026-Q4")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def summer(session, world, monkeypatch):
    clock = {"now": at(5, 1)}
    monkeypatch.setattr(core.deals, "utcnow", lambda: clock["now"])
    s, anna, boris, chief = world.stages, world.anna, world.boris, world.executive

    def create(owner, when, amount, stage="Qualification", close_on=None, **fields) -> list:
        clock["now"] = when
        deal_id = deals.create_deal(
            session,
            owner,
            pipeline_id=world.pipeline_id,
            stage_id=s[stage],
            fields={"title": "d", "amount": amount, "expected_close_date": close_on, **fields},
        )
        return [deal_id, 1]

    def won(deal, owner, when) -> None:
        clock["now"] = when
        deal[1] = deals.close_won(session, owner, deal[0], deal[1])

    def lost(deal, owner, when) -> None:
        clock["now"] = when
        deal[1] = deals.close_lost(session, owner, deal[0], deal[1], lost_reason_id=world.reason_id)

    def reassign(deal, to, when) -> None:
        clock["now"] = when
        deal[1] = deals.reassign_deal(session, chief, deal[0], to.id, deal[1])

    for _ in range(7):  # Anna's seven losses in May: closed in the 12-month window, not in Q3
        lost(create(anna, at(5, 1), 100), anna, at(5, 2))
    won(create(anna, at(6, 1), 8000), anna, at(6, 30, 23))  # E: Q2 in UTC, July 1st in Moscow
    won(create(anna, at(7, 1), 4000), anna, at(7, 10))  # A: Anna, July
    b = create(boris, at(7, 2), 6000)  # B: reassigned to Anna before closing: Anna's
    reassign(b, anna, at(7, 20))
    won(b, anna, at(8, 3))
    c = create(anna, at(7, 5), 2500)  # C: won, reopened, lost: counts for nobody
    won(c, anna, at(7, 15))
    clock["now"] = at(7, 20)
    c[1] = deals.reopen_deal(session, anna, c[0], c[1])
    lost(c, anna, at(8, 1))
    d = create(boris, at(8, 1), 3000)  # D: Boris won it, then it was reassigned: still Boris's
    won(d, boris, at(8, 10))
    reassign(d, anna, at(8, 12))
    create(anna, at(7, 1), 16000, "Presentation", date(2026, 9, 10))  # G: 16000 × 25 % = 4000
    create(anna, at(7, 1), 5000, close_on=date(2026, 8, 14))  # H: expected yesterday: not in the rest
    create(anna, at(7, 1), 1000, close_on=date(2026, 10, 1))  # I: Q4, 1000 × 10 % = 100
    create(boris, at(8, 14), 2000, "Contracting", TODAY, company_id=world.company_id)  # J: today, × 80 % = 1600

    def plan(month, amount, count, **who):
        plans.set_plan(session, chief, month=date(2026, month, 1), target_amount=amount, target_count=count, **who)

    for month in (7, 8, 9):
        plan(month, 10000, 2, user_id=anna.id)
    plan(7, 5000, 1, user_id=boris.id)  # Boris has no plan for August
    plan(9, 5000, 1, user_id=boris.id)
    plan(8, 20000, 4, team_id=anna.team_id)  # the team's own August plan replaces the sum of its managers'
    session.flush()


def rows(frame):
    return {row["name"]: row for row in frame.to_dict("records")}


def test_quarter_figures_for_managers_team_and_company(session, world, summer):
    figures = rows(plan_fact(session, world.executive, period=Q3, today=TODAY))
    anna, boris, north = figures["Anna"], figures["Boris"], figures["North"]
    company = next(row for row in figures.values() if row["level"] == "company")

    # Fact: A 4000 + B 6000 (reassigned to her before closing); C was lost in the end; D is Boris's.
    assert (anna["plan_amount"], anna["plan_count"], anna["fact_amount"], anna["fact_count"]) == (30000, 6, 10000, 2)
    assert (boris["plan_amount"], boris["plan_count"], boris["fact_amount"], boris["fact_count"]) == (10000, 2, 3000, 1)
    # Team: July 10000 + 5000, August the team's own 20000, September 10000 + 5000; counts 3 + 4 + 3.
    assert (north["plan_amount"], north["plan_count"], north["fact_amount"], north["fact_count"]) == (
        50000,
        10,
        13000,
        3,
    )
    assert (company["plan_amount"], company["fact_amount"]) == (50000, 13000)

    assert anna["completion_amount"] == pytest.approx(1 / 3) and anna["completion_count"] == pytest.approx(1 / 3)
    assert (boris["completion_amount"], boris["completion_count"]) == (0.3, 0.5)
    assert (north["completion_amount"], north["completion_count"]) == (0.26, 0.3)
    # Run-rate: fact × 92 / 46.
    assert (anna["run_rate_amount"], anna["run_rate_count"]) == (20000, 4)
    assert (boris["run_rate_amount"], north["run_rate_amount"]) == (6000, 26000)
    # Weighted: Anna 10000 + G 4000 (H expected yesterday, I in October); Boris 3000 + J 1600 (due today).
    assert (anna["weighted_forecast"], boris["weighted_forecast"], north["weighted_forecast"]) == (14000, 4600, 18600)
    assert (anna["gap"], boris["gap"], north["gap"]) == (16000, 5400, 31400)


def test_deals_needed_uses_the_managers_rates_or_the_teams(session, world, summer):
    figures = rows(plan_fact(session, world.executive, period=Q3, today=TODAY))
    anna, boris, north = figures["Anna"], figures["Boris"], figures["North"]

    # Anna closed 11 deals in the window (A, B, E won; C and seven lost): her own rates. Average deal
    # (4000 + 6000 + 8000) / 3 = 6000; funnel win rate: of the 15 deals she owns created in the
    # window, A, B, D, E are won: 4/15. 16000 / (6000 × 4/15) = 10 exactly.
    assert (anna["basis"], anna["average_deal"], anna["win_rate"], anna["deals_needed"]) == (
        "manager",
        6000,
        4 / 15,
        10,
    )
    # Boris closed one deal: the team's rates. Average (18000 + 3000) / 4 = 5250; created 15 + 1 (J),
    # won 4: 0.25. 5400 / 1312.5 = 4.11 → 5; the team: 31400 / 1312.5 = 23.9 → 24.
    assert (boris["basis"], boris["average_deal"], boris["win_rate"], boris["deals_needed"]) == ("team", 5250, 0.25, 5)
    assert (north["basis"], north["deals_needed"]) == ("team", 24)

    chosen = assumptions(session, world.executive, manager_id=world.boris.id, today=TODAY)
    assert (chosen.basis, chosen.closed, chosen.average_deal, chosen.win_rate) == ("team", 12, 5250, 0.25)
    assert (chosen.window_from, chosen.window_to) == (date(2025, 8, 16), TODAY)
    # The team's wins took, in completed days: E 29 (29 days 11 hours), A 9, B 32, D 9 → median (9 + 29) / 2.
    assert chosen.cycle_median_days == 19


def test_a_month_without_a_plan_shows_no_completion(session, world, summer):
    boris = rows(plan_fact(session, world.executive, period=Period.parse("2026-08"), today=TODAY))["Boris"]

    assert (boris["plan_amount"], boris["fact_amount"]) == (0, 3000)
    assert pd.isna(boris["completion_amount"]) and pd.isna(boris["completion_count"])  # "no plan", not 3000 / 0


def test_quarter_is_the_sum_of_its_months(session, world, summer):
    quarter = plan_fact(session, world.executive, period=Q3, today=TODAY).set_index("name")
    months = [plan_fact(session, world.executive, period=Period(m, PeriodKind.MONTH), today=TODAY) for m in Q3.months]
    summed = sum(
        month.set_index("name")[["plan_amount", "plan_count", "fact_amount", "fact_count"]] for month in months
    )

    assert summed.equals(quarter[["plan_amount", "plan_count", "fact_amount", "fact_count"]])

    monthly = monthly_plan_fact(session, world.executive, year=2026, today=date(2026, 12, 31))
    summer_months = monthly[monthly["month"].isin(Q3.months)]
    assert summer_months["plan_amount"].tolist() == [15000, 20000, 15000]
    assert summer_months["fact_amount"].tolist() == [4000, 9000, 0]
    assert monthly["cumulative_fact"].iloc[-1] == 8000 + 13000  # E in June, then the summer
    assert monthly["cumulative_plan"].iloc[-1] == 50000
    assert monthly["plan_amount"].iloc[:6].isna().all()  # no plans before July: "no plan", not a zero target

    in_august = monthly_plan_fact(session, world.executive, year=2026, today=TODAY)
    assert in_august["fact_amount"].iloc[7] == 9000 and in_august["fact_amount"].iloc[8:].isna().all()


def test_finished_and_future_periods(session, world, summer):
    spring = rows(plan_fact(session, world.executive, period=Q2, today=TODAY))["Anna"]
    autumn = rows(plan_fact(session, world.executive, period=Q4, today=TODAY))["Anna"]

    # A finished period: run-rate and weighted forecast are the fact.
    assert (spring["fact_amount"], spring["run_rate_amount"], spring["weighted_forecast"]) == (8000, 8000, 8000)
    # Not started: no run-rate; the forecast is what is expected to close in it (I: 1000 × 10 %).
    assert autumn["weighted_forecast"] == 100
    assert pd.isna(autumn["run_rate_amount"]) and pd.isna(autumn["completion_amount"])


def test_periods_follow_the_installations_time_zone(session, world, summer):
    moscow = ZoneInfo("Europe/Moscow")
    anna = rows(plan_fact(session, world.executive, period=Q3, today=TODAY, zone=moscow))["Anna"]

    assert (anna["fact_amount"], anna["fact_count"]) == (18000, 3)  # E closed at 02:00 on July 1st in Moscow


def test_a_manager_sees_only_their_own_row(session, world, summer):
    frame = plan_fact(session, world.anna, period=Q3, today=TODAY)

    assert frame["name"].tolist() == ["Anna"]
    assert monthly_plan_fact(session, world.anna, year=2026, today=TODAY)["fact_amount"].sum() == 18000
    with pytest.raises(PermissionDenied):
        monthly_plan_fact(session, world.anna, year=2026, today=TODAY, manager_id=world.boris.id)
    with pytest.raises(PermissionDenied):
        assumptions(session, world.anna, manager_id=world.boris.id, today=TODAY)


def test_team_filter_keeps_the_team_and_drops_the_company(session, world, summer):
    frame = plan_fact(session, world.executive, period=Q3, today=TODAY, team_id=world.anna.team_id)

    assert frame["level"].tolist() == ["manager", "manager", "team"]


@pytest.mark.parametrize(
    ("gap", "average", "win_rate", "expected"),
    [(0, 1000, 0.5, 0), (-5, None, None, 0), (1000, 1000, 0.5, 2), (1001, 1000, 0.5, 3), (1000, None, 0.5, None)],
)
def test_deals_needed_formula(gap, average, win_rate, expected):
    assert deals_needed(gap, average, win_rate) == expected


def test_run_rate_counts_today_and_stops_at_the_end():
    july = Period.parse("2026-07")

    assert run_rate(100, july, date(2026, 7, 1)) == 3100  # one day elapsed of 31
    assert run_rate(100, july, date(2026, 7, 31)) == 100
    assert run_rate(100, july, date(2026, 9, 1)) == 100
    assert run_rate(100, july, date(2026, 6, 30)) is None


def test_rate_window_is_the_twelve_months_up_to_today():
    assert rate_window(date(2026, 8, 15)) == DateRange(date(2025, 8, 16), date(2026, 8, 15))
    assert rate_window(date(2028, 2, 29)) == DateRange(date(2027, 3, 1), date(2028, 2, 29))
    assert rate_window(date(2026, 3, 31)) == DateRange(date(2025, 4, 1), date(2026, 3, 31))
