"""SPEC §1: each write service refuses the roles that may not call it, whatever the UI shows."""

from datetime import UTC, date, datetime

import pytest

from core import activities, customers, deals, lost_reasons, pipelines, plans, stage_editor, users
from core.errors import PermissionDenied

FUTURE = datetime(2030, 1, 1, tzinfo=UTC)


def version(session, world) -> int:
    return stage_editor.pipeline_version(session, world.pipeline_id)


def anna_deal(session, world) -> int:
    return deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Anna's"})


# (description, roles allowed, call(session, world, actor))
WRITES = [
    (
        "edit a deal of Anna",
        {"anna", "admin"},
        lambda s, w, a: deals.update_deal(s, a, anna_deal(s, w), 1, {"title": "x"}),
    ),
    (
        "move a deal of Anna",
        {"anna", "admin"},
        lambda s, w, a: deals.move_deal(s, a, anna_deal(s, w), w.stages["Presentation"], 1),
    ),
    (
        "close a deal of Anna won",
        {"anna", "admin"},
        lambda s, w, a: deals.close_won(s, a, anna_deal(s, w), 1),
    ),
    (
        "close a deal of Anna lost",
        {"anna", "admin"},
        lambda s, w, a: deals.close_lost(s, a, anna_deal(s, w), 1, lost_reason_id=w.reason_id),
    ),
    (
        "reassign a deal",
        {"executive", "admin"},
        lambda s, w, a: deals.reassign_deal(s, a, anna_deal(s, w), w.boris.id, 1),
    ),
    (
        "create a deal",
        {"anna", "boris", "admin"},
        lambda s, w, a: deals.create_deal(s, a, pipeline_id=w.pipeline_id, fields={"title": "x"}, owner_id=a.id),
    ),
    (
        "create a deal for Anna",
        {"anna", "admin"},
        lambda s, w, a: deals.create_deal(s, a, pipeline_id=w.pipeline_id, fields={"title": "x"}, owner_id=w.anna.id),
    ),
    (
        "log a call on Anna's deal",
        {"anna", "admin"},
        lambda s, w, a: activities.log_activity(s, a, kind="call", subject="c", deal_id=anna_deal(s, w)),
    ),
    (
        "plan a task on Anna's deal",
        {"anna", "admin"},
        lambda s, w, a: activities.plan_activity(
            s, a, kind="task", subject="t", deal_id=anna_deal(s, w), due_at=FUTURE
        ),
    ),
    (
        "complete Anna's task",
        {"anna", "admin"},
        lambda s, w, a: activities.complete_activity(
            s, a, activities.plan_activity(s, w.anna, kind="task", subject="t", due_at=FUTURE)
        ),
    ),
    (
        "reschedule Anna's task",
        {"anna", "admin"},
        lambda s, w, a: activities.reschedule_activity(
            s, a, activities.plan_activity(s, w.anna, kind="task", subject="t", due_at=FUTURE), due_at=FUTURE
        ),
    ),
    (
        "set a plan",
        {"executive", "admin"},
        lambda s, w, a: plans.set_plan(
            s, a, month=date(2026, 1, 1), user_id=w.anna.id, target_amount=1, target_count=1
        ),
    ),
    (
        "create a pipeline",
        {"admin"},
        lambda s, w, a: pipelines.create_from_template(s, a, "web_studio", "ru"),
    ),
    ("archive a pipeline", {"admin"}, lambda s, w, a: pipelines.set_archived(s, a, w.pipeline_id, True)),
    ("create an empty pipeline", {"admin"}, lambda s, w, a: stage_editor.create_empty_pipeline(s, a, "Partners")),
    (
        "rename a pipeline",
        {"admin"},
        lambda s, w, a: stage_editor.rename_pipeline(s, a, w.pipeline_id, "B2B", version(s, w)),
    ),
    (
        "archive a pipeline (editor)",
        {"admin"},
        lambda s, w, a: stage_editor.set_pipeline_archived(s, a, w.pipeline_id, True, version(s, w)),
    ),
    ("add a stage", {"admin"}, lambda s, w, a: stage_editor.add_stage(s, a, w.pipeline_id, version(s, w), name="Demo")),
    (
        "change a stage",
        {"admin"},
        lambda s, w, a: stage_editor.update_stage(s, a, w.stages["Presentation"], version(s, w), probability=30),
    ),
    (
        "move a stage",
        {"admin"},
        lambda s, w, a: stage_editor.move_stage(s, a, w.stages["Presentation"], -1, version(s, w)),
    ),
    (
        "delete a stage",
        {"admin"},
        lambda s, w, a: stage_editor.delete_stage(
            s, a, w.stages["Presentation"], w.stages["Qualification"], version(s, w)
        ),
    ),
    ("add a lost reason", {"admin"}, lambda s, w, a: lost_reasons.create_lost_reason(s, a, "Other")),
    (
        "rename a lost reason",
        {"admin"},
        lambda s, w, a: lost_reasons.rename_lost_reason(s, a, w.reason_id, "Y"),
    ),
    (
        "deactivate a lost reason",
        {"admin"},
        lambda s, w, a: lost_reasons.set_lost_reason_active(s, a, w.reason_id, False),
    ),
    (
        "create a user",
        {"admin"},
        lambda s, w, a: users.create_user(
            s, a, login="newbie", display_name="N", role="manager", password="long enough"
        ),
    ),
    ("create a team", {"admin"}, lambda s, w, a: users.create_team(s, a, "South")),
    (
        "edit a user",
        {"admin"},
        lambda s, w, a: users.update_user(
            s, a, w.boris.id, display_name="B", role="manager", team_id=None, is_active=False
        ),
    ),
    (
        "reset Anna's password",
        {"admin", "anna"},
        lambda s, w, a: users.set_password(s, a, w.anna.id, "another password"),
    ),
    ("add a company", {"anna", "boris", "admin"}, lambda s, w, a: customers.create_company(s, a, "Initech")),
    ("add a contact", {"anna", "boris", "admin"}, lambda s, w, a: customers.create_contact(s, a, "Bob")),
]
ACTORS = ("anna", "boris", "executive", "admin")


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize(("action", "allowed", "call"), WRITES, ids=[w[0] for w in WRITES])
def test_role_matrix(session, world, actor_name, action, allowed, call):
    actor = getattr(world, actor_name)
    nested = session.begin_nested()
    try:
        if actor_name in allowed:
            call(session, world, actor)
        else:
            with pytest.raises(PermissionDenied):
                call(session, world, actor)
    finally:
        nested.rollback()
