"""Stage automation (core.automation) and notifications, on SQLite and PostgreSQL: the owner told when
a deal enters a stage that says so, and a task for a deal idle too long, once a stay."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import automation, deals, notifications, pipelines, stage_editor
from core.clock import utcnow
from core.errors import ValidationError
from db.models import Activity, Deal, Pipeline


def version(session, world) -> int:
    return session.get(Pipeline, world.pipeline_id).version


def _rules(session, world, stage: str, **rules) -> None:
    stage_editor.update_stage(session, world.admin, world.stages[stage], version(session, world), automation=rules)


def test_the_owner_is_notified_when_a_deal_enters_a_stage_that_says_so(session, world):
    _rules(session, world, "Presentation", notify_owner=True)
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "<b>Acme</b>"})
    assert notifications.unread_count(session, world.anna) == 0

    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)

    assert notifications.unread_count(session, world.anna) == 1
    assert notifications.unread_count(session, world.boris) == 0
    (note,) = notifications.list_notifications(session, world.anna)
    assert (note.kind, note.deal_id, note.data) == (
        "stage_entered",
        deal_id,
        {"title": "<b>Acme</b>", "stage": "Presentation"},
    )
    notifications.mark_read(session, world.anna)
    assert notifications.unread_count(session, world.anna) == 0
    assert notifications.list_notifications(session, world.anna)[0].read_at is not None


def test_a_deal_idle_too_long_gets_its_task_once_a_stay(session, world):
    _rules(session, world, "Presentation", idle_days=3, idle_task="Call them: nothing for 3 days")
    idle, busy, fresh = (
        deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": title})
        for title in ("Idle", "Busy", "Fresh")
    )
    for deal_id in (idle, busy, fresh):
        deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    now = utcnow()
    for deal_id in (idle, busy):
        session.get(Deal, deal_id).stage_entered_at = now - timedelta(days=4)
    for activity in session.scalars(select(Activity).where(Activity.deal_id.in_([idle, busy, fresh]))):
        activity.created_at = now - timedelta(days=4)
    session.add(
        Activity(
            kind="call",
            subject="Called",
            deal_id=busy,
            owner_id=world.anna.id,
            done_at=now - timedelta(days=1),
            created_at=now - timedelta(days=1),
        )
    )
    session.flush()

    assert automation.idle_tasks(session, now) == 1  # Idle; Busy was called yesterday, Fresh just came
    assert automation.idle_tasks(session, now) == 0
    assert automation.idle_tasks(session, now + timedelta(days=10)) == 2  # Busy and Fresh by then; Idle had its task
    tasks = session.scalars(select(Activity.deal_id).where(Activity.subject == "Call them: nothing for 3 days")).all()
    assert sorted(tasks) == sorted([idle, busy, fresh])


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"idle_days": 0, "idle_task": "Call"}, "idle_days"),
        ({"idle_days": 400, "idle_task": "Call"}, "idle_days"),
        ({"idle_days": 3, "idle_task": ""}, "idle_task"),
        ({"idle_task": "Call"}, "idle_days"),
        ({"idle_days": "soon", "idle_task": "Call"}, "idle_days"),
    ],
)
def test_bad_automation_is_refused_naming_the_field(session, world, rules, field):
    with pytest.raises(ValidationError) as raised:
        _rules(session, world, "Presentation", **rules)
    assert field in raised.value.errors
    assert pipelines.list_stages(session, world.pipeline_id)[1].automation is None


def test_automation_that_does_nothing_is_stored_as_none_and_logged(session, world):
    _rules(session, world, "Presentation", notify_owner=True, idle_days=None, idle_task="")
    assert pipelines.list_stages(session, world.pipeline_id)[1].automation == {
        "notify_owner": True,
        "idle_days": None,
        "idle_task": None,
    }
    _rules(session, world, "Presentation", notify_owner=False, idle_days=None, idle_task="")
    assert pipelines.list_stages(session, world.pipeline_id)[1].automation is None
    log = stage_editor.pipeline_changes(session, world.admin, world.pipeline_id)
    assert log["new_value"].tolist()[:2] == ["—", "notify_owner: True"]
