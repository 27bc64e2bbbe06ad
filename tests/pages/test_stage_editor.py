from sqlalchemy import func, select

from core import pipelines, stage_editor, users, webhooks
from db.engine import make_engine, transaction
from db.models import Deal
from tests.pages.conftest import open_view
from ui import format
from ui.confirm import CANCEL, CONFIRM
from ui.state import StageEditor, key


def stages_of(url: str, pipeline_name: str = "B2B classic", include_deleted: bool = False):
    engine = make_engine(url)
    with transaction(engine) as session:
        pipeline_id = next(p.id for p in pipelines.list_pipelines(session) if p.name == pipeline_name)
        result = pipelines.list_stages(session, pipeline_id, include_deleted=include_deleted)
    engine.dispose()
    return result


def test_an_admin_adds_a_stage_after_presentation(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    presentation = next(s.id for s in stages_of(writable_demo_url) if s.name == "Presentation")

    app.text_input(key=key(StageEditor.ADD_STAGE, "name")).input("Demo")
    app.selectbox(key=key(StageEditor.ADD_STAGE, "after")).set_value(presentation)
    app.number_input(key=key(StageEditor.ADD_STAGE, "probability")).set_value(30)
    app.button(key=f"FormSubmitter:{StageEditor.ADD_STAGE}-Add stage").click().run()

    assert not app.exception and not app.error
    names = [s.name for s in stages_of(writable_demo_url)]
    assert names[:4] == ["Qualification", "Presentation", "Demo", "Commercial proposal"]
    assert app.dataframe[0].value.iloc[2, 1] == "Demo"


def test_a_duplicate_stage_name_is_refused_with_the_field_named(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")

    app.text_input(key=key(StageEditor.ADD_STAGE, "name")).input("presentation")
    app.button(key=f"FormSubmitter:{StageEditor.ADD_STAGE}-Add stage").click().run()

    assert "already has a stage named" in app.error[0].value
    assert [s.name for s in stages_of(writable_demo_url)].count("Presentation") == 1


def deals_in(url: str, stage_id: int) -> int:
    engine = make_engine(url)
    with transaction(engine) as session:
        count = session.scalar(select(func.count()).select_from(Deal).where(Deal.stage_id == stage_id))
    engine.dispose()
    return count


DELETE_CONFIRM = key(StageEditor.DELETE_CONFIRMATION, CONFIRM)
DELETE_CANCEL = key(StageEditor.DELETE_CONFIRMATION, CANCEL)


def ask_to_delete_presentation(app, url):
    """Presentation chosen, its deals to go to Qualification, and Delete clicked once."""
    by_name = {s.name: s.id for s in stages_of(url)}
    app.selectbox(key=StageEditor.STAGE).set_value(by_name["Presentation"]).run()
    app.selectbox(key=StageEditor.DELETE_TARGET(by_name["Presentation"])).set_value(by_name["Qualification"])
    app.button(key=StageEditor.DELETE_GO).click().run()
    return by_name


def test_delete_first_asks_naming_how_many_deals_move_where_and_changes_nothing(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    before = stages_of(writable_demo_url)

    by_name = ask_to_delete_presentation(app, writable_demo_url)

    moving = deals_in(writable_demo_url, by_name["Presentation"])
    assert moving > 0
    assert not app.exception
    assert f"Delete stage 'Presentation'? {moving} deals move to 'Qualification'" in [w.value for w in app.warning][0]
    assert stages_of(writable_demo_url) == before


def test_confirm_deletes_the_stage_and_moves_its_deals_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    by_name = ask_to_delete_presentation(app, writable_demo_url)
    moving, staying = (deals_in(writable_demo_url, by_name[name]) for name in ("Presentation", "Qualification"))

    app.button(key=DELETE_CONFIRM).click().run()

    assert not app.exception and not app.error and not app.warning
    assert "Presentation" not in [s.name for s in stages_of(writable_demo_url)]
    assert [s.name for s in stages_of(writable_demo_url, include_deleted=True) if s.deleted] == ["Presentation"]
    assert deals_in(writable_demo_url, by_name["Qualification"]) == staying + moving
    assert not [b for b in app.button if b.key == DELETE_CONFIRM]  # a second click of a double click finds none
    # …and one racing the first, with the request still there, does nothing either
    app.session_state[StageEditor.DELETE_CONFIRMATION] = (by_name["Presentation"], by_name["Qualification"])
    app.run()
    assert not app.exception and not app.error and not app.warning
    assert deals_in(writable_demo_url, by_name["Qualification"]) == staying + moving


def test_cancel_keeps_the_stage_and_forgets_the_question(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    before = stages_of(writable_demo_url)
    ask_to_delete_presentation(app, writable_demo_url)

    app.button(key=DELETE_CANCEL).click().run()

    assert not app.exception and not app.warning
    assert not [b for b in app.button if b.key == DELETE_CONFIRM]
    app.button(key=StageEditor.UP).click().run()  # another action later does not bring the question back
    assert not app.warning
    assert "Presentation" in [s.name for s in stages_of(writable_demo_url)]
    assert len(stages_of(writable_demo_url, include_deleted=True)) == len(before)


def test_deleting_a_stage_without_deals_asks_too(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    app.text_input(key=key(StageEditor.ADD_STAGE, "name")).input("Demo")
    app.button(key=f"FormSubmitter:{StageEditor.ADD_STAGE}-Add stage").click().run()
    demo = next(s.id for s in stages_of(writable_demo_url) if s.name == "Demo")
    app.selectbox(key=StageEditor.STAGE).set_value(demo).run()

    app.button(key=StageEditor.DELETE_GO).click().run()

    assert app.warning[0].value.startswith("Delete stage 'Demo'? It has no deals")
    assert "Demo" in [s.name for s in stages_of(writable_demo_url)]
    app.button(key=DELETE_CONFIRM).click().run()
    assert "Demo" not in [s.name for s in stages_of(writable_demo_url)]


def test_in_russian_the_delete_question_is_in_russian(writable_app_as, writable_demo_url, russian):
    app = open_view(russian(writable_app_as("admin")), "views/stage_editor.py")

    by_name = ask_to_delete_presentation(app, writable_demo_url)

    moving = deals_in(writable_demo_url, by_name["Presentation"])
    assert app.warning[0].value.startswith(
        f"Удалить этап «Presentation»? Сделки ({moving}) перейдут на этап «Qualification»"
    )
    assert [b.label for b in app.button if b.key in (DELETE_CONFIRM, DELETE_CANCEL)] == ["Да, удалить", "Отмена"]


def test_a_new_stage_goes_before_won_unless_placed_elsewhere(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")

    app.text_input(key=key(StageEditor.ADD_STAGE, "name")).input("Legal review")
    app.button(key=f"FormSubmitter:{StageEditor.ADD_STAGE}-Add stage").click().run()

    assert not app.exception and not app.error
    names = [s.name for s in stages_of(writable_demo_url)]
    assert names[names.index("Won") - 1] == "Legal review"


def test_in_russian_a_change_over_another_admins_is_refused_in_russian(writable_app_as, writable_demo_url, russian):
    app = open_view(russian(writable_app_as("admin")), "views/stage_editor.py")
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:  # meanwhile, in another tab, the pipeline is renamed
        pipeline = next(p for p in pipelines.list_pipelines(session) if p.name == "B2B classic")
        admin = users.find_user(session, "admin").as_actor()
        stage_editor.rename_pipeline(session, admin, pipeline.id, "B2B renamed", pipeline.version)
    engine.dispose()

    app.button(key=StageEditor.DOWN).click().run()

    assert not app.exception
    assert [w.value for w in app.warning] == [
        "Воронку 'B2B renamed' изменил другой администратор после того, как вы её открыли. "
        "На странице теперь текущая версия; внесите изменение ещё раз."
    ]
    assert [s.name for s in stages_of(writable_demo_url, "B2B renamed")][:2] == ["Qualification", "Presentation"]


MARKUP = "**Hot** ![x](http://attacker.test/p.png) :red[x]"


def test_a_stage_name_that_is_markup_is_shown_as_written(writable_app_as, writable_demo_url):
    stage = stages_of(writable_demo_url)[0]
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        version = stage_editor.pipeline_version(session, pipelines.list_pipelines(session)[0].id)
        stage_editor.update_stage(session, admin, stage.id, version, name=MARKUP)
    engine.dispose()

    app = open_view(writable_app_as("admin"), "views/stage_editor.py")

    heading = next(m.value for m in app.markdown if "Delete" in m.value)
    assert heading == f"**Delete {format.plain(MARKUP)}**"
    app.button(key=StageEditor.DELETE_GO).click().run()
    assert app.warning[0].value.startswith(f"Delete stage '{format.plain(MARKUP)}'? ")


def test_an_admin_sets_a_stages_automation(writable_app_as, writable_demo_url):
    engine = make_engine(writable_demo_url)
    with transaction(engine, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        hook_id, _ = webhooks.create_webhook(session, admin, "https://example.com/proposals", [])
    engine.dispose()
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    by_name = {s.name: s.id for s in stages_of(writable_demo_url)}
    app.selectbox(key=StageEditor.STAGE).set_value(by_name["Presentation"]).run()
    form = StageEditor.EDIT_STAGE(by_name["Presentation"])

    app.checkbox(key=key(form, "notify")).check()
    app.number_input(key=key(form, "idle_days")).set_value(3)
    app.text_input(key=key(form, "idle_task")).input("Nudge the client")
    app.multiselect(key=key(form, "webhooks")).select(hook_id)
    app.button(key=f"FormSubmitter:{form}-Save stage").click().run()

    assert not app.exception and not app.error
    stage = next(s for s in stages_of(writable_demo_url) if s.name == "Presentation")
    assert stage.automation == {
        "notify_owner": True,
        "idle_days": 3,
        "idle_task": "Nudge the client",
        "webhook_ids": [hook_id],
    }


def test_an_idle_task_without_days_is_refused_naming_the_field(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/stage_editor.py")
    by_name = {s.name: s.id for s in stages_of(writable_demo_url)}
    app.selectbox(key=StageEditor.STAGE).set_value(by_name["Presentation"]).run()
    form = StageEditor.EDIT_STAGE(by_name["Presentation"])

    app.text_input(key=key(form, "idle_task")).input("Nudge the client")
    app.button(key=f"FormSubmitter:{form}-Save stage").click().run()

    assert "Task after days without activity" in app.error[0].value
    assert next(s for s in stages_of(writable_demo_url) if s.name == "Presentation").automation is None
