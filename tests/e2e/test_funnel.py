import io
import re
from datetime import date, timedelta

import pandas as pd
import pytest
from playwright.sync_api import expect

from cli.main import main
from core.analytics import funnel
from tests.e2e.conftest import click_and_wait, open_address, runs_finished, sign_in, wait_for_run_after
from ui.state import Deals, Funnel, key


def last_quarter(today: date) -> tuple[date, date]:
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = quarter_start - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def test_views_comparison_and_the_csv_equals_the_cli_report(open_app, demo_database_url, monkeypatch, capsys):
    page = open_app("/funnel", "ceo")
    expect(page.get_by_role("heading", name="Every figure")).to_be_visible()

    for view in ("Bars", "Monthly trend", "Funnel"):
        click_and_wait(page, page.locator(f".st-key-{Funnel.VIEW}").get_by_text(view, exact=True))
        expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    box = page.locator(f".st-key-{Funnel.COMPARE}").get_by_role("combobox")
    for name in ("Anna Ivanova", "Boris Petrov"):
        # Typed, as `choose` does: a list opened while a run redraws the page can close again.
        box.click()
        box.fill(name)
        expect(page.get_by_role("option", name=name, exact=True)).to_be_visible()
        finished = runs_finished(page)
        box.press("Enter")
        wait_for_run_after(page, finished)
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
    page = open_app("/funnel", "ceo")
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
    page = open_app("/funnel", "ceo")

    for name in (Funnel.TEAM, *(Funnel.CATEGORY(category) for category in ("source", "region", "segment"))):
        expect(page.locator(f".st-key-{name}").get_by_role("combobox")).to_have_value("All")


def test_last_quarters_pipeline_changes_equal_the_cli_report_and_a_bar_lists_its_deals(
    open_app, demo_database_url, monkeypatch, capsys
):
    """Days typed into the date boxes as a user types them; the table downloaded equals `report
    changes` for the same days (the buckets with changes), and the Won bar lists as many deals."""
    page = open_app("/funnel", "ceo")
    click_and_wait(page, page.get_by_text("Show what changed"))
    date_from, date_to = last_quarter(date.today())
    heading = page.get_by_role("heading", name="Pipeline changes between two days")
    for name, day in ((Funnel.CHANGES_FROM, date_from), (Funnel.CHANGES_TO, date_to)):
        page.locator(f".st-key-{name} input").fill(day.isoformat())
        page.keyboard.press("Escape")
        click_and_wait(page, heading)  # the box loses the focus: its day is sent
    table = page.locator("[data-testid='stDataFrame']").filter(has_text="Open at the end of")
    expect(table).to_contain_text(f"Open at the end of {date_from}")
    expect(table).to_contain_text(f"Open at the end of {date_to}")

    with page.expect_download() as download:
        page.locator(f".st-key-{Funnel.CHANGES_DOWNLOAD}").get_by_role("button").click()
    from_page = pd.read_csv(download.value.path())
    monkeypatch.setenv("DATABASE_URL", demo_database_url)
    capsys.readouterr()
    command = ["report", "changes", "--pipeline", "B2B classic", "--from", str(date_from), "--to", str(date_to)]
    assert main([*command, "--format", "csv"]) == 0
    from_cli = pd.read_csv(io.StringIO(capsys.readouterr().out))
    from_cli = from_cli[(from_cli["deals"] > 0) | from_cli["bucket"].isin(["start", "end"])]
    assert len(from_page) == len(from_cli) > 4  # the demo's quarter has new, won, lost and moved deals
    assert from_page[["deals", "amount"]].values.tolist() == from_cli[["deals", "amount"]].values.tolist()
    assert from_page["amount"].sum() == pytest.approx(2 * from_page["amount"].iloc[-1])  # start + changes = end

    won = int(from_cli.set_index("bucket").loc["won", "deals"])
    box = page.locator(f".st-key-{Funnel.CHANGES_BUCKET}").get_by_role("combobox")
    box.click()
    click_and_wait(page, page.get_by_role("option", name="Won", exact=True))
    expect(page.get_by_text(re.compile(rf"^Won: the {min(won, 200)} largest of {won} deals"))).to_be_visible()
    click_and_wait(page, page.locator(f"[class*='st-key-{Funnel.CHANGES_DEAL()}_'] button").first)
    expect(page).to_have_url(re.compile(r"/deals\?deal=\d+$"))


def _tile(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label).locator("[data-testid='stMetricValue']")


def test_a_funnel_bar_and_a_tile_list_their_deals_and_a_row_opens_its_deal(
    open_app, demo_database_url, monkeypatch, capsys
):
    page = open_app("/funnel", "ceo")
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
    expected = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("stage")

    click_and_wait(page, page.locator(f".st-key-{Funnel.BEHIND_TILE('created')} button"))
    tile_panel = page.locator(".st-key-funnel_behind_tiles_panel")
    expect(tile_panel).to_contain_text("Deals behind: Deals created")
    expect(tile_panel).to_contain_text(f"{_tile(page, 'Deals created').inner_text()} deals")

    click_and_wait(page, page.locator(".st-key-funnel_chart path[aria-label*='Stage: Presentation;']"))
    bar_panel = page.locator(".st-key-funnel_behind_chart_panel")
    reached = int(expected.loc["Presentation", "reached"])
    expect(bar_panel).to_contain_text("Deals behind: Reached the stage — Presentation")
    expect(bar_panel).to_contain_text(f"{reached:,} deals · {expected.loc['Presentation', 'reached_amount']:,.0f} USD")
    expect(tile_panel).to_have_count(0)  # one list at a time: the last figure clicked

    with page.expect_download() as download:
        bar_panel.locator(".st-key-funnel_behind_chart_download").get_by_role("button").click()
    assert len(pd.read_csv(download.value.path())) == reached
    listed = bar_panel.locator("[data-testid='stDataFrame']")
    listed.scroll_into_view_if_needed()
    box = listed.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 55)  # the first row's checkbox
    expect(page).to_have_url(re.compile(r"/deals\?deal=\d+"))


def test_a_copied_address_opens_the_same_view_for_another_user(open_app, browser, app_url):
    page = open_app("/funnel", "ceo")
    page.locator(f".st-key-{Funnel.PRESET}").get_by_role("combobox").click()
    click_and_wait(page, page.get_by_role("option", name="This year"))
    source = page.locator(f".st-key-{Funnel.CATEGORY('source')}").get_by_role("combobox")
    source.click()
    click_and_wait(page, page.get_by_role("option").nth(1))
    chosen, created = source.input_value(), _tile(page, "Deals created").inner_text()
    assert chosen != "All"

    other = browser.new_context()
    copied = sign_in(open_address(other.new_page(), page.url), "admin")
    expect(copied.locator(f".st-key-{Funnel.PRESET}").get_by_role("combobox")).to_have_value("This year")
    expect(copied.locator(f".st-key-{Funnel.CATEGORY('source')}").get_by_role("combobox")).to_have_value(chosen)
    expect(_tile(copied, "Deals created")).to_have_text(created)
    other.close()


def test_a_time_in_stage_cell_lists_its_stays_and_an_open_now_cell_the_deals_there_now(open_app, demo_database_url):
    from core import pipelines, users
    from core.analytics.filters import FunnelFilter
    from core.clock import utcnow
    from db.engine import make_engine, transaction
    from ui import resources

    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        actor = users.find_user(session, "ceo").as_actor()
        pipeline_id = pipelines.list_pipelines(session)[0].id
        chosen = FunnelFilter(pipeline_id, *last_quarter(date.today()), resources.settings().zone)
        times = funnel.time_in_stage(session, actor, chosen, now=utcnow()).set_index("stage")
    engine.dispose()
    page = open_app("/funnel", "ceo")
    table = page.locator(f".st-key-{Funnel.TIME} [data-testid='stDataFrame']")
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    panel = page.locator(".st-key-funnel_behind_time_panel")

    finished = runs_finished(page)
    page.mouse.click(box["x"] + 40, box["y"] + 90)  # the second row's stage: Presentation
    wait_for_run_after(page, finished)
    expect(panel).to_contain_text("Deals behind: Time in stage — Presentation")
    stays = int(times.loc["Presentation", "stays"])  # said as stays where a deal stayed twice
    expect(panel).to_contain_text(re.compile(rf"\b{stays:,} (stays|deals)"))
    for _ in ("stays", "median", "mean", "open now"):  # the keyboard walks the cells to the right
        finished = runs_finished(page)
        page.keyboard.press("ArrowRight")
        wait_for_run_after(page, finished)
    expect(panel).to_contain_text("Deals behind: Open in the stage now — Presentation")
    expect(panel).to_contain_text(f"{int(times.loc['Presentation', 'open_now']):,} deals")
    assert "deals=time~open_now~" in page.url
