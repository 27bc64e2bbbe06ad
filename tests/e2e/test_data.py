"""The import wizard in Chromium: a small file with problems, the preview of them, then a clean import."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from db.engine import make_engine, transaction
from db.models import Deal
from tests.e2e.conftest import click_and_wait, runs_finished, wait_for_run_after
from ui.state import Dashboard, Data

BAD = (
    "\ufeffDeal ID;Title;Manager;Stage;Amount;Created;Closed\n"
    "W-1;Wizard alpha;anna;Qualification;1 000;01.10.2026;\n"
    "W-2;Wizard beta;anna;Qualification;abc;02.10.2026;\n"
    "W-3;Wizard gamma;boris;Won;500;03.10.2026;\n"
)
GOOD = BAD.replace(";abc;", ";2 500,50;").replace(
    "W-3;Wizard gamma;boris;Won;500;03.10.2026;", "W-3;Wizard gamma;boris;Won;500;03.10.2026;09.10.2026"
)


@pytest.fixture
def db(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def upload(page, tmp_path, text: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    finished = runs_finished(page)
    page.locator(f".st-key-{Data.FILE} input[type='file']").set_input_files(str(path))
    wait_for_run_after(page, finished)


def test_the_wizard_shows_the_problems_then_imports_the_fixed_file(open_app, db, tmp_path):
    page = open_app("/data", "admin")
    expect(page.get_by_role("heading", name="Import & export")).to_be_visible()

    upload(page, tmp_path, BAD, "old-crm.csv")

    problems = page.locator("[data-testid='stDataFrame']").filter(has_text="is not an amount")
    expect(problems).to_contain_text("'abc' is not an amount")
    expect(problems).to_contain_text("a won or lost deal needs its closed date")
    expect(page.get_by_text("2 problems must be fixed")).to_be_visible()
    expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    expect(page.locator("[data-testid='stDataFrame']").filter(has_text="Wizard alpha").first).to_be_visible()

    upload(page, tmp_path, GOOD, "old-crm-fixed.csv")  # replaces the first file
    expect(page.get_by_text("3 deals to import into B2B classic")).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Import", exact=True))
    expect(page.get_by_text("Import 3 deals into 'B2B classic'?")).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Yes, import"))

    expect(page.get_by_text("Imported 3 deals")).to_be_visible()
    with transaction(db) as session:
        stored = {
            d.external_id: (str(d.amount), d.status.value)
            for d in session.scalars(select(Deal).where(Deal.external_id.like("W-%")))
        }
    assert stored == {"W-1": ("1000.00", "open"), "W-2": ("2500.50", "open"), "W-3": ("500.00", "won")}


def test_the_dashboard_leaderboard_downloads_as_excel(open_app):
    page = open_app("/dashboard", "ceo")
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible()
    wait_for_run_after(page, runs_finished(page))  # the page settled: its live part has run too (CI once missed it)

    with page.expect_download() as download:
        page.locator(f".st-key-{Dashboard.DOWNLOAD}_excel").get_by_role("button").click()

    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert "Anna Ivanova" in names and len(names) >= 12
    assert "'<script>" not in "".join(names) and any(name.startswith("<script>") for name in names)
