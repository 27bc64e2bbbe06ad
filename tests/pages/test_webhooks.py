"""The Webhooks page (admins) and the Notifications page (everyone), under AppTest."""

from core import deals, pipelines, stage_editor, users, webhooks
from db.engine import make_engine, transaction, write
from db.models import Pipeline
from tests.pages.conftest import open_view
from ui.state import Notifications, Webhooks, key


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(writable_app_as, writable_demo_url):
    app = open_view(writable_app_as("admin"), "views/webhooks.py")
    assert "No webhooks yet." in [c.value for c in app.caption]
    app.text_input(key=key(Webhooks.NEW, "url")).input("https://example.com/hooks/funnel")
    app.button(key=Webhooks.ADD).click().run()

    assert not app.exception and not app.error
    secret = app.code[0].value
    engine = make_engine(writable_demo_url)
    with transaction(engine) as session:
        admin = users.find_user(session, "admin").as_actor()
        (hook,) = webhooks.list_webhooks(session, admin)
    engine.dispose()
    assert hook.url == "https://example.com/hooks/funnel" and len(hook.events) == 5 and len(secret) > 20
    app.button(key=Webhooks.DISMISS).click().run()
    assert not app.code and app.dataframe[0].value.iloc[0, 0] == "https://example.com/hooks/funnel"


def test_a_bad_webhook_address_is_named(writable_app_as):
    app = open_view(writable_app_as("admin"), "views/webhooks.py")
    app.text_input(key=key(Webhooks.NEW, "url")).input("ftp://example.com")
    app.button(key=Webhooks.ADD).click().run()

    assert "Address" in app.error[0].value and "https" in app.error[0].value


def test_a_delivery_is_listed_with_its_attempts_and_sent_again(writable_app_as, writable_demo_url):
    engine = make_engine(writable_demo_url)

    def act(session):
        admin = users.find_user(session, "admin").as_actor()
        webhooks.create_webhook(session, admin, "https://example.com/h", ["deal.created"])
        pipeline_id = pipelines.list_pipelines(session)[0].id
        anna = users.find_user(session, "anna").as_actor()
        deals.create_deal(session, anna, pipeline_id=pipeline_id, fields={"title": "<img src=x onerror=alert(1)>"})

    write(engine, act)
    engine.dispose()
    app = open_view(writable_app_as("admin"), "views/webhooks.py")

    listed = app.dataframe[1].value
    assert listed.iloc[0, 1] == "deal created" and listed.iloc[0, 4] == "pending"
    app.button(key=Webhooks.RESEND).click().run()
    assert not app.exception and "sent again" in app.toast[0].value


def test_a_manager_reads_their_notifications_and_marks_them_read(writable_app_as, writable_demo_url):
    engine = make_engine(writable_demo_url)

    def act(session):
        admin = users.find_user(session, "admin").as_actor()
        anna = users.find_user(session, "anna").as_actor()
        pipeline = pipelines.list_pipelines(session)[0]
        stages = pipelines.list_stages(session, pipeline.id)
        version = session.get(Pipeline, pipeline.id).version
        stage_editor.update_stage(session, admin, stages[1].id, version, automation={"notify_owner": True})
        deal_id = deals.create_deal(session, anna, pipeline_id=pipeline.id, fields={"title": "**Bold** deal"})
        deals.move_deal(session, anna, deal_id, stages[1].id, 1)

    write(engine, act)
    engine.dispose()
    app = open_view(writable_app_as("anna"), "views/notifications.py")

    assert any("**Bold** deal entered" in text.value for text in app.text)
    assert "Notifications (1)" in [link.label for link in app.sidebar.get("page_link")]
    app.button(key=Notifications.MARK_READ).click().run()
    assert not app.exception
    assert Notifications.MARK_READ not in [button.key for button in app.button]
    assert "Notifications" in [link.label for link in app.sidebar.get("page_link")]
