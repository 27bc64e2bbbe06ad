import re
from datetime import timedelta

from playwright.sync_api import expect

from core import activities, deals, pipelines, users
from core.clock import utcnow
from db.engine import make_engine, transaction
from tests.e2e.conftest import COUNT_RUNS, READY, click_and_wait, open_address, sign_in


def overdue_tile(page):
    return (
        page.locator("[data-testid='stMetric']").filter(has_text="Overdue now").locator("[data-testid='stMetricValue']")
    )


def test_an_overdue_activity_opens_its_deal(open_app):
    page = open_app("/dashboard", "ceo")
    expect(page.get_by_role("heading", name="Overdue activities")).to_be_visible()
    first = page.locator("[data-testid='stText']").filter(has_text=re.compile(r"^\d{4}-\d\d-\d\d")).first
    deal_title = first.inner_text().split(" — ")[1].rsplit(" (", 1)[0]

    page.locator("[class*='st-key-dashboard_overdue_']").first.get_by_role("button", name="Open").click()

    expect(page.get_by_role("heading", name=deal_title)).to_be_visible()  # the deal's own page
    assert re.search(r"/deals\?deal=\d+$", page.url)


def test_completing_an_overdue_task_elsewhere_drops_the_count_without_a_reload(
    open_app, browser, app_url, demo_database_url
):
    engine = make_engine(demo_database_url)
    with transaction(engine, write=True) as session:
        grace = users.find_user(session, "grace").as_actor()
        first = pipelines.list_pipelines(session)[0].id
        deal_id = deals.create_deal(session, grace, pipeline_id=first, fields={"title": "Grace's late call"})
        activities.plan_activity(
            session, grace, kind="call", subject="Call back", deal_id=deal_id, due_at=utcnow() - timedelta(days=400)
        )  # the oldest of her overdue ones
    engine.dispose()
    page = open_app("/dashboard", "grace")
    expect(overdue_tile(page)).to_have_text(re.compile(r"^\d"))
    before = int(overdue_tile(page).inner_text().replace(",", ""))
    assert before > 0

    other = browser.new_context()
    second = open_address(other.new_page(), f"{app_url}/dashboard")
    sign_in(second, "grace")
    second.locator("[class*='st-key-dashboard_overdue_']").first.get_by_role("button", name="Open").click()
    expect(second.get_by_role("button", name="All deals")).to_be_visible()  # the deal's own page
    second.wait_for_selector(READY)
    second.evaluate(COUNT_RUNS)
    second.get_by_role("tab", name="Activities").click()
    click_and_wait(second, second.get_by_role("button", name="Mark done"))

    expect(overdue_tile(page)).to_have_text(f"{before - 1:,}", timeout=15_000)
    other.close()
