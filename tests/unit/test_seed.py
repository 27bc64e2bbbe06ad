from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.seed import database_is_empty, seed_demo
from db.models import Activity, Company, Deal, Plan, Stage, StageKind, StageTransition, User

TODAY = date(2026, 11, 23)


def figures(session) -> dict:
    """What a person would compare, by name (PostgreSQL does not roll sequences back, so ids differ)."""
    stage, to_stage = aliased(Stage), aliased(Stage)
    return {
        "deals": session.execute(
            select(stage.name, Deal.status, User.login, func.count(), func.sum(Deal.amount))
            .select_from(Deal)
            .join(stage, stage.id == Deal.stage_id)
            .join(User, User.id == Deal.owner_id)
            .group_by(stage.name, Deal.status, User.login)
            .order_by(stage.name, Deal.status, User.login)
        ).all(),
        "transitions": session.execute(
            select(to_stage.name, func.count())
            .select_from(StageTransition)
            .join(to_stage, to_stage.id == StageTransition.to_stage_id)
            .group_by(to_stage.name)
            .order_by(to_stage.name)
        ).all(),
        "activities": session.execute(
            select(Activity.kind, func.count(), func.count(Activity.done_at))
            .group_by(Activity.kind)
            .order_by(Activity.kind)
        ).all(),
        "plans": session.execute(select(func.count(), func.sum(Plan.target_amount))).one(),
        "companies": session.scalars(select(Company.name).order_by(Company.id).limit(20)).all(),
        "deal_titles": session.scalars(select(Deal.title).order_by(Deal.created_at).limit(20)).all(),
    }


def seed_and_measure(session, seed: int) -> dict:
    nested = session.begin_nested()
    summary = seed_demo(session, deals=400, seed=seed, today=TODAY)
    result = figures(session) | {"summary": summary}
    nested.rollback()
    return result


def test_the_same_seed_gives_the_same_figures_and_another_seed_does_not(session):
    first = seed_and_measure(session, 7)
    second = seed_and_measure(session, 7)
    other = seed_and_measure(session, 8)

    assert first == second
    assert first["deals"] != other["deals"]
    assert first["summary"].deals == 400


def test_seeded_histories_are_consistent(session):
    summary = seed_demo(session, deals=600, seed=3, today=TODAY)
    assert summary.transitions == session.scalar(select(func.count()).select_from(StageTransition))

    history: dict[int, list] = {}
    for deal_id, from_id, to_id, at in session.execute(
        select(
            StageTransition.deal_id,
            StageTransition.from_stage_id,
            StageTransition.to_stage_id,
            StageTransition.at,
        ).order_by(StageTransition.deal_id, StageTransition.at, StageTransition.id)
    ):
        history.setdefault(deal_id, []).append((from_id, to_id, at))
    for deal in session.scalars(select(Deal)):
        moves = history[deal.id]
        assert moves[0][0] is None and moves[0][2] == deal.created_at
        assert all(later[0] == earlier[1] for earlier, later in zip(moves, moves[1:], strict=False))
        assert [at for _, _, at in moves] == sorted(at for _, _, at in moves)
        assert moves[-1][1] == deal.stage_id and moves[-1][2] == deal.stage_entered_at
        assert deal.status == deal.stage.kind
        if deal.status == StageKind.OPEN:
            assert deal.closed_at is None and deal.lost_reason_id is None
        else:
            assert deal.closed_at == moves[-1][2]
        assert (deal.lost_reason_id is not None) == (deal.status == StageKind.LOST)
        assert deal.created_at.date() < TODAY


def test_seeded_company_looks_like_a_real_one(session):
    seed_demo(session, deals=1500, seed=11, today=TODAY)

    by_status = dict(session.execute(select(Deal.status, func.count()).group_by(Deal.status)).all())
    assert 0.12 < by_status[StageKind.WON] / 1500 < 0.4
    assert by_status[StageKind.OPEN] > 50
    reopened = session.scalar(
        select(func.count())
        .select_from(StageTransition)
        .join(Deal, Deal.id == StageTransition.deal_id)
        .where(StageTransition.from_stage_id.in_(select(Deal.stage_id).where(Deal.status == StageKind.LOST)))
    )
    assert reopened > 0
    assert session.scalar(select(func.count()).select_from(User)) == 14
    overdue = session.scalar(
        select(func.count())
        .select_from(Activity)
        .where(Activity.done_at.is_(None), Activity.due_at < func.current_timestamp())
    )
    assert overdue > 0


def test_seed_refuses_a_database_with_data(session, world):
    assert not database_is_empty(session)
    with pytest.raises(ValueError, match="empty"):
        seed_demo(session, deals=10)


def test_seeded_edits_end_at_each_deals_values_and_push_close_dates_later(session):
    from db.history import encoded
    from db.models import DealChange

    summary = seed_demo(session, deals=600, seed=3, today=TODAY)
    deals = {deal.id: deal for deal in session.scalars(select(Deal))}
    edits: dict[tuple[int, str], list] = {}
    for change in session.scalars(select(DealChange).order_by(DealChange.deal_id, DealChange.at, DealChange.id)):
        edits.setdefault((change.deal_id, change.field), []).append(change)

    assert summary.changes == sum(len(chain) for chain in edits.values())
    for (deal_id, name), chain in edits.items():
        deal = deals[deal_id]
        assert name in ("amount", "expected_close_date")
        assert chain[-1].new_value == encoded(getattr(deal, name))  # the last edit is today's value
        # One chain of values: each edit starts from where the one before ended.
        assert all(a.new_value == b.old_value for a, b in zip(chain, chain[1:], strict=False))
        end = deal.closed_at or datetime.combine(TODAY, time(0), UTC)
        assert all(deal.created_at < change.at < end for change in chain)  # edited while open
        if name == "expected_close_date":
            assert all(date.fromisoformat(c.old_value) < date.fromisoformat(c.new_value) for c in chain)
    amounts = {deal_id for deal_id, name in edits if name == "amount"}
    pushed = [chain for (_, name), chain in edits.items() if name == "expected_close_date"]
    assert 0.15 < len(amounts) / len(deals) < 0.35
    assert 0.2 < len(pushed) / len(deals) < 0.5 and any(len(chain) >= 3 for chain in pushed)


def test_the_same_seed_gives_the_same_edits_in_another_process(tmp_path):
    """hash() of the generator's state differs between processes (hash(None) is an address): the
    edits' stream must not start from it."""
    import subprocess
    import sys

    script = (
        "import sys; from db.engine import make_engine, transaction; from db.migrate import upgrade; "
        "from core.seed import seed_demo; from datetime import date; "
        "from db.models import DealChange; from sqlalchemy import select; "
        "engine = make_engine(sys.argv[1]); upgrade(engine)\n"
        "with transaction(engine, write=True) as session:\n"
        "    seed_demo(session, deals=200, seed=5, today=date(2026, 11, 23))\n"
        "    print(session.execute(select(DealChange.deal_id, DealChange.field, DealChange.new_value)"
        ".order_by(DealChange.id)).all())"
    )
    printed = [
        subprocess.run(
            [sys.executable, "-c", script, f"sqlite:///{tmp_path / f'{n}.db'}"],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(n), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
        ).stdout
        for n in (1, 2)
    ]
    assert printed[0] == printed[1] and len(printed[0]) > 100
