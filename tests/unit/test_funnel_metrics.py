"""The funnel metrics of SPEC §3 on a hand-built company, every expected figure worked out by hand
below (not by the code under test). Period: Q3 2026 (July 1 – September 30), time zone UTC."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core.analytics import funnel
from core.analytics.behind import deals_behind
from core.analytics.filters import FunnelFilter
from core.analytics.funnel import cohort_funnel, lost_analysis, time_in_stage, win_rates
from db.models import Deal, StageKind, StageTransition

NOW = datetime(2026, 10, 10, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def company(session, world):
    """14 deals with explicit histories (stage, time), owners and reasons."""
    s, stage_kind = world.stages, {}
    from db.models import Stage

    for stage in session.query(Stage).filter(Stage.pipeline_id == world.pipeline_id):
        stage_kind[stage.id] = stage.kind
    from core import lost_reasons

    reasons = {"Too expensive": world.reason_id}
    for name in ("No budget", "No response"):
        reasons[name] = lost_reasons.create_lost_reason(session, world.admin, name)

    def deal(title, owner, amount, history, reason=None):
        stage_ids = [s[name] for name, _ in history]
        last_stage, last_at = stage_ids[-1], history[-1][1]
        status = stage_kind[last_stage]
        row = Deal(
            title=title,
            amount=Decimal(amount),
            owner_id=owner.id,
            pipeline_id=world.pipeline_id,
            stage_id=last_stage,
            status=status,
            created_at=history[0][1],
            stage_entered_at=last_at,
            closed_at=None if status == StageKind.OPEN else last_at,
            lost_reason_id=reasons[reason] if status == StageKind.LOST else None,
        )
        session.add(row)
        session.flush()
        previous, entered = None, None
        for stage_id, (_, moved_at) in zip(stage_ids, history, strict=True):
            session.add(
                StageTransition(
                    deal_id=row.id,
                    from_stage_id=previous,
                    to_stage_id=stage_id,
                    at=moved_at,
                    by_user_id=owner.id,
                    from_entered_at=entered,
                )
            )
            previous, entered = stage_id, moved_at
        session.flush()

    anna, boris = world.anna, world.boris
    Q, P, CP, C, W, L = "Qualification", "Presentation", "Commercial proposal", "Contracting", "Won", "Lost"
    deal("D1", anna, 1000, [(Q, at(7, 1)), (P, at(7, 5)), (CP, at(7, 10)), (C, at(7, 20)), (W, at(8, 1))])
    deal("D2", anna, 500, [(Q, at(7, 2)), (P, at(7, 6)), (L, at(7, 15))], "Too expensive")
    deal("D3", anna, 2000, [(Q, at(7, 3)), (CP, at(7, 8)), (W, at(7, 30))])
    deal("D4", anna, 300, [(Q, at(7, 4)), (L, at(7, 9))], "No budget")
    deal(
        "D5",
        anna,
        800,
        [(Q, at(7, 5)), (P, at(7, 10)), (C, at(7, 20)), (L, at(8, 10)), (C, at(8, 15)), (W, at(9, 1))],
        "Too expensive",
    )
    deal("D6", boris, 100, [(Q, at(8, 1))])
    deal("D7", boris, 200, [(Q, at(8, 2)), (P, at(8, 5))])
    deal("D8", boris, 1500, [(Q, at(9, 10)), (P, at(9, 12)), (CP, at(9, 20)), (C, at(9, 25)), (W, at(10, 5))])
    deal("D9", boris, 50, [(Q, at(7, 1)), (W, at(7, 2))])
    deal("D10", boris, 10, [(Q, at(9, 30, 23))])
    deal("D11", anna, 700, [(Q, at(6, 1)), (P, at(6, 10)), (W, at(7, 15))])
    deal("D12", anna, 400, [(Q, at(6, 5)), (L, at(8, 20))], "No response")
    deal("D13", anna, 900, [(Q, at(5, 1)), (W, at(6, 15))])
    deal("D14", boris, 60, [(Q, at(10, 2))])
    return FunnelFilter(world.pipeline_id, date(2026, 7, 1), date(2026, 9, 30))


def test_cohort_funnel_counts_amounts_and_conversions(session, world, company):
    # Cohort: D1–D10. Furthest open stage (Q0 P1 CP2 C3; won now = all): D1 3, D2 1, D3 3, D4 0,
    # D5 3 (won after a reopen), D6 0, D7 1, D8 3, D9 3, D10 0.
    funnel = cohort_funnel(session, world.executive, company)

    assert funnel["stage"].tolist() == ["Qualification", "Presentation", "Commercial proposal", "Contracting", "Won"]
    assert funnel["reached"].tolist() == [10, 7, 5, 5, 5]
    assert funnel["reached_amount"].tolist() == [6460.0, 6050.0, 5350.0, 5350.0, 5350.0]
    assert funnel["next_step_conversion"].tolist()[:4] == pytest.approx([0.7, 5 / 7, 1.0, 1.0])
    assert funnel["cumulative_conversion"].tolist() == pytest.approx([1.0, 0.7, 0.5, 0.5, 0.5])


def test_cohort_funnel_of_one_manager(session, world, company):
    # Boris's cohort: D6 0, D7 1, D8 3, D9 3, D10 0.
    boris_only = FunnelFilter(company.pipeline_id, company.date_from, company.date_to, owner_ids=(world.boris.id,))

    funnel = cohort_funnel(session, world.executive, boris_only)

    assert funnel["reached"].tolist() == [5, 3, 2, 2, 2]
    assert funnel["reached"].tolist() == cohort_funnel(session, world.boris, company)["reached"].tolist()


def test_win_rates_average_deal_and_cycle(session, world, company):
    # Closed in Q3: won D1 D3 D5 D9 D11, lost D2 D4 D12 (D8 closes in October, D13 in June).
    # Cycles of the won: 31, 27, 58, 1, 44 days.
    figures = win_rates(session, world.executive, company)

    assert (figures["won"], figures["lost"]) == (5, 3)
    assert figures["win_rate_closed"] == pytest.approx(5 / 8)
    assert (figures["created"], figures["created_and_won"]) == (10, 5)
    assert figures["funnel_win_rate"] == pytest.approx(0.5)
    assert figures["average_deal_size"] == pytest.approx(4550 / 5)
    assert figures["cycle_median_days"] == pytest.approx(31)
    assert figures["cycle_mean_days"] == pytest.approx(161 / 5)


def test_time_in_stage_of_stays_ended_in_the_period_and_of_open_deals_now(session, world, company):
    # Stays ended in Q3 — Q: 4 4 5 5 5 3 2 1 76; P: 5 9 10 8 35; CP: 10 22 5; C: 12 21 17 (D5 twice).
    # Open now (Oct 10): Q D6 70 d, D10 9 d 1 h, D14 8 d; P D7 66 d.
    frame = time_in_stage(session, world.executive, company, now=NOW).set_index("stage")

    assert frame["stays"].tolist() == [9, 5, 3, 3]
    assert frame["median_days"].tolist() == pytest.approx([4, 9, 10, 17])
    assert frame["mean_days"].tolist() == pytest.approx([105 / 9, 67 / 5, 37 / 3, 50 / 3])
    assert frame["open_now"].tolist() == [3, 1, 0, 0]
    assert frame.loc["Qualification", "open_age_median_days"] == pytest.approx(9 + 1 / 24)
    assert frame.loc["Qualification", "open_age_mean_days"] == pytest.approx((70 + 9 + 1 / 24 + 8) / 3)
    assert frame.loc["Presentation", "open_age_mean_days"] == pytest.approx(66)


def test_lost_analysis_by_stage_and_reason(session, world, company):
    # Lost in Q3 and still lost: D2 from Presentation, D4 and D12 from Qualification (D5 reopened).
    frame = lost_analysis(session, world.executive, company)

    assert frame[["stage", "reason", "deals", "amount"]].values.tolist() == [
        ["Presentation", "Too expensive", 1, 500.0],
        ["Qualification", "No budget", 1, 300.0],
        ["Qualification", "No response", 1, 400.0],
    ]


def test_past_cohort_counts_survive_a_rename_and_deleting_a_stage_no_deal_reached(session, world, company):
    from core import stage_editor

    def version() -> int:
        return stage_editor.pipeline_version(session, world.pipeline_id)

    def counts() -> dict[int, int]:
        funnel = cohort_funnel(session, world.executive, company)
        return dict(zip(funnel["stage_id"], funnel["reached"], strict=True))

    before = counts()
    stage_editor.update_stage(session, world.admin, world.stages["Presentation"], version(), name="Demo & pitch")
    unused = stage_editor.add_stage(
        session,
        world.admin,
        world.pipeline_id,
        version(),
        name="Legal review",
        after_stage_id=world.stages["Contracting"],
    )
    with_unused = counts()
    stage_editor.delete_stage(session, world.admin, unused, None, version())

    assert counts() == before
    assert cohort_funnel(session, world.executive, company)["stage"].tolist()[1] == "Demo & pitch"
    # While it existed, the unused last open stage was passed only by the deals won since.
    assert with_unused[unused] == before[world.stages["Won"]]


def test_a_stage_added_after_deals_passed_it_says_how_many_count_as_passed(session, world, company):
    from core import stage_editor
    from db.models import Stage

    version = stage_editor.pipeline_version(session, world.pipeline_id)
    added = stage_editor.add_stage(
        session,
        world.admin,
        world.pipeline_id,
        version,
        name="Legal review",
        after_stage_id=world.stages["Contracting"],
    )
    stage = session.get(Stage, added)
    assert stage.added_at is not None  # now: after the period
    # Q3's cohort past Contracting: the won D1 D3 D5 D8 D9; none entered Legal review, added since.
    assert funnel.late_stages(session, world.executive, company) == [
        funnel.LateStage(added, "Legal review", stage.added_at.date(), 5)
    ]
    stage.added_at = at(8, 15, 9)  # D8 (created 10 September) was created after it: it could enter it
    session.flush()
    assert funnel.late_stages(session, world.executive, company) == [
        funnel.LateStage(added, "Legal review", date(2026, 8, 15), 4)
    ]
    assert funnel.late_stages(session, world.boris, company) == [  # Boris's own: D9
        funnel.LateStage(added, "Legal review", date(2026, 8, 15), 1)
    ]
    stage.added_at = at(7, 1, 9)  # the first day of the period: every deal of it could enter it
    session.flush()
    assert funnel.late_stages(session, world.executive, company) == []
    # The stages the pipeline came with have no date: never marked.
    others = session.query(Stage).filter(Stage.id != added, Stage.pipeline_id == world.pipeline_id).all()
    assert others and all(other.added_at is None for other in others)


def titles(session, members) -> list[str]:
    return sorted(deals_behind(session, members).rows["title"], key=lambda title: int(title[1:]))


def test_the_deals_behind_each_row_of_the_funnel_are_the_ones_it_counts(session, world, company):
    # Reached Presentation: D1 D2 D5 D7 D8 entered it; D3 skipped it to CP, D9 is won (7, as the funnel).
    s = world.stages
    expected = {
        "Qualification": [f"D{n}" for n in range(1, 11)],
        "Presentation": ["D1", "D2", "D3", "D5", "D7", "D8", "D9"],
        "Commercial proposal": ["D1", "D3", "D5", "D8", "D9"],
        "Contracting": ["D1", "D3", "D5", "D8", "D9"],
        "Won": ["D1", "D3", "D5", "D8", "D9"],
    }
    rows = cohort_funnel(session, world.executive, company).set_index("stage")

    for stage, deals in expected.items():
        behind = deals_behind(session, funnel.reached_deals(session, world.executive, company, s[stage]))
        assert titles(session, funnel.reached_deals(session, world.executive, company, s[stage])) == deals, stage
        assert (behind.count, behind.amount) == (rows.loc[stage, "reached"], rows.loc[stage, "reached_amount"])
    assert titles(session, funnel.created_deals(session, world.executive, company)) == expected["Qualification"]
    # A lost stage is in no row of the funnel: nobody is behind it.
    assert deals_behind(session, funnel.reached_deals(session, world.executive, company, s["Lost"])).count == 0


def test_the_deals_behind_the_rates_are_those_closed_in_the_period(session, world, company):
    # Won in Q3: D1 D3 D5 D9 D11 (4550); lost: D2 D4 D12 (1200); the cycle is of the won.
    won = funnel.closed_deals(session, world.executive, company, StageKind.WON)
    lost = funnel.closed_deals(session, world.executive, company, StageKind.LOST)
    closed = deals_behind(session, funnel.closed_deals(session, world.executive, company))

    assert titles(session, won) == ["D1", "D3", "D5", "D9", "D11"]
    assert deals_behind(session, won).amount == 4550.0
    assert titles(session, lost) == ["D2", "D4", "D12"]
    assert (closed.count, closed.amount) == (8, 5750.0)
    assert titles(session, funnel.cycle_deals(session, world.executive, company)) == titles(session, won)
    assert deals_behind(session, funnel.cycle_deals(session, world.executive, company)).amount is None


def test_the_deals_behind_a_lost_row_a_stay_and_the_open_deals_of_a_stage(session, world, company):
    s = world.stages
    lost = lost_analysis(session, world.executive, company).set_index("reason")
    no_budget = funnel.lost_deals(
        session,
        world.executive,
        company,
        int(lost.loc["No budget", "stage_id"]),
        int(lost.loc["No budget", "lost_reason_id"]),
    )
    # Stays in Contracting ended in Q3: D1's, and D5's two; D8's ended in October.
    stays = deals_behind(session, funnel.stay_deals(session, world.executive, company, s["Contracting"]))

    assert titles(session, no_budget) == ["D4"]
    assert (stays.count, stays.deals) == (3, 2)
    assert dict(zip(stays.rows["title"], stays.rows["counted"], strict=True)) == {"D1": 1, "D5": 2}
    assert titles(session, funnel.open_deals(session, world.executive, company, s["Qualification"])) == [
        "D6",
        "D10",
        "D14",
    ]


def test_a_manager_sees_only_their_own_deals_behind_a_figure(session, world, company):
    # Boris's cohort reaching Presentation: D7 D8 D9 (of the seven).
    mine = funnel.reached_deals(session, world.boris, company, world.stages["Presentation"])

    assert titles(session, mine) == ["D7", "D8", "D9"]
    assert set(deals_behind(session, funnel.closed_deals(session, world.boris, company)).rows["owner"]) == {"Boris"}


def test_the_change_of_the_win_rate_is_split_into_its_steps_exactly_and_the_mix_names_the_moves(
    session, world, company
):
    from fractions import Fraction as F

    from sqlalchemy import select

    from core.analytics.change import ENTRY, win_rate_change

    # Q2's cohort: D11 (won), D12 (lost from Qualification), D13 (won): reached 3 2 2 2, won 2: 2/3.
    # Q3's: reached 10 7 5 5, won 5: 1/2. The change: 1/2 − 2/3 = −1/6.
    # Two steps moved: Q→P 2/3 → 7/10 (a) and P→CP 1 → 5/7 (b). Their Shapley parts of a·b:
    # a: ½ (7/10 − 2/3)(1 + 5/7) = 1/35; b: ½ (5/7 − 1)(2/3 + 7/10) = −41/210; 1/35 − 41/210 = −1/6.
    for titles, source in ((("D1", "D2", "D3", "D4", "D5", "D11"), "web"), (("D12",), "fair")):
        for deal in session.scalars(select(Deal).where(Deal.title.in_(titles))):
            deal.source = source  # through the ORM, which keeps the rollups
    session.flush()
    before = FunnelFilter(company.pipeline_id, date(2026, 4, 1), date(2026, 6, 30))

    change = win_rate_change(session, world.executive, company, before)

    assert (change.before, change.after, change.total) == (F(2, 3), F(1, 2), F(-1, 6))
    assert [(step.stage, step.part) for step in change.steps] == [
        (ENTRY, 0),
        ("Qualification", F(1, 35)),
        ("Presentation", F(-41, 210)),
        ("Commercial proposal", 0),
        ("Contracting", 0),
    ]
    assert sum(step.part for step in change.steps) == change.total
    # Shares of the cohort: web 1/3 → 5/10, fair 1/3 → 0: fair moved most.
    assert [(s.field, s.value, s.before, s.after) for s in change.mix] == [
        ("source", "fair", F(1, 3), F(0)),
        ("source", "web", F(1, 3), F(1, 2)),
    ]


def test_shapley_parts_add_up_to_the_change_of_any_product():
    import random
    from fractions import Fraction as F
    from math import prod

    from core.analytics.change import shapley_parts

    rng = random.Random(5)
    for size in range(1, 9):
        before = [F(rng.randint(0, 9), rng.randint(1, 9)) for _ in range(size)]
        after = [F(rng.randint(0, 9), rng.randint(1, 9)) for _ in range(size)]
        assert sum(shapley_parts(before, after)) == prod(after, start=F(1)) - prod(before, start=F(1))
