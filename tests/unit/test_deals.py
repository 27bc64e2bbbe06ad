import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import deals
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from db.engine import transaction
from db.models import Activity, ActivityKind, Deal, StageKind, StageTransition
from tests.unit.conftest import World


def new_deal(session, world: World, **fields) -> int:
    return deals.create_deal(
        session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "CRM for Acme", **fields}
    )


def test_create_writes_first_transition_and_defaults(session, world):
    deal_id = new_deal(session, world, amount="1500.50", source="website")

    deal = deals.get_deal(session, world.anna, deal_id)
    assert (deal.title, deal.amount, deal.source) == ("CRM for Acme", Decimal("1500.50"), "website")
    assert (deal.stage_id, deal.status, deal.owner_id) == (
        world.stages["Qualification"],
        StageKind.OPEN,
        world.anna.id,
    )
    assert deal.version == 1 and deal.closed_at is None
    [transition] = deals.deal_history(session, world.anna, deal_id)
    assert (transition.from_stage_id, transition.to_stage_id, transition.by_user_id) == (
        None,
        world.stages["Qualification"],
        world.anna.id,
    )


def test_entering_a_stage_without_its_required_fields_is_refused_and_changes_nothing(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(ValidationError) as error:
        deals.move_deal(session, world.anna, deal_id, world.stages["Contracting"], 1)

    assert set(error.value.errors) == {"expected_close_date", "company_id"}
    assert "Contracting" in error.value.errors["company_id"]
    deal = deals.get_deal(session, world.anna, deal_id)
    assert (deal.stage_id, deal.version) == (world.stages["Qualification"], 1)
    assert len(deals.deal_history(session, world.anna, deal_id)) == 1


def test_required_fields_given_with_the_move_are_saved_in_the_same_step(session, world):
    deal_id = new_deal(session, world)

    version = deals.move_deal(
        session,
        world.anna,
        deal_id,
        world.stages["Contracting"],
        1,
        fields={"expected_close_date": "2026-12-20", "company_id": world.company_id},
    )

    deal = deals.get_deal(session, world.anna, deal_id)
    assert (deal.stage_id, deal.version, version) == (world.stages["Contracting"], 2, 2)
    assert (deal.expected_close_date, deal.company_id) == (date(2026, 12, 20), world.company_id)


def test_an_amount_of_zero_does_not_satisfy_a_required_amount(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(ValidationError) as error:
        deals.move_deal(session, world.anna, deal_id, world.stages["Commercial proposal"], 1)

    assert set(error.value.errors) == {"amount"}


def test_clearing_a_field_the_current_stage_requires_is_refused(session, world):
    deal_id = new_deal(session, world, amount=900)
    deals.move_deal(session, world.anna, deal_id, world.stages["Commercial proposal"], 1)

    with pytest.raises(ValidationError) as error:
        deals.update_deal(session, world.anna, deal_id, 2, {"amount": 0})

    assert set(error.value.errors) == {"amount"}
    assert deals.get_deal(session, world.anna, deal_id).amount == Decimal(900)


def test_entry_tasks_are_created_for_the_owner_when_a_deal_enters_the_stage(session, world):
    deal_id = new_deal(session, world)
    deals.move_deal(
        session,
        world.anna,
        deal_id,
        world.stages["Contracting"],
        1,
        fields={"expected_close_date": date(2026, 12, 1), "company_id": world.company_id},
    )

    [task] = session.scalars(select(Activity).where(Activity.deal_id == deal_id))
    entered = deals.get_deal(session, world.anna, deal_id).stage_entered_at
    assert (task.kind, task.subject, task.owner_id, task.done_at) == (
        ActivityKind.TASK,
        "Prepare the contract",
        world.anna.id,
        None,
    )
    assert task.due_at == entered + timedelta(days=2)


def test_closing_lost_needs_a_reason(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(ValidationError) as error:
        deals.close_lost(session, world.anna, deal_id, 1, lost_reason_id=None)

    assert set(error.value.errors) == {"lost_reason_id"}
    assert deals.get_deal(session, world.anna, deal_id).status == StageKind.OPEN


def test_close_lost_then_reopen_returns_to_the_stage_it_was_lost_from(session, world):
    deal_id = new_deal(session, world)
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    deals.close_lost(session, world.anna, deal_id, 2, lost_reason_id=world.reason_id, lost_comment="Budget cut")
    lost = deals.get_deal(session, world.anna, deal_id)
    assert (lost.status, lost.lost_reason_id, lost.lost_comment) == (
        StageKind.LOST,
        world.reason_id,
        "Budget cut",
    )
    assert lost.closed_at == lost.stage_entered_at

    deals.reopen_deal(session, world.anna, deal_id, 3)

    reopened = deals.get_deal(session, world.anna, deal_id)
    assert (reopened.stage_id, reopened.status) == (world.stages["Presentation"], StageKind.OPEN)
    assert (reopened.closed_at, reopened.lost_reason_id, reopened.lost_comment) == (None, None, None)


def test_close_won_sets_the_final_amount(session, world):
    deal_id = new_deal(session, world, amount=100)

    deals.close_won(session, world.anna, deal_id, 1, amount="2750")

    deal = deals.get_deal(session, world.anna, deal_id)
    assert (deal.status, deal.amount, deal.stage_id) == (StageKind.WON, Decimal(2750), world.stages["Won"])
    assert deal.closed_at is not None


def test_history_equals_the_scripted_sequence_in_order_with_the_acting_user(session, world):
    s = world.stages
    deal_id = new_deal(session, world, amount=5000)
    deals.move_deal(session, world.anna, deal_id, s["Presentation"], 1)
    deals.move_deal(
        session,
        world.anna,
        deal_id,
        s["Contracting"],
        2,
        fields={"expected_close_date": "2027-01-15", "company_id": world.company_id},
    )
    deals.close_lost(session, world.anna, deal_id, 3, lost_reason_id=world.reason_id)
    deals.reopen_deal(session, world.admin, deal_id, 4)
    deals.move_deal(session, world.anna, deal_id, s["Commercial proposal"], 5)
    deals.close_won(session, world.admin, deal_id, 6)

    history = deals.deal_history(session, world.anna, deal_id)

    assert [(h.from_stage_id, h.to_stage_id, h.by_user_id) for h in history] == [
        (None, s["Qualification"], world.anna.id),
        (s["Qualification"], s["Presentation"], world.anna.id),
        (s["Presentation"], s["Contracting"], world.anna.id),
        (s["Contracting"], s["Lost"], world.anna.id),
        (s["Lost"], s["Contracting"], world.admin.id),
        (s["Contracting"], s["Commercial proposal"], world.anna.id),
        (s["Commercial proposal"], s["Won"], world.admin.id),
    ]
    assert [h.at for h in history] == sorted(h.at for h in history)
    assert deals.get_deal(session, world.anna, deal_id).version == 7


def test_a_stage_of_another_pipeline_is_refused(session, world):
    from core import pipelines
    from core.permissions import Actor

    other = pipelines.create_from_template(session, Actor.system(), "inbound_lead", "en")
    other_stage = pipelines.list_stages(session, other)[1].id
    deal_id = new_deal(session, world)

    with pytest.raises(ValidationError) as error:
        deals.move_deal(session, world.anna, deal_id, other_stage, 1)

    assert set(error.value.errors) == {"stage_id"}


def test_a_stale_version_is_a_conflict_and_the_first_save_survives(session, world):
    deal_id = new_deal(session, world, amount=100)
    deals.update_deal(session, world.anna, deal_id, 1, {"amount": 200})

    with pytest.raises(Conflict, match="changed by someone else"):
        deals.update_deal(session, world.admin, deal_id, 1, {"amount": 300})

    assert deals.get_deal(session, world.anna, deal_id).amount == Decimal(200)


def test_two_sessions_saving_the_same_version_concurrently(fresh_engine):
    """Two users opened version 1; both save at the same moment. Exactly one wins, in full."""
    from core import pipelines, users
    from core.permissions import Actor
    from db.models import Role

    with transaction(fresh_engine, write=True) as session:
        system = Actor.system()
        pipeline_id = pipelines.create_from_template(session, system, "b2b_classic")
        anna_id = users.create_user(
            session,
            system,
            login="anna",
            display_name="Anna",
            role=Role.MANAGER,
            password="",
            password_hash="x",
        )
        anna = Actor(anna_id, Role.MANAGER)
        deal_id = deals.create_deal(session, anna, pipeline_id=pipeline_id, fields={"title": "Race", "amount": 1})

    first_has_written = threading.Event()
    results: dict[str, object] = {}

    def first_save() -> None:
        with transaction(fresh_engine, write=True) as session:
            deals.update_deal(session, anna, deal_id, 1, {"amount": 111})
            first_has_written.set()
            # Hold the transaction open while the second save runs into it.
            threading.Event().wait(0.5)
        results["first"] = "saved"

    def second_save() -> None:
        first_has_written.wait(5)
        try:
            with transaction(fresh_engine, write=True) as session:
                deals.update_deal(session, anna, deal_id, 1, {"amount": 222})
            results["second"] = "saved"
        except Conflict as error:
            results["second"] = error

    threads = [threading.Thread(target=first_save), threading.Thread(target=second_save)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert results["first"] == "saved"
    assert isinstance(results["second"], Conflict)
    with transaction(fresh_engine) as session:
        deal = deals.get_deal(session, anna, deal_id)
        assert (deal.amount, deal.version) == (Decimal(111), 2)


def test_reassign_moves_open_activities_and_keeps_done_ones(session, world):
    from datetime import UTC, datetime

    from core import activities

    deal_id = new_deal(session, world)
    done_id = activities.log_activity(session, world.anna, kind="call", subject="Intro", deal_id=deal_id)
    todo_id = activities.plan_activity(
        session,
        world.anna,
        kind="task",
        subject="Send deck",
        deal_id=deal_id,
        due_at=datetime(2027, 1, 1, tzinfo=UTC),
    )

    version = deals.reassign_deal(session, world.executive, deal_id, world.boris.id, 1)

    assert version == 2
    assert deals.get_deal(session, world.boris, deal_id).owner_id == world.boris.id
    assert session.get(Activity, done_id).owner_id == world.anna.id
    assert session.get(Activity, todo_id).owner_id == world.boris.id


def test_unknown_deal_is_not_found(session, world):
    with pytest.raises(NotFound):
        deals.get_deal(session, world.admin, 999_999)


def test_unknown_field_is_named(session, world):
    with pytest.raises(ValidationError) as error:
        new_deal(session, world, colour="red")

    assert set(error.value.errors) == {"colour"}
    assert session.scalar(select(func.count()).select_from(Deal)) == 0


def test_a_deal_cannot_start_in_a_closed_stage(session, world):
    with pytest.raises(ValidationError) as error:
        deals.create_deal(
            session,
            world.anna,
            pipeline_id=world.pipeline_id,
            fields={"title": "x"},
            stage_id=world.stages["Won"],
        )

    assert set(error.value.errors) == {"stage_id"}
    assert session.scalar(select(func.count()).select_from(StageTransition)) == 0


def test_managers_see_only_their_own_deals(session, world):
    deal_id = new_deal(session, world)

    with pytest.raises(PermissionDenied):
        deals.get_deal(session, world.boris, deal_id)
    assert deals.get_deal(session, world.executive, deal_id).id == deal_id


def test_a_move_with_fields_bumps_the_version_once_even_when_the_stage_must_be_loaded(session, world):
    deal_id = new_deal(session, world)
    session.expunge_all()  # as after garbage collection: the deal's stage is no longer in the session

    version = deals.move_deal(
        session,
        world.anna,
        deal_id,
        world.stages["Contracting"],
        1,
        fields={"expected_close_date": "2027-01-15", "company_id": world.company_id},
    )

    assert version == 2
    assert deals.get_deal(session, world.anna, deal_id).version == 2
