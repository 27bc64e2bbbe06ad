"""The managers' workspace in Chromium: the deal page and its one-click next stage, the move step,
bulk actions on ticked deals, the phone layout."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core import activities, customers, deals, lost_reasons, pipelines, users
from db.engine import make_engine, transaction
from db.models import StageKind
from tests.e2e.conftest import click_and_wait, open_address, runs_finished, sign_in, wait_for_run_after
from tests.e2e.test_deals import edit_cell
from ui.state import Deals, key

GRID = "iframe[title='st_aggrid.AgGrid.agGrid']"
EVERY_FIELD = {
    "amount": 1000,
    "expected_close_date": date(2027, 3, 15),
    "source": "web",
    "region": "North",
    "segment": "SMB",
}


@pytest.fixture
def db(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def actor(session, login: str):
    return users.find_user(session, login).as_actor()


def new_deals(engine, login: str, titles: list[str], *, pipeline: int = 0, stage: int | None = None, **fields):
    """Deals of `login` in the demo's `pipeline`-th pipeline (its first open stage unless `stage`)."""
    with transaction(engine, write=True) as session:
        owner = actor(session, login)
        pipeline_id = pipelines.list_pipelines(session)[pipeline].id
        return [
            deals.create_deal(session, owner, pipeline_id=pipeline_id, stage_id=stage, fields={"title": t, **fields})
            for t in titles
        ]


def stored(engine, deal_id: int) -> deals.DealView:
    with transaction(engine) as session:
        return deals.get_deal(session, actor(session, "admin"), deal_id)


def stages_of(engine, deal_id: int) -> list[pipelines.StageInfo]:
    with transaction(engine) as session:
        return pipelines.list_stages(session, stored(engine, deal_id).pipeline_id)


def stages_of_pipeline(engine, pipeline: int) -> list[pipelines.StageInfo]:
    with transaction(engine) as session:
        return pipelines.list_stages(session, pipelines.list_pipelines(session)[pipeline].id)


def find_in_grid(page, text: str, pipeline: str | None = None) -> None:
    """Show only the deals of `pipeline` (as it is) whose title has `text` (every status)."""
    if pipeline is not None:
        page.get_by_role("combobox", name="Pipeline").click()
        click_and_wait(page, page.get_by_role("option", name=pipeline, exact=True))
    search = page.get_by_role("textbox", name="Search title or company")
    search.fill(text)
    finished = runs_finished(page)
    search.press("Enter")
    wait_for_run_after(page, finished)
    click_and_wait(page, page.get_by_text("All", exact=True))
    expect(page.frame_locator(GRID).last.locator(".ag-row", has_text=text).first).to_be_visible()


def open_deal(page, title: str, pipeline: str | None = None) -> None:
    """From the list: find the deal, tick it, open it."""
    find_in_grid(page, title, pipeline)
    page.frame_locator(GRID).last.locator(".ag-row", has_text=title).locator("input.ag-checkbox-input").click()
    click_and_wait(page, page.locator(f".st-key-{key(Deals.TICKED, 'open')} button"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def next_stage_button(page):
    return page.locator("[class*='st-key-deals_next_stage_'] button")


def test_next_stage_walks_a_deal_of_each_template_through_every_stage_to_won_one_click_each(open_app, db):
    page = open_app("/deals", "fedor")
    for pipeline in range(3):  # the demo has one pipeline of each template
        title = f"Walks pipeline {pipeline} to won"
        with transaction(db, write=True) as session:
            company = customers.create_company(session, actor(session, "fedor"), f"Walker {pipeline} Ltd")
        (deal_id,) = new_deals(db, "fedor", [title], pipeline=pipeline, company_id=company, **EVERY_FIELD)
        with transaction(db) as session:
            open_deal(page, title, pipelines.list_pipelines(session)[pipeline].name)
        stages = stages_of(db, deal_id)
        while (following := pipelines.next_stage(stages, stored(db, deal_id).stage_id)) is not None:
            expect(next_stage_button(page)).to_have_text(f"→ {following.name}")
            version = stored(db, deal_id).version
            click_and_wait(page, next_stage_button(page))  # the one click
            if following.is_won:  # Won asks for the final amount, in a dialog
                dialog = page.get_by_role("dialog")
                expect(dialog.get_by_role("textbox", name="Final amount")).to_have_value("1000.00")
                click_and_wait(page, dialog.get_by_role("button", name="Close as won"))
            assert (stored(db, deal_id).stage_id, stored(db, deal_id).version) == (following.id, version + 1)
            after = pipelines.next_stage(stages, following.id)
            if after is not None:  # the move step now offers the stage after: forward, never back
                page.get_by_role("tab", name="Stage").click()
                expect(page.get_by_role("combobox", name="Move to stage")).to_have_value(after.name)
        assert stored(db, deal_id).status == StageKind.WON
        click_and_wait(page, page.get_by_role("button", name="All deals"))


def fill_close_date_and_new_company(page, date_field, step, company: str = "Brand new client <b>") -> None:
    """2027-03-15 typed into the date input inside `date_field`, then `company` as the step's new company."""
    date_field.locator("[data-type='year']").click()
    finished = runs_finished(page)
    page.keyboard.type("20270315")  # year, month, day: the field moves on by itself
    page.keyboard.press("Tab")
    wait_for_run_after(page, finished)
    new_company = step.get_by_role("textbox", name="…or a new company")
    new_company.fill(company)
    finished = runs_finished(page)
    new_company.press("Enter")
    wait_for_run_after(page, finished)


def test_a_new_company_typed_in_the_move_step_fills_the_stage_s_required_company(open_app, db):
    (deal_id,) = new_deals(db, "jack", ["Needs a company to contract"], amount=500)
    contracting = next(s for s in stages_of(db, deal_id) if s.name == "Contracting")
    page = open_app("/deals", "jack")
    open_deal(page, "Needs a company to contract")

    page.get_by_role("combobox", name="Move to stage").click()
    click_and_wait(page, page.get_by_role("option", name="Contracting"))
    expect(page.get_by_text("Contracting needs: Expected close date, Company.")).to_be_visible()
    fill_close_date_and_new_company(page, page.locator(f".st-key-{Deals.MOVE(deal_id)}_expected_close_date"), page)
    click_and_wait(page, page.get_by_role("button", name="Move", exact=True))

    moved = stored(db, deal_id)
    assert (moved.stage_id, moved.expected_close_date) == (contracting.id, date(2027, 3, 15))
    with transaction(db) as session:
        assert customers.names(session, moved.company_id, None)[0] == "Brand new client <b>"


def test_fifty_deals_closed_lost_at_once_one_of_them_meanwhile_another_manager_s(open_app, db):
    titles = [f"Bulk lost {n:02}" for n in range(50)]
    ids = new_deals(db, "leo", titles, amount=100)
    page = open_app("/deals", "leo")
    find_in_grid(page, "Bulk lost")
    page.frame_locator(GRID).last.locator(".ag-header-select-all input").click()  # the page's 50 rows
    expect(page.get_by_text("50 deals ticked")).to_be_visible()
    click_and_wait(page, page.get_by_text("Close lost", exact=True))
    page.get_by_role("combobox", name="Lost reason").click()
    with transaction(db) as session:
        reason = lost_reasons.list_lost_reasons(session)[0]
    click_and_wait(page, page.get_by_role("option", name=reason.name))
    with transaction(db, write=True) as session:  # meanwhile an executive hands one to Jack
        deals.reassign_deal(
            session, actor(session, "ceo"), ids[7], actor(session, "jack").id, stored(db, ids[7]).version
        )

    click_and_wait(page, page.get_by_role("button", name="Close them lost"))

    expect(page.get_by_text("Done for 49 deals.")).to_be_visible()
    expect(page.get_by_text("Not done for 1 deals")).to_be_visible()
    expect(page.get_by_text("• Bulk lost 07")).to_be_visible()
    statuses = [stored(db, deal_id).status for deal_id in ids]
    assert statuses.count(StageKind.LOST) == 49 and statuses[7] == StageKind.OPEN


def test_back_and_forward_move_between_the_list_and_a_deal_page(open_app, db):
    new_deals(db, "jack", ["Back and forth"], amount=10)
    page = open_app("/deals", "jack")
    open_deal(page, "Back and forth")
    assert "deal=" in page.url

    page.go_back()
    expect(page.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    page.go_forward()
    expect(page.get_by_role("heading", name="Back and forth")).to_be_visible()


def test_on_a_phone_a_manager_opens_a_deal_logs_a_call_and_moves_it_on(browser, app_url, db, tmp_path):
    (deal_id,) = new_deals(db, "fedor", ["Phone call deal"], amount=300)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(open_address(page, f"{app_url}/"), "fedor")
    page.locator("[data-testid='stExpandSidebarButton']").click()
    click_and_wait(page, page.locator("[data-testid='stSidebar'] a", has_text="Deals"))

    expect(page.locator("[data-testid='stSidebar']")).to_have_attribute("data-collapsed", "true")  # closed
    expect(page.get_by_text("Filters and order")).to_be_visible()
    expect(page.get_by_role("combobox", name="Stage")).to_be_hidden()  # folded away
    search = page.get_by_role("textbox", name="Search title or company")
    search.fill("Phone call deal")
    finished = runs_finished(page)
    search.press("Enter")
    wait_for_run_after(page, finished)
    click_and_wait(page, page.locator(f".st-key-{Deals.LIST_CARD(deal_id)}").get_by_role("button"))
    heading = page.get_by_role("heading", name="Phone call deal")
    expect(heading).to_be_in_viewport()  # at the top, not below the list
    page.screenshot(path=tmp_path / "phone-deal.png", full_page=True)

    page.get_by_role("tab", name="Activities").click()
    page.get_by_role("textbox", name="Subject").fill("Called from the car")
    click_and_wait(page, page.get_by_role("button", name="Save"))
    click_and_wait(page, next_stage_button(page))

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with transaction(db) as session:
        logged = activities.deal_activities(session, actor(session, "admin"), deal_id)
    assert "Called from the car" in set(logged["subject"])
    first = next(s for s in stages_of(db, deal_id) if s.is_open)
    assert stored(db, deal_id).stage_id == pipelines.next_stage(stages_of(db, deal_id), first.id).id
    context.close()


def test_a_double_click_on_next_stage_moves_the_deal_one_stage_only(open_app, db):
    (deal_id,) = new_deals(db, "jack", ["Double clicked forward"], amount=10)
    first = stored(db, deal_id).stage_id
    page = open_app("/deals", "jack")
    open_deal(page, "Double clicked forward")

    finished = runs_finished(page)
    next_stage_button(page).dblclick()
    wait_for_run_after(page, finished)

    following = pipelines.next_stage(stages_of(db, deal_id), first)
    assert (stored(db, deal_id).stage_id, stored(db, deal_id).version) == (following.id, 2)
    expect(page.get_by_role("heading", name="Double clicked forward")).to_be_visible()


def test_a_deal_page_shows_markup_in_a_title_as_written(open_app, db):
    title = "![x](http://host/p.png) :red[x] <b>bold</b> www.example.com"
    new_deals(db, "jack", [title], amount=10)
    page = open_app("/deals", "jack")
    open_deal(page, "bold")

    heading = page.locator("[data-testid='stHeading']").first
    assert heading.text_content().replace("\u2060", "") == title
    assert heading.locator("a, img, b").count() == 0


def test_next_stage_into_a_stage_with_required_fields_asks_for_them_in_a_dialog(open_app, db):
    proposal = next(s for s in stages_of_pipeline(db, 0) if s.name == "Commercial proposal")
    (deal_id,) = new_deals(db, "jack", ["Proposal without a date"], stage=proposal.id, amount=900)
    page = open_app("/deals", "jack")
    open_deal(page, "Proposal without a date")

    click_and_wait(page, next_stage_button(page))  # → Contracting, which needs a date and a company
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Contracting needs: Expected close date, Company.")).to_be_visible()
    click_and_wait(page, dialog.get_by_role("button", name="Move"))  # nothing filled: refused, named
    expect(dialog.get_by_text("is required to enter stage 'Contracting'").first).to_be_visible()
    assert stored(db, deal_id).stage_id == proposal.id

    fill_close_date_and_new_company(page, dialog, dialog, company="Dialog client")
    click_and_wait(page, dialog.get_by_role("button", name="Move"))

    moved = stored(db, deal_id)
    contracting = pipelines.next_stage(stages_of_pipeline(db, 0), proposal.id)
    assert (moved.stage_id, moved.expected_close_date) == (contracting.id, date(2027, 3, 15))
    with transaction(db) as session:
        assert customers.names(session, moved.company_id, None)[0] == "Dialog client"
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_an_amount_typed_in_the_grid_with_a_comma_is_read_as_written(open_app, db):
    (deal_id,) = new_deals(db, "fedor", ["Comma amount"], amount=100)
    page = open_app("/deals", "fedor")
    find_in_grid(page, "Comma amount")

    edit_cell(page, "Comma amount", "amount", "12,5")
    assert stored(db, deal_id).amount == Decimal("12.50")  # a number editor stored 125

    edit_cell(page, "Comma amount", "amount", "2,500")
    assert stored(db, deal_id).amount == Decimal("2500.00")


def test_next_stage_from_a_grid_row_is_one_click(open_app, db):
    (deal_id,) = new_deals(db, "fedor", ["Grid row forward"], amount=10)
    first = stored(db, deal_id).stage_id
    page = open_app("/deals", "fedor")
    find_in_grid(page, "Grid row forward")
    row = page.frame_locator(GRID).last.locator(".ag-row", has_text="Grid row forward")
    following = pipelines.next_stage(stages_of(db, deal_id), first)
    expect(row.locator("[col-id='next_stage']")).to_have_text(f"→ {following.name}")

    click_and_wait(page, row.locator("[col-id='next_stage']"))  # the one click

    assert stored(db, deal_id).stage_id == following.id
    after = pipelines.next_stage(stages_of(db, deal_id), following.id)
    expect(row.locator("[col-id='next_stage']")).to_have_text(f"→ {after.name}")
