from datetime import timedelta

import pytest
from sqlalchemy import select

from core import deals, pipelines, stage_editor
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from db.models import Activity, StageKind, StageTransition


def version(session, world) -> int:
    return stage_editor.pipeline_version(session, world.pipeline_id)


def stage_names(session, world) -> list[str]:
    return [s.name for s in pipelines.list_stages(session, world.pipeline_id)]


def history(session) -> list[tuple]:
    return session.execute(
        select(
            StageTransition.deal_id,
            StageTransition.from_stage_id,
            StageTransition.to_stage_id,
            StageTransition.at,
            StageTransition.by_user_id,
        ).order_by(StageTransition.id)
    ).all()


def test_a_stage_added_in_the_middle_takes_its_place_and_won_and_lost_stay_last(session, world):
    stage_editor.add_stage(
        session,
        world.admin,
        world.pipeline_id,
        version(session, world),
        name="Demo",
        after_stage_id=world.stages["Presentation"],
        probability=35,
        rot_days=5,
    )

    stages = pipelines.list_stages(session, world.pipeline_id)
    assert [s.name for s in stages] == [
        "Qualification",
        "Presentation",
        "Demo",
        "Commercial proposal",
        "Contracting",
        "Won",
        "Lost",
    ]
    assert [s.position for s in stages] == list(range(7))
    demo = stages[2]
    assert (demo.kind, demo.probability, demo.rot_days) == (StageKind.OPEN, 35, 5)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "presentation"}, "name"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"rot_days": -3}, "rot_days"),
        ({"required_fields": ["amount", "colour"]}, "required_fields"),
        ({"entry_tasks": [{"title": "", "due_days": 1}]}, "entry_tasks"),
        ({"entry_tasks": [{"title": "Call", "due_days": -1}]}, "entry_tasks"),
        ({"entry_tasks": [{"title": "Call", "due_hours": 1, "due_minutes": 30}]}, "entry_tasks"),
        ({"entry_tasks": [{"title": "Call", "due_minutes": 365 * 24 * 60 + 1}]}, "entry_tasks"),
        ({"entry_tasks": [{"title": "Call", "due_hours": "soon"}]}, "entry_tasks"),
        ({"color": "red"}, "color"),
    ],
)
def test_bad_stage_settings_are_named_and_change_nothing(session, world, changes, field):
    before = (pipelines.list_stages(session, world.pipeline_id), version(session, world))

    with pytest.raises(ValidationError) as error:
        stage_editor.update_stage(session, world.admin, world.stages["Qualification"], before[1], **changes)

    assert set(error.value.errors) == {field}
    assert (pipelines.list_stages(session, world.pipeline_id), version(session, world)) == before


def test_won_and_lost_stages_cannot_be_deleted_moved_or_given_another_probability(session, world):
    won, lost = world.stages["Won"], world.stages["Lost"]
    with pytest.raises(ValidationError):
        stage_editor.delete_stage(session, world.admin, lost, world.stages["Qualification"], version(session, world))
    with pytest.raises(ValidationError):
        stage_editor.move_stage(session, world.admin, won, -1, version(session, world))
    with pytest.raises(ValidationError) as error:
        stage_editor.update_stage(session, world.admin, won, version(session, world), probability=90)
    assert "always 100" in error.value.errors["probability"]


def test_reordering_changes_the_stage_order_and_leaves_every_history_untouched(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    before = history(session)

    stage_editor.move_stage(session, world.admin, world.stages["Presentation"], -1, version(session, world))

    assert stage_names(session, world)[:2] == ["Presentation", "Qualification"]
    assert current_pipeline(session, world.admin, DealFilter(world.pipeline_id))["stage"].tolist()[:2] == [
        "Presentation",
        "Qualification",
    ]
    assert history(session) == before
    with pytest.raises(ValidationError):
        stage_editor.move_stage(session, world.admin, world.stages["Presentation"], -1, version(session, world))


def test_renaming_keeps_the_history(session, world):
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})
    before = history(session)

    stage_editor.update_stage(
        session, world.admin, world.stages["Qualification"], version(session, world), name="Discovery"
    )

    assert stage_names(session, world)[0] == "Discovery"
    assert history(session) == before
    assert deals.get_deal(session, world.anna, deal_id).stage_id == world.stages["Qualification"]


def test_deleting_a_stage_moves_its_deals_with_transitions_and_keeps_it_for_history(session, world):
    s = world.stages
    first = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "A"})
    second = deals.create_deal(session, world.boris, pipeline_id=world.pipeline_id, fields={"title": "B"})
    elsewhere = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "C"})
    for deal_id, actor in ((first, world.anna), (second, world.boris)):
        deals.move_deal(session, actor, deal_id, s["Presentation"], 1)
    with pytest.raises(ValidationError) as error:
        stage_editor.delete_stage(session, world.admin, s["Presentation"], None, version(session, world))
    assert set(error.value.errors) == {"target_stage_id"}

    stage_editor.delete_stage(
        session, world.admin, s["Presentation"], s["Commercial proposal"], version(session, world)
    )

    for deal_id in (first, second):
        deal = deals.get_deal(session, world.admin, deal_id)
        assert (deal.stage_id, deal.version) == (s["Commercial proposal"], 3)
        last = deals.deal_history(session, world.admin, deal_id)[-1]
        assert (last.from_stage_id, last.to_stage_id, last.by_user_id) == (
            s["Presentation"],
            s["Commercial proposal"],
            world.admin.id,
        )
    assert len(deals.deal_history(session, world.admin, elsewhere)) == 1
    assert "Presentation" not in stage_names(session, world)
    every = pipelines.list_stages(session, world.pipeline_id, include_deleted=True)
    assert [st.name for st in every if st.deleted] == ["Presentation"]
    assert current_pipeline(session, world.admin, DealFilter(world.pipeline_id))["stage"].tolist() == [
        "Qualification",
        "Commercial proposal",
        "Contracting",
    ]
    with pytest.raises(ValidationError):
        deals.move_deal(session, world.anna, elsewhere, s["Presentation"], 1)


def test_how_many_deals_a_delete_moves_is_counted_before_and_moved_after(session, world):
    s = world.stages
    for title in ("A", "B"):
        deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": title})
        deals.move_deal(session, world.anna, deal_id, s["Presentation"], 1)
    deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "C"})  # in Qualification
    seen = version(session, world)

    counts = [stage_editor.deals_to_move(session, world.admin, s[name]) for name in ("Presentation", "Contracting")]

    assert counts == [2, 0]
    assert version(session, world) == seen  # counting changes nothing
    stage_editor.delete_stage(session, world.admin, s["Presentation"], s["Qualification"], seen)
    assert stage_editor.deals_to_move(session, world.admin, s["Qualification"]) == 3
    with pytest.raises(NotFound):  # the deleted stage moves nothing any more…
        stage_editor.deals_to_move(session, world.admin, s["Presentation"])
    with pytest.raises(NotFound):  # …nor is it deleted twice
        stage_editor.delete_stage(session, world.admin, s["Presentation"], s["Qualification"], seen)
    with pytest.raises(PermissionDenied):
        stage_editor.deals_to_move(session, world.executive, s["Qualification"])


def test_a_stage_no_deal_reached_is_deleted_without_a_target(session, world):
    stage_editor.delete_stage(session, world.admin, world.stages["Contracting"], None, version(session, world))

    assert stage_names(session, world) == ["Qualification", "Presentation", "Commercial proposal", "Won", "Lost"]


def test_a_stale_pipeline_version_is_a_conflict(session, world):
    seen = version(session, world)
    stage_editor.update_stage(session, world.admin, world.stages["Qualification"], seen, probability=15)

    with pytest.raises(Conflict):
        stage_editor.update_stage(session, world.admin, world.stages["Qualification"], seen, probability=20)

    assert pipelines.list_stages(session, world.pipeline_id)[0].probability == 15


def test_configured_required_fields_and_entry_tasks_are_enforced_by_the_deal_services(session, world):
    stage_editor.update_stage(
        session,
        world.admin,
        world.stages["Presentation"],
        version(session, world),
        required_fields=["amount", "source"],
        entry_tasks=[{"title": "Send the deck", "due_days": 1}],
    )
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})

    with pytest.raises(ValidationError) as error:
        deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)
    assert set(error.value.errors) == {"amount", "source"}

    deals.move_deal(
        session, world.anna, deal_id, world.stages["Presentation"], 1, fields={"amount": 10, "source": "referral"}
    )
    assert session.scalars(select(Activity.subject).where(Activity.deal_id == deal_id)).all() == ["Send the deck"]


def test_an_entry_task_is_due_in_days_hours_or_minutes(session, world):
    tasks = [
        {"title": "Classify the request", "due_hours": 1},
        {"title": "Call back", "due_minutes": 15},
        {"title": "Send the deck", "due_days": 2},
    ]
    stage_editor.update_stage(
        session, world.admin, world.stages["Presentation"], version(session, world), entry_tasks=tasks
    )
    deal_id = deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "D"})

    deals.move_deal(session, world.anna, deal_id, world.stages["Presentation"], 1)

    moved_at = session.scalar(
        select(StageTransition.at).where(StageTransition.deal_id == deal_id).order_by(StageTransition.id.desc())
    )
    due = dict(session.execute(select(Activity.subject, Activity.due_at).where(Activity.deal_id == deal_id)).all())
    assert {subject: at - moved_at for subject, at in due.items()} == {
        "Classify the request": timedelta(hours=1),
        "Call back": timedelta(minutes=15),
        "Send the deck": timedelta(days=2),
    }
    log = stage_editor.pipeline_changes(session, world.admin, world.pipeline_id)
    assert "Classify the request (+1 h), Call back (+15 min), Send the deck (+2 d)" in log["new_value"].tolist()


def test_the_change_log_says_who_changed_what_from_what_to_what(session, world):
    stage_editor.update_stage(
        session, world.admin, world.stages["Qualification"], version(session, world), probability=12, rot_days=3
    )
    stage_editor.rename_pipeline(session, world.admin, world.pipeline_id, "B2B direct", version(session, world))

    log = stage_editor.pipeline_changes(session, world.admin, world.pipeline_id)

    assert log[["by", "what", "old_value", "new_value"]].values.tolist()[:3] == [
        ["Root", "pipeline renamed", "B2B classic", "B2B direct"],
        ["Root", "stage 'Qualification': rot_days", "7", "3"],
        ["Root", "stage 'Qualification': probability", "10", "12"],
    ]


def test_an_empty_pipeline_has_an_open_stage_and_won_and_lost(session, world):
    pipeline_id = stage_editor.create_empty_pipeline(session, world.admin, "Партнёры", "ru")

    stages = pipelines.list_stages(session, pipeline_id)
    assert [(st.name, st.kind) for st in stages] == [
        ("Новый лид", StageKind.OPEN),
        ("Завершена с победой", StageKind.WON),
        ("Проиграна", StageKind.LOST),
    ]


def test_archiving_hides_a_pipeline_and_restoring_brings_it_back(session, world):
    stage_editor.set_pipeline_archived(session, world.admin, world.pipeline_id, True, version(session, world))
    assert world.pipeline_id not in [p.id for p in pipelines.list_pipelines(session)]

    stage_editor.set_pipeline_archived(session, world.admin, world.pipeline_id, False, version(session, world))
    assert world.pipeline_id in [p.id for p in pipelines.list_pipelines(session)]
