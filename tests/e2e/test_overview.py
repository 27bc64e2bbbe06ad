from playwright.sync_api import expect

from core import pipelines, users
from core.analytics.filters import DealFilter
from core.analytics.funnel import current_pipeline
from db.engine import make_engine, transaction
from ui.state import Overview


def test_overview_shows_the_three_demo_pipelines_in_chromium(open_app, demo_database_url, tmp_path):
    page = open_app("/", "ceo")

    expect(page.get_by_role("heading", name="Pipelines overview")).to_be_visible()
    engine = make_engine(demo_database_url)
    with transaction(engine) as session:
        ceo = users.find_user(session, "ceo").as_actor()
        expected = {
            p: int(current_pipeline(session, ceo, DealFilter(p.id))["deals"].sum())
            for p in pipelines.list_pipelines(session)
        }
    engine.dispose()
    assert len(expected) == 3
    for pipeline, open_deals in expected.items():
        section = page.locator(f".st-key-{Overview.PIPELINE(pipeline.id)}")
        expect(section.get_by_role("heading", name=pipeline.name)).to_be_visible()
        expect(section.locator("[data-testid='stMetricValue']").first).to_have_text(f"{open_deals:,}")
        expect(section.locator("[data-testid='stVegaLiteChart']")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=tmp_path / "overview.png", full_page=True)
