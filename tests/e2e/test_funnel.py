import io
import re
from datetime import date, timedelta

import pandas as pd
from playwright.sync_api import expect

from cli.main import main
from tests.e2e.conftest import click_and_wait, open_address, sign_in
from ui.state import Deals, Funnel, key


def last_quarter(today: date) -> tuple[date, date]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = quarter_start - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def test_views_comparison_and_the_csv_equals_the_cli_report(open_app, demo_database_url, monkeypatch, capsys):
    page = sign_in(open_app("/funnel"), "ceo")
    expect(page.get_by_role("heading", name="Every figure")).to_be_visible()

    for view in ("Bars", "Monthly trend", "Funnel"):
        page.locator(f".st-key-{Funnel.VIEW}").get_by_text(view, exact=True).click()
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    box = page.locator(f".st-key-{Funnel.COMPARE}").get_by_role("combobox")
    for name in ("Anna Ivanova", "Boris Petrov"):
        box.click()
        click_and_wait(page, page.get_by_role("option", name=name))
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Next-step conversion: managers and the team")).to_be_visible()
    comparison = page.locator("[data-testid='stDataFrame']").filter(has_text="Anna Ivanova")
    expect(comparison).to_contain_text("Boris Petrov")

    with page.expect_download() as download:
        page.locator(f".st-key-{Funnel.DOWNLOAD}").get_by_role("button").click()
    from_page = pd.read_csv(download.value.path())
    date_from, date_to = last_quarter(date.today())
    monkeypatch.setenv("DATABASE_URL", demo_database_url)
    capsys.readouterr()
    assert (
        main(
            [
                "report",
                "funnel",
                "--pipeline",
                "B2B classic",
                "--from",
                str(date_from),
                "--to",
                str(date_to),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    from_cli = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(from_page, from_cli)


def test_a_deal_created_in_another_browser_shows_up_without_a_reload(open_app, browser, app_url):
    page = sign_in(open_app("/funnel"), "ceo")
    page.locator(f".st-key-{Funnel.PRESET}").get_by_role("combobox").click()
    click_and_wait(page, page.get_by_role("option", name="This month"))
    created = (
        page.locator("[data-testid='stMetric']")
        .filter(has_text="Deals created")
        .locator("[data-testid='stMetricValue']")
    )
    expect(created).to_have_text(re.compile(r"^\d"))
    before = int(created.inner_text().replace(",", ""))

    other = browser.new_context()
    manager = open_address(other.new_page(), f"{app_url}/deals")
    sign_in(manager, "anna")
    manager.get_by_role("tab", name="New deal").click()
    manager.locator(f".st-key-{key(Deals.NEW_DEAL, 'title')} input").fill("Live update")
    click_and_wait(manager, manager.get_by_role("button", name="Create deal"))
    expect(manager.get_by_role("heading", name="Live update")).to_be_visible()

    expect(created).to_have_text(f"{before + 1:,}", timeout=15_000)
    other.close()


def test_filters_left_at_everyone_say_so(open_app):
    """A filter restored from an address without it shows its first option ("All"), not an empty box."""
    page = sign_in(open_app("/funnel"), "ceo")

    for name in (Funnel.TEAM, *(Funnel.CATEGORY(category) for category in ("source", "region", "segment"))):
        expect(page.locator(f".st-key-{name}").get_by_role("combobox")).to_have_value("All")
