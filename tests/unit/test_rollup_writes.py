"""The rollups kept by single writes, each test in its own transaction (test_rollups.py shares one
busy transaction between its tests)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import core.deals
from core import customers, deals, stage_editor
from core.errors import ValidationError
from core.permissions import Actor
from db import history
from db.models import Company, Deal, DealChange, StageTransition
from db.rollups import build, upkeep
from db.rollups.sources import MAX_OPEN_STAGES


def test_a_pipeline_keeps_at_most_62_open_stages(session, world):
    names = [f"Step {n}" for n in range(MAX_OPEN_STAGES)]
    with pytest.raises(ValidationError) as refused:
        stage_editor.create_pipeline(
            session, world.admin, "Too long", open_stages=[*names, "One more"], won="W", lost=["L"]
        )
    assert "at most 62 open stages" in refused.value.errors["stages"]
    pipeline_id = stage_editor.create_pipeline(session, world.admin, "Long", open_stages=names, won="W", lost=["L"])
    with pytest.raises(ValidationError) as refused:
        stage_editor.add_stage(
            session, world.admin, pipeline_id, stage_editor.pipeline_version(session, pipeline_id), name="Step 62"
        )
    assert "deleted ones included" in refused.value.errors["name"]


def test_a_move_after_the_deals_events_is_counted_alone_where_events_are_appended(session, world, monkeypatch):
    """rollup_flow and rollup_changes count a move an hour after the deal's last event, with an amount
    given on the way, by its transition and its amount change (not the deal's whole history before and
    after: the change, written first, comes before the move of the same moment), and the rollups equal
    their sources."""
    clock = {"now": datetime(2026, 5, 4, 10, tzinfo=UTC)}
    monkeypatch.setattr(core.deals, "utcnow", lambda: clock["now"])
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Later"})
    session.flush()
    snapshots = []

    def spied(connection, deals_of, activity_ids=(), events=()):
        snapshots.append(({rollup: set(ids) for rollup, ids in deals_of.items()}, list(events)))
        return snapshot(connection, deals_of, activity_ids, events)

    snapshot = upkeep.snapshot
    monkeypatch.setattr(upkeep, "snapshot", spied)
    clock["now"] += timedelta(hours=1)
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1, fields={"amount": 500})
    session.flush()

    moved = session.scalars(select(StageTransition).where(StageTransition.deal_id == deal_id)).all()[-1]
    edited = session.scalars(select(DealChange).where(DealChange.deal_id == deal_id, DealChange.field == "amount"))
    assert [event for _, events in snapshots for event in events] == [edited.one(), moved]
    for rollup in upkeep.APPENDED:
        assert not any(deal_id in deals_of.get(rollup, ()) for deals_of, _ in snapshots)
    assert build.check(session.connection()) == {}


def test_an_edit_at_the_moment_of_an_earlier_move_recounts_the_whole_deal(session, world, monkeypatch):
    """At one moment a field change comes before a move: an amount edited in the same transaction and at
    the same moment as a move already written changes what that move added, so the deal is counted
    whole, and the rollups equal their sources."""
    moment = datetime(2026, 5, 4, 10, tzinfo=UTC)
    monkeypatch.setattr(core.deals, "utcnow", lambda: moment)
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Same moment"})
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    session.flush()

    history.acting(session, world.anna.id, at=moment)
    session.get(Deal, deal_id).amount = 700
    session.flush()

    assert build.check(session.connection()) == {}


def test_a_flush_that_deletes_a_row_without_a_deal_beside_an_edit_keeps_the_rollups(session, world):
    """A company deleted in the same flush as an amount edit: the upkeep looks for deleted deals and
    history rows only, and the rollups equal their sources."""
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Beside"})
    unused = customers.create_company(session, Actor.system(), "Gone Ltd")
    session.flush()

    deal, company = session.get(Deal, deal_id), session.get(Company, unused)
    history.acting(session, world.anna.id)
    deal.amount = 300
    session.delete(company)
    session.flush()

    assert build.check(session.connection()) == {}
