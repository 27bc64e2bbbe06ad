from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import activities, customers, deals, lost_reasons, pipelines, plans, users
from core.errors import NotFound, ValidationError
from core.permissions import Actor
from core.templates import TEMPLATES
from db.models import Activity, Plan, StageKind
from tests.unit.conftest import PASSWORD


@pytest.mark.parametrize("key", list(TEMPLATES))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_pipelines_from_templates_have_open_stages_then_won_then_lost(session, key, language):
    pipeline_id = pipelines.create_from_template(session, Actor.system(), key, language)

    stages = pipelines.list_stages(session, pipeline_id)
    template = TEMPLATES[key]
    assert [s.name for s in stages] == [getattr(t, language) for t in template.stages]
    assert [s.kind for s in stages][-2:] == [StageKind.WON, StageKind.LOST]
    assert all(s.kind == StageKind.OPEN for s in stages[:-2])
    assert [s.position for s in stages] == list(range(len(stages)))
    assert (stages[-2].probability, stages[-1].probability) == (100, 0)


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_the_next_stage_is_the_following_open_one_then_won_and_none_once_closed(session, key):
    stages = pipelines.list_stages(session, pipelines.create_from_template(session, Actor.system(), key, "en"))
    open_ids = [s.id for s in stages if s.is_open]
    won, lost = (next(s for s in stages if s.kind == kind) for kind in (StageKind.WON, StageKind.LOST))

    walked = [pipelines.next_stage(stages, stage_id).id for stage_id in open_ids]

    assert walked == [*open_ids[1:], won.id]
    assert pipelines.next_stage(stages, won.id) is None
    assert pipelines.next_stage(stages, lost.id) is None


def test_russian_names_are_real_russian(session):
    pipeline_id = pipelines.create_from_template(session, Actor.system(), "b2b_classic", "ru")

    names = [s.name for s in pipelines.list_stages(session, pipeline_id)]
    assert names == [
        "Квалификация",
        "Презентация",
        "Коммерческое предложение",
        "Контрактация",
        "Завершена с победой",
        "Проиграна",
    ]


def test_pipeline_names_are_unique_and_archived_ones_leave_the_list(session, world):
    with pytest.raises(ValidationError) as error:
        pipelines.create_from_template(session, world.admin, "b2b_classic", "en")
    assert set(error.value.errors) == {"name"}

    pipelines.set_archived(session, world.admin, world.pipeline_id, True)

    assert world.pipeline_id not in [p.id for p in pipelines.list_pipelines(session)]
    assert world.pipeline_id in [p.id for p in pipelines.list_pipelines(session, include_archived=True)]
    with pytest.raises(ValidationError):
        deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "x"})


def test_unknown_template_is_refused(session):
    with pytest.raises(ValidationError):
        pipelines.create_from_template(session, Actor.system(), "nope")


def test_logins_are_unique_case_insensitively_and_authenticate(session, world):
    with pytest.raises(ValidationError) as error:
        users.create_user(
            session,
            world.admin,
            login="ANNA",
            display_name="Other Anna",
            role="manager",
            password="long enough",
        )
    assert set(error.value.errors) == {"login"}

    assert users.authenticate(session, " Anna ", PASSWORD).id == world.anna.id
    assert users.authenticate(session, "anna", "wrong password") is None
    assert users.authenticate(session, "nobody", PASSWORD) is None


def test_user_fields_are_validated_together(session, world):
    with pytest.raises(ValidationError) as error:
        users.create_user(session, world.admin, login="", display_name="", role="boss", password="short", team_id=12345)
    assert set(error.value.errors) == {"login", "display_name", "role", "password", "team_id"}


def test_set_password_replaces_the_hash(session, world):
    users.set_password(session, world.admin, world.anna.id, "a brand new secret")

    assert users.authenticate(session, "anna", PASSWORD) is None
    assert users.authenticate(session, "anna", "a brand new secret").id == world.anna.id
    with pytest.raises(ValidationError):
        users.set_password(session, world.admin, world.anna.id, "short")


def test_find_user_by_login(session, world):
    assert users.find_user(session, "BORIS").id == world.boris.id
    with pytest.raises(NotFound):
        users.find_user(session, "nobody")


def test_log_plan_complete_and_reschedule_activities(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    call_id = activities.log_activity(
        session, world.anna, kind="call", subject="Intro call", deal_id=deal_id, result="Interested"
    )
    due = datetime(2026, 12, 1, 9, tzinfo=UTC)
    task_id = activities.plan_activity(
        session, world.anna, kind="task", subject="Send deck", deal_id=deal_id, due_at=due
    )

    activities.reschedule_activity(session, world.anna, task_id, due_at=due + timedelta(days=1))
    activities.complete_activity(session, world.anna, task_id, result="Sent")

    call, task = session.get(Activity, call_id), session.get(Activity, task_id)
    assert (call.done_at is not None, call.due_at, call.result, call.owner_id) == (
        True,
        None,
        "Interested",
        world.anna.id,
    )
    assert (task.due_at, task.result, task.done_at is not None) == (due + timedelta(days=1), "Sent", True)
    with pytest.raises(ValidationError) as error:
        activities.complete_activity(session, world.anna, task_id)
    assert set(error.value.errors) == {"done_at"}


def test_activity_input_is_validated(session, world):
    with pytest.raises(ValidationError) as error:
        activities.plan_activity(session, world.anna, kind="fax", subject=" ", due_at=datetime(2026, 1, 1))
    assert set(error.value.errors) == {"kind", "subject", "due_at"}
    assert session.scalars(select(Activity)).first() is None


def test_set_plan_creates_then_replaces_one_plan_per_scope_and_month(session, world):
    first = plans.set_plan(
        session,
        world.executive,
        month=date(2026, 3, 17),
        user_id=world.anna.id,
        target_amount="50000",
        target_count=5,
        target_calls=60,
    )
    second = plans.set_plan(
        session,
        world.executive,
        month=date(2026, 3, 1),
        user_id=world.anna.id,
        target_amount=60000,
        target_count=6,
    )

    plan = session.get(Plan, first)
    assert first == second
    assert (plan.month, plan.target_amount, plan.target_count, plan.target_calls) == (
        date(2026, 3, 1),
        Decimal(60000),
        6,
        None,
    )
    other = plans.set_plan(
        session,
        world.executive,
        month=date(2026, 3, 1),
        user_id=world.anna.id,
        pipeline_id=world.pipeline_id,
        target_amount=1,
        target_count=1,
    )
    assert other != first


def test_plan_input_is_validated(session, world):
    with pytest.raises(ValidationError) as error:
        plans.set_plan(
            session,
            world.executive,
            month=date(2026, 3, 1),
            user_id=world.anna.id,
            team_id=1,
            target_amount=-5,
            target_count="many",
        )
    assert set(error.value.errors) == {"user_id", "target_amount", "target_count"}


def test_lost_reasons_catalog(session, world):
    reason_id = lost_reasons.create_lost_reason(session, world.admin, "No budget")
    lost_reasons.rename_lost_reason(session, world.admin, reason_id, "No budget this year")
    with pytest.raises(ValidationError):
        lost_reasons.create_lost_reason(session, world.admin, "too EXPENSIVE")

    lost_reasons.set_lost_reason_active(session, world.admin, world.reason_id, False)

    assert [r.name for r in lost_reasons.list_lost_reasons(session)] == ["No budget this year"]
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    with pytest.raises(ValidationError) as error:
        deals.close_lost(session, world.anna, deal_id, 1, lost_reason_id=world.reason_id)
    assert set(error.value.errors) == {"lost_reason_id"}


def test_contacts_belong_to_existing_companies(session, world):
    contact_id = customers.create_contact(
        session, world.anna, "Jane Roe", company_id=world.company_id, email="jane@acme.test"
    )
    other_company = customers.create_company(session, world.anna, "Globex")
    with pytest.raises(ValidationError) as error:
        customers.create_contact(session, world.anna, "Ghost", company_id=987654, email="not-an-email")
    assert set(error.value.errors) == {"email", "company_id"}
    with pytest.raises(ValidationError) as error:
        deals.create_deal(
            session,
            world.anna,
            pipeline_id=world.pipeline_id,
            fields={"title": "D", "company_id": other_company, "contact_id": contact_id},
        )
    assert set(error.value.errors) == {"contact_id"}


def test_reassigning_to_an_inactive_user_is_refused(session, world):
    from db.models import User

    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    session.get(User, world.boris.id).is_active = False

    with pytest.raises(ValidationError) as error:
        deals.reassign_deal(session, world.admin, deal_id, world.boris.id, 1)
    assert set(error.value.errors) == {"owner_id"}
