from playwright.sync_api import expect

from core import deals, pipelines, users
from core.permissions import Actor
from db.engine import make_engine, transaction
from tests.e2e.conftest import choose, click_and_wait
from ui.state import StageEditor, key

PIPELINE = "Editor test pipeline"


def stages(engine, pipeline_id: int) -> list:
    with transaction(engine) as session:
        return pipelines.list_stages(session, pipeline_id)


def test_an_admin_reshapes_a_pipeline_and_the_database_agrees(open_app, demo_database_url):
    engine = make_engine(demo_database_url)
    with transaction(engine, write=True) as session:
        pipeline_id = pipelines.create_from_template(session, Actor.system(), "inbound_lead", "en", PIPELINE)
        first_contact = pipelines.list_stages(session, pipeline_id)[0].id
        anna = users.find_user(session, "anna").as_actor()
        deal_id = deals.create_deal(session, anna, pipeline_id=pipeline_id, fields={"title": "Editor deal"})
    page = open_app("/stage-editor", "admin")
    expect(page.get_by_role("heading", name="Stage editor")).to_be_visible()
    choose(page, StageEditor.PIPELINE, PIPELINE)

    form = page.locator("[data-testid='stForm']").filter(has_text="Add a stage")
    form.get_by_role("textbox", name="Name").fill("Demo")
    choose(page, key(StageEditor.ADD_STAGE, "after"), "Negotiation", in_form=True)
    click_and_wait(page, form.get_by_role("button", name="Add stage"))
    expect(page.locator("[data-testid='stDataFrame']").first).to_contain_text("Demo")
    assert [s.name for s in stages(engine, pipeline_id)][:4] == [
        "First contact",
        "Negotiation",
        "Demo",
        "Decision making",
    ]

    choose(page, StageEditor.STAGE, "Demo")
    click_and_wait(page, page.get_by_role("button", name="Up"))
    expect(page.get_by_role("button", name="Up")).to_be_enabled()
    assert [s.name for s in stages(engine, pipeline_id)][:3] == ["First contact", "Demo", "Negotiation"]

    settings = page.locator("[data-testid='stForm']").filter(has_text="Stage settings")
    expect(settings.get_by_role("textbox", name="Name")).to_have_value("Demo")  # the form of the stage moved
    probability = settings.get_by_role("spinbutton", name="Probability, %")
    probability.fill("45")
    probability.press("Tab")  # commits the typed value to the form before the click
    expect(probability).to_have_value("45")
    click_and_wait(page, settings.get_by_role("button", name="Save stage"))
    expect(page.locator("[data-testid='stDataFrame']").first).to_contain_text("45")
    assert next(s for s in stages(engine, pipeline_id) if s.name == "Demo").probability == 45

    choose(page, StageEditor.STAGE, "First contact")
    target = page.locator(f".st-key-{StageEditor.DELETE_TARGET(first_contact)}").get_by_role("combobox")
    expect(target).to_have_value("Demo")  # the first choice
    click_and_wait(page, page.get_by_role("button", name="Delete stage"))
    expect(page.get_by_text("Delete stage 'First contact'? 1 deals move to 'Demo'")).to_be_visible()
    assert "First contact" in [s.name for s in stages(engine, pipeline_id)]  # nothing deleted before Confirm
    click_and_wait(page, page.get_by_role("button", name="Yes, delete"))
    expect(page.locator("[data-testid='stDataFrame']").first).not_to_contain_text("First contact")
    demo = next(s for s in stages(engine, pipeline_id) if s.name == "Demo")
    with transaction(engine) as session:
        admin = users.find_user(session, "admin").as_actor()
        moved = deals.get_deal(session, admin, deal_id)
        last = deals.deal_history(session, admin, deal_id)[-1]
    assert (moved.stage_id, last.from_stage_id, last.to_stage_id, last.by_user_id) == (
        demo.id,
        first_contact,
        demo.id,
        admin.id,
    )
    expect(page.locator("[data-testid='stDataFrame']").last).to_contain_text("stage deleted")  # the change log
    engine.dispose()


def test_a_manager_opening_the_stage_editor_address_is_not_permitted(open_app):
    page = open_app("/stage-editor", "anna")

    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    assert page.get_by_role("heading", name="Stage editor").count() == 0
