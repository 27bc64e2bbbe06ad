"""Live pages in a real browser: an open page whose figures did not change is not redrawn (only its
ticker asks), and a change shows within the refresh promise."""

import time

import pytest
from sqlalchemy import select

from core import deals, users
from db.engine import make_engine, transaction
from db.models import Deal, Stage, StageKind
from tests.e2e.conftest import open_address, sign_in

PROMISE_MS = 15_000  # a change made anywhere shows on an open live page within this
QUIET_MS = 12_000  # two refresh intervals and more
SHOWN_MARKER = """() => {
  const part = document.querySelector("[class*='st-key-live_as_of_']");
  return part ? Number(part.className.match(/st-key-live_as_of_(\\d+)/)[1]) : null;
}"""
# Counts every change inside the live part from now on, and notes when the last one was.
WATCH_PART = """() => {
  window.partChanges = 0;
  window.partChanged = Date.now();
  new MutationObserver((changes) => { window.partChanges += changes.length; window.partChanged = Date.now(); })
    .observe(document.querySelector("[data-testid='stMain'] [class*='st-key-live_']"),
             { subtree: true, childList: true, attributes: true, characterData: true });
}"""
SETTLED = "() => Date.now() - window.partChanged > 5000"  # the first drawing's charts are done


@pytest.fixture
def database(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def move_a_deal(database) -> None:
    """What a manager elsewhere does: an open deal of the demo to its next open stage."""
    with transaction(database, write=True) as session:
        deal = session.scalars(select(Deal).where(Deal.status == StageKind.OPEN).order_by(Deal.id)).first()
        stages = session.scalars(
            select(Stage)
            .where(Stage.pipeline_id == deal.pipeline_id, Stage.kind == StageKind.OPEN)
            .order_by(Stage.position)
        ).all()
        target = next(stage for stage in stages if stage.id != deal.stage_id)
        owner = users.get_user(session, deal.owner_id).as_actor()
        deals.move_deal(session, owner, deal.id, target.id, deal.version)


def test_unchanged_live_pages_are_not_redrawn_and_a_change_shows_on_each_within_the_promise(context, app_url, database):
    """The Funnel, the Manager dashboard and Plan vs fact, open side by side in three tabs."""
    pages = {}
    for path in ("/funnel", "/dashboard", "/plan-fact"):
        page = open_address(context.new_page(), f"{app_url}{path}")
        if not pages:
            sign_in(page, "ceo")  # the other tabs share its cookie
        pages[path] = page
    shown = {}
    for page in pages.values():
        page.wait_for_function(f"({SHOWN_MARKER})() !== null", timeout=30_000)
        page.evaluate(WATCH_PART)
    for path, page in pages.items():
        page.wait_for_function(SETTLED, timeout=30_000)
        shown[path] = page.evaluate(SHOWN_MARKER)
        page.evaluate("window.partChanges = 0")

    time.sleep(QUIET_MS / 1000)
    for path, page in pages.items():
        assert page.evaluate("window.partChanges") == 0, path
        assert page.evaluate(SHOWN_MARKER) == shown[path], path

    move_a_deal(database)
    moved = time.monotonic()
    for path, page in pages.items():
        left = max(1, PROMISE_MS - (time.monotonic() - moved) * 1000)
        page.wait_for_function(f"({SHOWN_MARKER})() > {shown[path]}", timeout=left)
