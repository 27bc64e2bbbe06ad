"""The deals workspace in Chromium: what AppTest cannot drive (the AgGrid iframe, two browsers)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core import deals, pipelines, users
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from db.engine import make_engine, transaction
from tests.e2e.conftest import click_and_wait, open_address, runs_finished, sign_in, wait_for_run_after
from ui import format
from ui.state import Deals, key

GRID = "iframe[title='st_aggrid.AgGrid.agGrid']"


@pytest.fixture
def db(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def new_deal(engine, login: str, title: str, **fields) -> int:
    with transaction(engine, write=True) as session:
        owner = users.find_user(session, login).as_actor()
        first = pipelines.list_pipelines(session)[0].id
        return deals.create_deal(session, owner, pipeline_id=first, fields={"title": title, **fields})


def stored(engine, deal_id: int) -> deals.DealView:
    with transaction(engine) as session:
        return deals.get_deal(session, users.find_user(session, "admin").as_actor(), deal_id)


def deals_page(open_app, login: str):
    page = sign_in(open_app("/deals"), login)
    expect(page.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    return page


def grid_cell(page, title: str, column: str):
    # After an edit the grid is drawn anew; while the old one is being removed, the newest is the last.
    return page.frame_locator(GRID).last.locator(".ag-row", has_text=title).locator(f"[col-id='{column}']")


def open_from_grid(page, title: str) -> None:
    page.frame_locator(GRID).locator(".ag-row", has_text=title).locator("input.ag-checkbox-input").click()


def edit_cell(page, title: str, column: str, text: str) -> None:
    cell = grid_cell(page, title, column)
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    finished = runs_finished(page)
    page.keyboard.press("Enter")
    wait_for_run_after(page, finished)
    expect(page.locator(GRID)).to_have_count(1)  # the grid is redrawn after an edit: wait for the new one


def test_an_amount_edited_in_the_grid_is_stored(open_app, db):
    deal_id = new_deal(db, "irina", "Grid edit target", amount=100)
    page = deals_page(open_app, "irina")

    edit_cell(page, "Grid edit target", "amount", "2500")

    expect(grid_cell(page, "Grid edit target", "amount")).to_have_text("2,500")
    assert (stored(db, deal_id).amount, stored(db, deal_id).version) == (Decimal(2500), 2)


def test_an_invalid_cell_edit_is_refused_and_the_cell_shows_the_stored_value(open_app, db):
    deal_id = new_deal(db, "dmitry", "Refused edit target", amount=700)
    page = deals_page(open_app, "dmitry")

    edit_cell(page, "Refused edit target", "amount", "-5")

    expect(page.get_by_text("must not be negative")).to_be_visible()
    expect(grid_cell(page, "Refused edit target", "amount")).to_have_text("700")
    assert (stored(db, deal_id).amount, stored(db, deal_id).version) == (Decimal(700), 1)


def test_two_browsers_saving_the_same_deal_the_second_gets_a_conflict(open_app, db, browser):
    deal_id = new_deal(db, "emma", "Conflict target", amount=10)
    first = deals_page(open_app, "emma")
    second_context = browser.new_context()
    second = open_address(second_context.new_page(), first.url)
    sign_in(second, "emma")
    for page in (first, second):
        open_from_grid(page, "Conflict target")
        expect(page.get_by_role("heading", name="Conflict target")).to_be_visible()
        page.get_by_role("tab", name="Details").click()

    for page, amount in ((first, "111"), (second, "222")):
        page.locator(f".st-key-{key(Deals.DEAL(deal_id), 'amount')} input").fill(amount)
        click_and_wait(page, page.get_by_role("button", name="Save", exact=True))

    expect(second.get_by_text("Someone else changed this deal")).to_be_visible()
    expect(second.get_by_role("cell", name="10.00")).to_be_visible()
    expect(second.get_by_role("cell", name="111.00")).to_be_visible()
    assert stored(db, deal_id).amount == Decimal(111)
    second_context.close()


def test_the_board_shows_each_stage_with_its_count_and_amount(open_app, db):
    page = deals_page(open_app, "clara")
    page.get_by_role("tab", name="Board").click()

    with transaction(db) as session:
        clara = users.find_user(session, "clara").as_actor()
        first = pipelines.list_pipelines(session)[0].id
        expected = current_pipeline(session, clara, DealFilter(first))
    for stage in expected.itertuples():
        column = page.locator(f".st-key-{Deals.BOARD_STAGE(stage.stage_id)}")
        expect(column.get_by_text(stage.stage, exact=True)).to_be_visible()
        expect(column.get_by_text(f"{stage.deals:,} · {format.money(stage.amount, 'USD', 'en')}")).to_be_visible()


def test_a_card_moved_into_a_stage_with_required_fields_asks_for_them(open_app, db):
    deal_id = new_deal(db, "hugo", "Card without a close date", amount=5000)
    page = deals_page(open_app, "hugo")
    page.get_by_role("tab", name="Board").click()

    card = page.locator(f".st-key-{Deals.CARD(deal_id)}")
    card.get_by_role("button", name="Move").click()
    popover = page.locator("[data-testid='stPopoverBody']")
    popover.get_by_role("combobox").click()
    page.get_by_role("option", name="Contracting").click()
    click_and_wait(page, popover.get_by_role("button", name="Move"))

    expect(page.get_by_text("Contracting needs: Expected close date, Company.")).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Move", exact=True))
    expect(page.get_by_text("is required to enter stage 'Contracting'").first).to_be_visible()
    assert stored(db, deal_id).stage_id != stage_id(db, "Contracting")


def stage_id(engine, name: str) -> int:
    with transaction(engine) as session:
        first = pipelines.list_pipelines(session)[0].id
        return next(s.id for s in pipelines.list_stages(session, first) if s.name == name)
