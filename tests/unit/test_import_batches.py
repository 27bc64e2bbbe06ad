"""Import batches: every import is recorded, and a foreign one is undone — every figure as before it,
the rollups consistent — unless its deals were changed since (then named; or the rest undone)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from core import deals
from core.analytics import funnel
from core.analytics.filters import DealFilter, FunnelFilter
from core.errors import PermissionDenied, ValidationError
from core.exchange import batches, foreign
from db.models import Company, Deal, DealChange, StageTransition, User
from db.rollups import build
from tests.unit.test_foreign_import import GOOD, mapping, table

TODAY = date(2026, 11, 23)


def figures(session, world) -> dict:
    """What the pages show of the pipeline: the current pipeline, the cohort funnel and the rates of 2026."""
    scope = FunnelFilter(world.pipeline_id, date(2026, 1, 1), date(2026, 12, 31))

    def records(frame):  # NaN (a rate of nothing) compares equal to itself as None
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    return {
        "pipeline": records(funnel.current_pipeline(session, world.admin, DealFilter(world.pipeline_id))),
        "funnel": records(funnel.cohort_funnel(session, world.admin, scope)),
        "rates": funnel.win_rates(session, world.admin, scope),
        "users": session.scalar(select(func.count()).select_from(User)),
        "companies": session.scalar(select(func.count()).select_from(Company)),
    }


def imported(session, world, text: str = GOOD) -> foreign.Imported:
    prepared = foreign.prepare(session, world.admin, table(text), mapping(), today=TODAY)
    return foreign.apply(session, world.admin, prepared, mapping(), file_name="deals.csv")


def test_an_import_is_listed_and_its_undo_leaves_every_figure_as_before(session, world):
    kept = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Mine", "amount": 9})
    before = figures(session, world)

    result = imported(session, world)
    listed = batches.list_batches(session, world.admin)
    undone = batches.undo(session, world.admin, result.batch_id)

    assert listed[["kind", "file_name", "deals", "new_users", "new_companies"]].values.tolist() == [
        ["foreign", "deals.csv", 3, 1, 1]
    ]
    assert (undone.deals, undone.kept, undone.users, undone.companies) == (3, [], 1, 1)
    assert figures(session, world) == before
    assert build.check(session.connection()) == {}
    assert session.get(Deal, kept) is not None  # a deal of its own stays
    assert batches.list_batches(session, world.admin)["undone_at"].notna().tolist() == [True]
    with pytest.raises(ValidationError):  # once
        batches.undo(session, world.admin, result.batch_id)


def test_a_deal_changed_since_blocks_the_undo_by_name_and_the_rest_can_go(session, world):
    before = figures(session, world)
    result = imported(session, world)
    licences = session.scalar(select(Deal).where(Deal.external_id == "A-1"))
    deals.update_deal(session, world.admin, licences.id, licences.version, {"amount": "1300"})

    with pytest.raises(ValidationError) as refused:
        batches.undo(session, world.admin, result.batch_id)
    undone = batches.undo(session, world.admin, result.batch_id, keep_changed=True)

    assert "Server upgrade" in str(refused.value.errors["batch"])
    assert (undone.deals, undone.kept) == (2, ["Server upgrade"])
    assert session.get(Deal, licences.id) is not None
    assert session.scalar(
        select(func.count()).select_from(StageTransition).where(StageTransition.deal_id == licences.id)
    )
    assert session.scalar(select(func.count()).select_from(DealChange).where(DealChange.deal_id == licences.id)) == 1
    assert build.check(session.connection()) == {}
    assert figures(session, world) != before  # the kept deal still counts
    assert undone.users == 1  # Новый Менеджер owned only an undone deal; Boris and Anna were there before


def test_only_an_admin_lists_or_undoes_imports(session, world):
    result = imported(session, world)

    for actor in (world.executive, world.anna):
        with pytest.raises(PermissionDenied):
            batches.undo(session, actor, result.batch_id)
        with pytest.raises(PermissionDenied):
            batches.list_batches(session, actor)
