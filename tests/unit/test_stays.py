"""`stage_transitions.from_entered_at` is kept by every write (a denormalised start of each stay):
after random moves, closes, reopens and a stage deletion it equals the raw history, and time in
stage computed from it (and its rollup) equals the same figure computed from the raw history in pandas."""

import random
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select

import core.deals
import core.stage_editor
from core import deals, pipelines, stage_editor
from core.analytics.filters import FunnelFilter
from core.analytics.funnel import time_in_stage
from db.models import StageKind, StageTransition


@pytest.fixture
def shuffled(session, world, monkeypatch):
    clock = {"now": datetime(2026, 1, 5, 9, tzinfo=UTC)}
    monkeypatch.setattr(core.deals, "utcnow", lambda: clock["now"])
    monkeypatch.setattr(core.stage_editor, "utcnow", lambda: clock["now"])
    rng = random.Random(11)
    stages = pipelines.list_stages(session, world.pipeline_id)
    open_ids = [
        s.id for s in stages if s.kind == StageKind.OPEN and s.name not in ("Commercial proposal", "Contracting")
    ]
    versions = {}
    for number in range(12):
        owner = world.anna if number % 2 else world.boris
        deal_id = deals.create_deal(session, owner, pipeline_id=world.pipeline_id, fields={"title": f"R{number}"})
        versions[deal_id] = (owner, 1)
    for _ in range(150):
        clock["now"] += timedelta(hours=rng.randint(1, 40))
        deal_id = rng.choice(list(versions))
        owner, version = versions[deal_id]
        deal = deals.get_deal(session, owner, deal_id)
        if deal.status != StageKind.OPEN:
            version = deals.reopen_deal(session, owner, deal_id, version)
        elif rng.random() < 0.15:
            version = deals.close_won(session, owner, deal_id, version)
        elif rng.random() < 0.15:
            version = deals.close_lost(session, owner, deal_id, version, lost_reason_id=world.reason_id)
        else:
            target = rng.choice([s for s in open_ids if s != deal.stage_id])
            version = deals.move_deal(session, owner, deal_id, target, version)
        versions[deal_id] = (owner, version)
    clock["now"] += timedelta(days=1)
    presentation = next(s for s in stages if s.name == "Presentation")
    stage_editor.delete_stage(
        session, world.admin, presentation.id, open_ids[0], stage_editor.pipeline_version(session, world.pipeline_id)
    )
    session.flush()


def test_every_transition_knows_when_its_stay_began(session, world, shuffled):
    history = pd.DataFrame(
        session.execute(
            select(StageTransition.deal_id, StageTransition.id, StageTransition.at, StageTransition.from_entered_at)
        ).all(),
        columns=["deal_id", "id", "at", "from_entered_at"],
    ).sort_values(["deal_id", "at", "id"])
    previous = history.groupby("deal_id")["at"].shift(1)

    assert len(history) > 150
    assert (history["from_entered_at"].isna() == previous.isna()).all()
    assert (history["from_entered_at"].dropna() == previous.dropna()).all()


def test_time_in_stage_equals_the_raw_history(session, world, shuffled):
    period = FunnelFilter(world.pipeline_id, date(2026, 1, 20), date(2026, 3, 31))
    figures = time_in_stage(session, world.executive, period, now=datetime(2026, 4, 1, tzinfo=UTC)).set_index(
        "stage_id"
    )

    raw = pd.DataFrame(
        session.execute(
            select(StageTransition.deal_id, StageTransition.id, StageTransition.to_stage_id, StageTransition.at)
        ).all(),
        columns=["deal_id", "id", "stage_id", "at"],
    ).sort_values(["deal_id", "at", "id"])
    raw["left"] = raw.groupby("deal_id")["at"].shift(-1)
    start, end = period.bounds()
    ended = raw[(raw["left"] >= start) & (raw["left"] < end)]
    # Lengths in whole seconds; the median in completed days, the mean to the second.
    seconds = (ended["left"].dt.floor("s") - ended["at"].dt.floor("s")).dt.total_seconds()
    expected = pd.DataFrame({"completed": seconds // 86400, "days": seconds / 86400}).groupby(ended["stage_id"])
    expected = expected.agg(count=("days", "count"), median=("completed", "median"), mean=("days", "mean"))

    shown = figures[figures["stays"] > 0]
    assert shown["stays"].sum() > 20
    for stage_id, row in shown.iterrows():
        assert (row["stays"], row["median_days"]) == (
            expected.loc[stage_id, "count"],
            pytest.approx(expected.loc[stage_id, "median"]),
        )
        assert row["mean_days"] == pytest.approx(expected.loc[stage_id, "mean"])
