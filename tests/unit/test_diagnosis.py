from datetime import timedelta

import pandas as pd
import pytest

from core import deals
from core.analytics.diagnosis import diagnose, find_shapes
from core.analytics.filters import FunnelFilter
from core.clock import utcnow

STAGES = ["Qualification", "Presentation", "Proposal", "Contracting"]


def funnel(reached: list[int]) -> pd.DataFrame:
    """A cohort funnel of four open stages then won, as `cohort_funnel` returns it."""
    rows = []
    for index, count in enumerate(reached):
        kind = "open" if index < len(STAGES) else "won"
        following = reached[index + 1] if index + 1 < len(reached) else None
        rows.append(
            {
                "stage": (STAGES + ["Won"])[index],
                "kind": kind,
                "reached": count,
                "next_step_conversion": None if following is None else following / count,
            }
        )
    return pd.DataFrame(rows)


def stays(medians: list[float], count: int = 10) -> pd.DataFrame:
    return pd.DataFrame({"stage": STAGES, "stays": [count] * 4, "median_days": medians})


EVEN = stays([5, 6, 5, 6])


def shapes(found) -> list[tuple[str, str]]:
    return [(f.shape, f.stage) for f in found]


def test_a_healthy_funnel_has_no_finding():
    # 100 → 70 → 50 → 36 → 26: every step 70-72 %, losses spread, stays even.
    assert find_shapes(funnel([100, 70, 50, 36, 26]), EVEN) == []


def test_leaky_top():
    # First step 30 %, the others 80 %.
    [finding] = find_shapes(funnel([100, 30, 24, 19, 15]), EVEN)

    assert (finding.shape, finding.stage) == ("leaky_top", "Qualification")
    assert finding.value == pytest.approx(0.3)
    assert finding.reference == pytest.approx(0.8, abs=0.01)


def test_too_good_to_be_true():
    assert shapes(find_shapes(funnel([100, 99, 98, 97, 96]), EVEN)) == [("too_good", "Qualification")]


def test_late_leak():
    # Losses: 5, 5, 40, 30 — 70 of 80 in the last two steps.
    [finding] = find_shapes(funnel([100, 95, 90, 50, 20]), EVEN)

    assert (finding.shape, finding.stage, finding.value) == ("late_leak", "Proposal", pytest.approx(70 / 80))


def test_bottleneck():
    [finding] = find_shapes(funnel([100, 70, 50, 36, 26]), stays([5, 6, 21, 5]))

    assert (finding.shape, finding.stage, finding.value, finding.reference) == ("bottleneck", "Proposal", 21, 5)


def test_a_small_cohort_says_nothing():
    assert find_shapes(funnel([10, 3, 2, 2, 1]), EVEN) == []


def test_diagnosis_names_the_managers_who_deviate_most_beyond_chance(session, world):
    # Anna loses 20 of 25 at the first step, Boris 3 of 25; both move the rest forward to the end. The
    # team's first step: 27 of 50. Anna's 5 of 25 against the rest's 22 of 25: pooled 27/50, spread
    # √(0.54·0.46·(2/25)) = 0.141, z = 0.68 / 0.141 = 4.8, beyond chance, and worse: named. Boris is
    # beyond chance too, but better than the team: not named.
    for actor, lost_early in ((world.anna, 20), (world.boris, 3)):
        for number in range(25):
            deal_id = deals.create_deal(
                session, actor, pipeline_id=world.pipeline_id, fields={"title": f"{actor.id}-{number}", "amount": 100}
            )
            if number < lost_early:
                deals.close_lost(session, actor, deal_id, 1, lost_reason_id=world.reason_id)
            else:
                version = deals.move_deal(session, actor, deal_id, world.stages["Presentation"], 1)
                version = deals.move_deal(session, actor, deal_id, world.stages["Commercial proposal"], version)
                deals.close_won(session, actor, deal_id, version)
    today = utcnow().date()
    period = FunnelFilter(world.pipeline_id, today - timedelta(days=1), today + timedelta(days=1))

    findings = diagnose(session, world.executive, period, now=utcnow())

    leaky = [f for f in findings if f.shape == "leaky_top"]
    assert len(leaky) == 1
    assert leaky[0].managers == (("Anna", pytest.approx(5 / 25)),)
