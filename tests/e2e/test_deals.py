"""The deals workspace in Chromium: what AppTest cannot drive (the AgGrid iframe, two browsers)."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core import deals, pipelines, users
from db.engine import make_engine, transaction
from tests.e2e.conftest import click_and_wait, open_address, runs_finished, sign_in, wait_for_run_after
from ui.grid import NUMBER_FORMAT
from ui.state import Deals, key

GRID = "iframe[title='st_aggrid.AgGrid.agGrid']"
# AG Grid draws only the columns in view: a window wide enough for all of them, the close date too.
WIDE = {"width": 1920, "height": 1080}


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
    page = open_app("/deals", login)
    expect(page.get_by_role("heading", name="Deals", exact=True)).to_be_visible()
    return page


def wide_deals_page(open_app, login: str):
    page = deals_page(open_app, login)
    page.set_viewport_size(WIDE)
    expect(page.frame_locator(GRID).locator(".ag-header-cell[col-id='expected_close_date']")).to_be_visible()
    return page


def grid_cell(page, title: str, column: str):
    # After an edit the grid is drawn anew; while the old one is being removed, the newest is the last.
    return page.frame_locator(GRID).last.locator(".ag-row", has_text=title).locator(f"[col-id='{column}']")


def open_from_grid(page, title: str) -> None:
    """Tick the deal's row, then open it on its own page."""
    page.frame_locator(GRID).locator(".ag-row", has_text=title).locator("input.ag-checkbox-input").click()
    click_and_wait(page, page.locator(f".st-key-{key(Deals.TICKED, 'open')} button"))


def edit_cell(page, title: str, column: str, text: str) -> None:
    cell = grid_cell(page, title, column)
    cell.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
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


@pytest.mark.parametrize(
    ("title", "before", "typed", "after"),
    [
        ("Close date retyped", date(2027, 3, 15), "2027-03-15", date(2027, 3, 15)),
        ("Close date rewritten", date(2027, 3, 15), "15.03.2027", date(2027, 3, 15)),
        ("Close date moved", date(2026, 12, 1), "2027-03-15", date(2027, 3, 15)),
        ("Close date first set", None, "15.03.2027", date(2027, 3, 15)),
        ("Close date in summer", None, "31.07.2026", date(2026, 7, 31)),
    ],
)
def test_a_close_date_typed_in_the_grid_as_iso_or_day_month_year_is_stored(open_app, db, title, before, typed, after):
    deal_id = new_deal(db, "irina", title, expected_close_date=before)
    page = wide_deals_page(open_app, "irina")

    edit_cell(page, title, "expected_close_date", typed)

    expect(grid_cell(page, title, "expected_close_date")).to_have_text(after.isoformat())
    expect(page.get_by_text("Component Error")).to_have_count(0)
    assert stored(db, deal_id).expected_close_date == after
    # The same date typed again is no edit: nothing saved, nothing said.
    assert stored(db, deal_id).version == (1 if before == after else 2)
    if before == after:
        expect(page.get_by_text("Saved.")).to_have_count(0)


@pytest.mark.parametrize(
    ("title", "typed", "message"),
    [
        ("Close date emptied", "", "an empty cell keeps the date; to remove it, clear it on the deal's Details tab"),
        ("Close date garbled", "abc", "must be a date like 2026-03-31 or 31.03.2026, not 'abc'"),
        ("Close date impossible", "31.02.2027", "not '31.02.2027'"),
    ],
)
def test_a_close_date_the_grid_cannot_store_is_refused_and_the_stored_date_kept(open_app, db, title, typed, message):
    deal_id = new_deal(db, "dmitry", title, expected_close_date=date(2027, 3, 15))
    page = wide_deals_page(open_app, "dmitry")

    edit_cell(page, title, "expected_close_date", typed)

    expect(page.get_by_role("listitem").filter(has_text="Expected close date")).to_contain_text(message)
    expect(grid_cell(page, title, "expected_close_date")).to_have_text("2027-03-15")
    assert (stored(db, deal_id).expected_close_date, stored(db, deal_id).version) == (date(2027, 3, 15), 1)


def test_an_empty_close_date_cell_opens_its_editor_and_left_empty_is_no_edit(open_app, db):
    deal_id = new_deal(db, "hugo", "Close date never set", amount=40)
    page = wide_deals_page(open_app, "hugo")

    grid_cell(page, "Close date never set", "expected_close_date").dblclick()
    expect(grid_cell(page, "Close date never set", "expected_close_date").locator("input")).to_be_focused()
    finished = runs_finished(page)
    page.keyboard.press("Enter")
    wait_for_run_after(page, finished)

    expect(page.get_by_text("Component Error")).to_have_count(0)
    expect(grid_cell(page, "Close date never set", "title")).to_have_text("Close date never set")
    expect(grid_cell(page, "Close date never set", "expected_close_date")).to_have_text("")
    expect(page.get_by_text("Saved.")).to_have_count(0)
    assert (stored(db, deal_id).expected_close_date, stored(db, deal_id).version) == (None, 1)


@pytest.mark.parametrize(
    ("typed", "message"), [("", "Amount: is required"), ("abc", "Amount: must be a number, not 'abc'")]
)
def test_an_amount_cell_emptied_or_unreadable_is_refused_and_the_stored_amount_kept(open_app, db, typed, message):
    title = f"Amount kept after {typed or 'nothing'}"
    deal_id = new_deal(db, "dmitry", title, amount=700)
    page = deals_page(open_app, "dmitry")

    edit_cell(page, title, "amount", typed)

    expect(page.get_by_text(message)).to_be_visible()
    expect(grid_cell(page, title, "amount")).to_have_text("700")
    assert (stored(db, deal_id).amount, stored(db, deal_id).version) == (Decimal(700), 1)


@pytest.mark.parametrize(
    ("typed", "message", "after"), [("", "Title: is required", None), ("  Renamed cell ", None, "Renamed cell")]
)
def test_a_title_edited_in_the_grid_is_stored_trimmed_or_refused_when_empty(open_app, db, typed, message, after):
    title = f"Title cell {'emptied' if message else 'renamed'}"
    deal_id = new_deal(db, "irina", title, amount=5)
    page = deals_page(open_app, "irina")

    edit_cell(page, title, "title", typed)

    if message:
        expect(page.get_by_text(message)).to_be_visible()
    expect(page.frame_locator(GRID).last.locator(".ag-row", has_text=after or title)).to_have_count(1)
    assert (stored(db, deal_id).title, stored(db, deal_id).version) == (after or title, 2 if after else 1)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("null", ""),
        ("undefined", ""),
        ("''", ""),
        ("'abc'", "abc"),
        ("NaN", ""),
        ("0", "0"),
        ("2500", "2,500"),
        ("1234567.5", "1,234,567.5"),
    ],
)
def test_the_amount_format_shows_any_value_without_throwing(page, value, shown):
    # Run as the grid runs it, in Chromium: a formatter that throws replaces the grid with "Component Error".
    code = NUMBER_FORMAT.js_code.strip(":JSCODE")
    assert page.evaluate(f"({code})({{value: {value}}})") == shown


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


def test_an_amount_edited_in_the_grid_shows_in_the_deals_timeline_with_who_and_the_values(open_app, db):
    deal_id = new_deal(db, "irina", "Timeline target", amount=50000, source="website")
    with transaction(db, write=True) as session:
        irina = users.find_user(session, "irina")
        deals.update_deal(session, irina.as_actor(), deal_id, 1, {"source": "<img src=x onerror=alert(1)>"})
    page = deals_page(open_app, "irina")
    edit_cell(page, "Timeline target", "amount", "5000")

    open_address(page, page.url.split("/deals")[0] + f"/deals?deal={deal_id}")
    page.get_by_role("tab", name="Timeline").click()

    timeline = page.locator("[data-testid='stText']")
    expect(timeline.filter(has_text="Amount: 50,000")).to_contain_text(f"→ 5,000 USD  ({irina.display_name})")
    expect(timeline.filter(has_text="Source: website → <img src=x onerror=alert(1)>")).to_have_count(1)
    expect(page.locator("img[src='x']")).to_have_count(0)
