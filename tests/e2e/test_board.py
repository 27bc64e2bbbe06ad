"""The deals board in Chromium: cards dragged between stages, the dialog a stage's needs open, the
one-click next stage, more cards on demand, and user text shown as text."""

import json
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from core import customers, deals, pipelines, users
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from db.engine import make_engine, transaction
from db.models import StageKind
from tests.e2e.conftest import click_and_wait, runs_finished, wait_for_run_after
from tests.e2e.test_deals import deals_page, new_deal, stored
from ui import format
from ui.state import Deals, key

DEAL = "application/x-funnel-deal"  # what a dragged card carries (ui/board.py)
# Far above the demo deals, so that a test's deal is among the first cards of its column.
LARGE = 900_000
# Wide enough for every column of the first pipeline: a drag that had to scroll the board first would
# scroll the card away from under the mouse before the drag began (a person's drag scrolls as it goes).
EVERY_COLUMN = {"width": 1920, "height": 1080}


def board_page(open_app, login: str):
    page = deals_page(open_app, login)
    page.set_viewport_size(EVERY_COLUMN)
    page.get_by_role("tab", name="Board").click()
    expect(page.locator(".board .column").first).to_be_visible()
    return page


def column(page, stage_id: int):
    return page.locator(f".board .column[data-stage-id='{stage_id}']")


def card(page, deal_id: int):
    return page.locator(f".board .card[data-deal-id='{deal_id}']")


def drag(page, deal_id: int, stage_id: int) -> None:
    """Drag a card onto a stage's column, then wait for the run the drop started."""
    mark = runs_finished(page)
    card(page, deal_id).drag_to(column(page, stage_id))
    wait_for_run_after(page, mark)


def forge_drop(page, stage_id: int, payload: dict) -> None:
    """A drop on a column carrying a card the page never offered: what a crafted request could send."""
    carried = page.evaluate_handle(
        "([kind, payload]) => { const data = new DataTransfer(); data.setData(kind, payload); return data; }",
        [DEAL, json.dumps(payload)],
    )
    mark = runs_finished(page)
    column(page, stage_id).dispatch_event("drop", {"dataTransfer": carried})
    wait_for_run_after(page, mark)


def stages_of_first_pipeline(engine) -> dict[str, int]:
    with transaction(engine) as session:
        first = pipelines.list_pipelines(session)[0].id
        return {s.name: s.id for s in pipelines.list_stages(session, first)}


@pytest.fixture
def db(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def stage(db) -> dict[str, int]:
    """The first pipeline's stages by name."""
    return stages_of_first_pipeline(db)


def test_the_board_shows_each_open_stage_with_its_count_amount_and_weighted_amount_then_won_and_lost(open_app, db):
    page = board_page(open_app, "clara")

    with transaction(db) as session:
        clara = users.find_user(session, "clara").as_actor()
        first = pipelines.list_pipelines(session)[0].id
        expected = current_pipeline(session, clara, DealFilter(first, status=StageKind.OPEN))
    for row in expected.itertuples():
        head = column(page, row.stage_id).locator(".head")
        expect(head.locator(".name")).to_have_text(row.stage)
        expect(head.locator(".count")).to_have_text(f"{row.deals:,}")
        expect(head.locator(".amount")).to_have_text(format.money(row.amount, "USD", "en"))
        expect(head.locator(".weighted")).to_have_text(f"weighted {format.money(row.weighted_amount, 'USD', 'en')}")
    names = page.locator(".board .column .name").all_inner_texts()
    assert names == [*expected["stage"], "Won", "Lost"]


def test_a_card_dragged_to_the_next_column_moves_the_deal(open_app, db, stage):
    deal_id = new_deal(db, "jack", "Dragged to presentation", amount=LARGE + 1)
    page = board_page(open_app, "jack")
    expect(column(page, stage["Qualification"]).locator(f".card[data-deal-id='{deal_id}']")).to_be_visible()

    drag(page, deal_id, stage["Presentation"])

    assert (stored(db, deal_id).stage_id, stored(db, deal_id).version) == (stage["Presentation"], 2)
    expect(column(page, stage["Presentation"]).locator(f".card[data-deal-id='{deal_id}']")).to_be_visible()


def test_a_card_dropped_on_a_stage_with_required_fields_asks_for_them_then_moves(open_app, db, stage):
    deal_id = new_deal(db, "fedor", "Dropped on contracting", amount=LARGE + 2)
    page = board_page(open_app, "fedor")

    drag(page, deal_id, stage["Contracting"])

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Contracting needs: Expected close date, Company.")).to_be_visible()
    assert stored(db, deal_id).stage_id == stage["Qualification"]
    prefix = Deals.MOVE(deal_id, "dialog", stage["Contracting"])
    dialog.locator(f".st-key-{key(prefix, 'expected_close_date')} [data-type='year']").click()
    mark = runs_finished(page)
    page.keyboard.type("20270201")  # year, month, day: the field moves on by itself
    page.keyboard.press("Tab")
    wait_for_run_after(page, mark)
    dialog.get_by_role("textbox", name="…or a new company").fill("Dropped Company Ltd")
    click_and_wait(page, dialog.get_by_role("button", name="Move", exact=True))

    moved = stored(db, deal_id)
    assert (moved.stage_id, moved.expected_close_date) == (stage["Contracting"], date(2027, 2, 1))
    assert moved.company_id is not None
    expect(column(page, stage["Contracting"]).locator(f".card[data-deal-id='{deal_id}']")).to_contain_text(
        "Dropped Company Ltd"
    )


def test_a_card_dropped_on_lost_asks_for_the_reason(open_app, db, stage):
    deal_id = new_deal(db, "grace", "Dropped on lost", amount=LARGE + 3)
    page = board_page(open_app, "grace")

    drag(page, deal_id, stage["Lost"])
    dialog = page.get_by_role("dialog")
    click_and_wait(page, dialog.get_by_role("button", name="Close as lost"))

    expect(dialog.get_by_text("choose why the deal was lost")).to_be_visible()
    assert stored(db, deal_id).status == StageKind.OPEN
    dialog.locator(f".st-key-{key(Deals.MOVE(deal_id, 'dialog', stage['Lost']), 'reason')}").click()
    mark = runs_finished(page)
    page.get_by_role("option", name="No budget").click()
    wait_for_run_after(page, mark)
    click_and_wait(page, dialog.get_by_role("button", name="Close as lost"))

    assert stored(db, deal_id).status == StageKind.LOST
    expect(card(page, deal_id)).to_have_count(0)  # a closed deal has no card


def test_a_refused_drop_snaps_the_card_back_and_says_why(open_app, db, stage):
    deal_id = new_deal(db, "ksenia", "Changed while on the board", amount=LARGE + 4)
    page = board_page(open_app, "ksenia")
    with transaction(db, write=True) as session:  # someone else saves the deal after the board was drawn
        ksenia = users.find_user(session, "ksenia").as_actor()
        deals.update_deal(session, ksenia, deal_id, 1, {"title": "Changed while on the board!"})

    drag(page, deal_id, stage["Presentation"])

    expect(page.get_by_text("Someone changed the deal Changed while on the board! meanwhile")).to_be_visible()
    assert stored(db, deal_id).stage_id == stage["Qualification"]
    expect(column(page, stage["Qualification"]).locator(f".card[data-deal-id='{deal_id}']")).to_be_visible()
    expect(column(page, stage["Presentation"]).locator(f".card[data-deal-id='{deal_id}']")).to_have_count(0)


def test_a_manager_cannot_drop_another_managers_deal(open_app, db, stage):
    # A manager's board holds only their own deals; a drop naming someone else's is crafted, and refused.
    others = new_deal(db, "leo", "Leo's own deal", amount=LARGE + 5)
    page = board_page(open_app, "jack")
    expect(card(page, others)).to_have_count(0)

    forge_drop(page, stage["Presentation"], {"deal_id": others, "version": 1, "stage_id": stage["Qualification"]})

    expect(page.get_by_text("You may not see this deal: it belongs to another manager.")).to_be_visible()
    assert (stored(db, others).stage_id, stored(db, others).version) == (stage["Qualification"], 1)


def test_an_executive_reads_the_board_but_moves_nothing(open_app, db, stage):
    deal_id = new_deal(db, "leo", "Leo's deal under the executive's eyes", amount=LARGE + 6)
    page = board_page(open_app, "ceo")

    expect(card(page, deal_id)).to_be_visible()
    expect(card(page, deal_id)).not_to_have_attribute("draggable", "true")
    expect(card(page, deal_id).locator("button.forward")).to_have_count(0)
    forge_drop(page, stage["Presentation"], {"deal_id": deal_id, "version": 1, "stage_id": stage["Qualification"]})

    expect(page.get_by_text("Not permitted: You may not move this deal: it belongs to another user.")).to_be_visible()
    assert stored(db, deal_id).stage_id == stage["Qualification"]


HOSTILE_TITLES = (
    "<img src=x onerror=alert(1)> on the board",
    "![x](http://host/p.png) on the board",
    ":red[x] on the board",
)


def test_hostile_titles_are_shown_on_cards_as_written(open_app, db):
    deal_ids = [new_deal(db, "leo", title, amount=LARGE + 7 + n) for n, title in enumerate(HOSTILE_TITLES)]
    page = board_page(open_app, "leo")
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    for deal_id, title in zip(deal_ids, HOSTILE_TITLES, strict=True):
        expect(card(page, deal_id).locator(".title")).to_have_text(title)
    assert page.locator(".board img").count() == 0
    assert page.locator(".board .title span, .board .title a").count() == 0
    assert alerts == []


def test_the_next_stage_is_one_click_from_the_board(open_app, db, stage):
    deal_id = new_deal(db, "jack", "One click onwards", amount=LARGE + 8)
    page = board_page(open_app, "jack")
    page.evaluate("() => { window.clicks = 0; document.addEventListener('click', () => window.clicks++, true); }")
    forward = card(page, deal_id).locator("button.forward")
    expect(forward).to_have_text("→ Presentation")

    click_and_wait(page, forward)

    assert page.evaluate("window.clicks") == 1
    assert stored(db, deal_id).stage_id == stage["Presentation"]
    expect(column(page, stage["Presentation"]).locator(f".card[data-deal-id='{deal_id}'] button.forward")).to_have_text(
        "→ Commercial proposal"
    )


def test_from_the_last_open_stage_the_next_stage_is_won_and_asks_the_final_amount(open_app, db, stage):
    deal_id = new_deal(db, "jack", "Ready to win", amount=LARGE + 9, expected_close_date="2027-03-01")
    with transaction(db, write=True) as session:
        jack = users.find_user(session, "jack").as_actor()
        company = customers.create_company(session, jack, "Winning Customer Ltd")
        deals.move_deal(session, jack, deal_id, stage["Contracting"], 1, fields={"company_id": company})
    page = board_page(open_app, "jack")
    forward = card(page, deal_id).locator("button.forward")
    expect(forward).to_have_text("→ Won")

    click_and_wait(page, forward)
    dialog = page.get_by_role("dialog")
    dialog.locator(f".st-key-{key(Deals.MOVE(deal_id, 'dialog', stage['Won']), 'won_amount')} input").fill("950000")
    click_and_wait(page, dialog.get_by_role("button", name="Close as won"))

    won = stored(db, deal_id)
    assert (won.status, won.amount) == (StageKind.WON, Decimal(950000))


def test_a_column_shows_more_cards_when_asked(open_app, db, stage):
    ids = [new_deal(db, "grace", f"Many {number}", amount=LARGE - number) for number in range(22)]
    page = board_page(open_app, "grace")
    qualification = column(page, stage["Qualification"])
    total = int(qualification.locator(".count").inner_text().replace(",", ""))
    expect(qualification.locator(".card")).to_have_count(20)
    expect(card(page, ids[19])).to_be_visible()
    expect(card(page, ids[21])).to_have_count(0)

    more = qualification.get_by_role("button", name=f"Show {min(20, total - 20)} more")
    click_and_wait(page, more)

    expect(qualification.locator(".card")).to_have_count(min(40, total))
    expect(card(page, ids[21])).to_have_count(1)


def test_a_card_clicked_opens_its_deal(open_app, db):
    deal_id = new_deal(db, "ksenia", "Opened from the board", amount=LARGE + 10)
    page = board_page(open_app, "ksenia")

    click_and_wait(page, card(page, deal_id).locator(".title"))

    expect(page.get_by_role("heading", name="Opened from the board")).to_be_visible()
    assert page.url.endswith(f"/deals?deal={deal_id}")
