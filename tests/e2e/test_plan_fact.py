"""Plan vs fact in Chromium: the plans grid (an AgGrid iframe), the downloads, live updates."""

import io
import re
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from cli.main import main
from core import plans, users
from core.analytics.plan_fact import plan_fact
from core.clock import utcnow
from core.periods import Period, PeriodKind
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.models import Plan
from tests.e2e.conftest import runs_finished, wait_for_run_after
from ui.state import PlanFact

GRID = "iframe[title='st_aggrid.AgGrid.agGrid']"
THIS_QUARTER = Period.containing(PeriodKind.QUARTER, utcnow().date())


@pytest.fixture
def db(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def user_id(engine, login: str) -> int:
    with transaction(engine) as session:
        return users.find_user(session, login).id


def target_amount(engine, manager_id: int, month: date) -> Decimal | None:
    with transaction(engine) as session:
        return session.scalar(
            select(Plan.target_amount).where(
                Plan.user_id == manager_id, Plan.month == month, Plan.pipeline_id.is_(None)
            )
        )


def plan_cell(page, manager_id: int, month: date):
    # The name column is pinned, so the month cells live in the grid's centre part; the newest grid is the last.
    return page.frame_locator(GRID).last.locator(
        f".ag-center-cols-container [row-id='user:{manager_id}'] [col-id='{month.isoformat()}']"
    )


def edit_plan_cell(page, manager_id: int, month: date, text: str) -> None:
    expect(page.locator(GRID)).to_have_count(1)  # not an old grid on its way out
    editor = page.frame_locator(GRID).last.locator(".ag-cell-inline-editing input")
    for _ in range(10):  # a grid just drawn may not take the first click yet: click until the editor opens
        plan_cell(page, manager_id, month).click()
        try:
            editor.wait_for(state="visible", timeout=2_000)
            break
        except PlaywrightTimeout:
            continue
    editor.fill(text)
    finished = runs_finished(page)
    editor.press("Enter")
    wait_for_run_after(page, finished)
    expect(page.locator(GRID)).to_have_count(1)


def plan_page(open_app, login: str):
    page = open_app("/plan-fact", login)
    expect(page.get_by_role("heading", name="Plans")).to_be_visible()
    return page


def test_a_plan_typed_into_the_grid_is_stored_and_a_negative_one_is_refused(open_app, db):
    leo, month = user_id(db, "leo"), THIS_QUARTER.months[-1]
    page = plan_page(open_app, "ceo")

    edit_plan_cell(page, leo, month, "54321")

    expect(plan_cell(page, leo, month)).to_have_text("54,321")
    assert target_amount(db, leo, month) == Decimal(54321)

    edit_plan_cell(page, leo, month, "-5")

    expect(page.get_by_text("Won amount: must not be negative")).to_be_visible()
    expect(plan_cell(page, leo, month)).to_have_text("54,321")
    assert target_amount(db, leo, month) == Decimal(54321)


def test_a_manager_sees_the_grid_but_cannot_edit_it(open_app, db):
    fedor, month = user_id(db, "fedor"), THIS_QUARTER.months[0]
    before = target_amount(db, fedor, month)
    page = plan_page(open_app, "fedor")

    plan_cell(page, fedor, month).dblclick()
    page.keyboard.type("1")
    page.keyboard.press("Enter")

    expect(page.frame_locator(GRID).last.locator(".ag-center-cols-container .ag-row")).to_have_count(1)
    expect(page.frame_locator(GRID).last.locator("input")).to_have_count(0)  # no editor opened
    assert target_amount(db, fedor, month) == before


def test_the_downloads_hold_the_figures_of_the_cli_report(open_app, demo_database_url, monkeypatch, capsys):
    page = plan_page(open_app, "ceo")

    with page.expect_download() as csv_download:
        page.locator(f".st-key-{PlanFact.DOWNLOAD}").get_by_role("button").click()
    with page.expect_download() as excel_download:
        page.locator(f".st-key-{PlanFact.DOWNLOAD}_excel").get_by_role("button").click()
    from_page = pd.read_csv(csv_download.value.path())
    sheet = openpyxl.load_workbook(io.BytesIO(excel_download.value.path().read_bytes())).active
    monkeypatch.setenv("DATABASE_URL", demo_database_url)
    capsys.readouterr()
    assert main(["report", "plan-fact", "--period", str(THIS_QUARTER), "--format", "csv"]) == 0
    from_cli = pd.read_csv(io.StringIO(capsys.readouterr().out))

    assert csv_download.value.suggested_filename == f"plan-fact-{THIS_QUARTER}.csv"
    pd.testing.assert_frame_equal(from_page, from_cli)
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["Level", "Name", "Team", "Plan, amount"]
    excel_names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert excel_names == from_cli["name"].tolist()


def test_a_plan_set_elsewhere_shows_up_without_a_reload(open_app, db):
    page = plan_page(open_app, "ceo")
    plan_tile = (
        page.locator("[data-testid='stMetric']").filter(has_text="Plan").first.locator("[data-testid='stMetricValue']")
    )
    expect(plan_tile).to_have_text(re.compile(r"^\d"))
    before = int(plan_tile.inner_text().split()[0].replace(",", ""))
    month = THIS_QUARTER.months[1]

    with transaction(db, write=True) as session:
        chief = users.find_user(session, "admin").as_actor()
        ksenia = users.find_user(session, "ksenia").id
        old = session.scalar(select(Plan.target_amount).where(Plan.user_id == ksenia, Plan.month == month)) or 0
        plans.set_plan(session, chief, month=month, user_id=ksenia, target_amount=old + 1000, target_count=1)

    expect(plan_tile).to_have_text(f"{before + 1000:,} USD", timeout=15_000)


def test_the_calculator_opens_on_the_manager_furthest_behind_plan(open_app, db):
    with transaction(db) as session:
        rows = plan_fact(session, Actor.system(), period=THIS_QUARTER, today=utcnow().date())
    people = rows[rows["level"] == "manager"].sort_values("completion_amount", na_position="last")
    weakest = people.iloc[0]["name"]
    page = plan_page(open_app, "ceo")

    expect(page.locator(f".st-key-{PlanFact.CALCULATOR_MANAGER}").get_by_role("combobox")).to_have_value(weakest)
    expect(page.get_by_text(re.compile(r"(manager's own|team's) rates"))).to_be_visible()
