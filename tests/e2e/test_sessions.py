"""Sessions in a real browser: the cookie keeps a user signed in across reloads, tabs and browser
restarts; signing out, an admin's revocation, a deactivation or expiry end it within one refresh;
downloads and Streamlit's own addresses answer only who may have them."""

import hashlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, text, update

from core import sessions, users
from core.clock import utcnow
from core.permissions import Actor
from db.engine import make_engine, transaction
from db.models import Role, UserSession
from tests.conftest import DEMO_PASSWORD
from tests.e2e.conftest import READY, choose, open_address, session_cookie, sign_in
from ui.state import Funnel

LIVE_REFRESH_MS = 5_000
# One refresh of a live part, plus the time the signed-out rerun takes on a busy machine.
WITHIN_ONE_REFRESH_MS = LIVE_REFRESH_MS + 10_000


@pytest.fixture
def database(demo_database_url):
    engine = make_engine(demo_database_url)
    yield engine
    engine.dispose()


def expect_signed_in(page) -> None:
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def expect_signed_out(page, timeout: int = WITHIN_ONE_REFRESH_MS) -> None:
    expect(page.get_by_role("textbox", name="Login")).to_be_visible(timeout=timeout)
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def stored_hash_of(database, token: str) -> str:
    with transaction(database) as session:
        return session.get(UserSession, sessions.find(session, token)).token_hash


def test_a_reload_a_second_tab_and_a_restarted_browser_stay_signed_in(browser, app_url):
    context = browser.new_context()
    page = context.new_page()
    sign_in(open_address(page, f"{app_url}/funnel"), "ceo")
    choose(page, Funnel.PRESET, "This year")
    choose(page, Funnel.TEAM, "Moscow office")
    chosen = page.url
    created = page.locator("[data-testid='stMetric']").first.inner_text()

    page.reload()
    page.wait_for_selector(READY)
    expect_signed_in(page)
    assert page.url == chosen
    expect(page.locator(f".st-key-{Funnel.PRESET}").get_by_role("combobox")).to_have_value("This year")
    expect(page.locator(f".st-key-{Funnel.TEAM}").get_by_role("combobox")).to_have_value("Moscow office")
    assert page.locator("[data-testid='stMetric']").first.inner_text() == created

    second = open_address(context.new_page(), f"{app_url}/plan-fact")
    expect_signed_in(second)
    expect(second.get_by_text("Victor Chief · executive")).to_be_visible()

    kept = context.storage_state()  # what a browser keeps on disk when it is closed
    context.close()
    restarted = browser.new_context(storage_state=kept)
    page = open_address(restarted.new_page(), chosen)
    expect_signed_in(page)
    expect(page.locator(f".st-key-{Funnel.TEAM}").get_by_role("combobox")).to_have_value("Moscow office")
    restarted.close()


def test_the_cookie_is_http_only_and_the_database_holds_only_its_hash(page, app_url, database):
    sign_in(open_address(page, app_url), "anna")
    [cookie] = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE]

    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["expires"] > 0
    assert page.evaluate("document.cookie").find(sessions.COOKIE) == -1
    assert stored_hash_of(database, cookie["value"]) == hashlib.sha256(cookie["value"].encode()).hexdigest()
    with transaction(database) as session:
        stored = session.execute(text("SELECT * FROM user_sessions")).all()
    assert all(cookie["value"] not in map(str, stored_row) for stored_row in stored)


def test_signing_out_in_one_tab_signs_out_the_other_at_its_next_refresh(page, app_url):
    sign_in(open_address(page, f"{app_url}/funnel"), "ceo")
    other = open_address(page.context.new_page(), f"{app_url}/deals")
    expect_signed_in(other)

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect_signed_out(page)

    other.reload()
    other.wait_for_selector(READY)
    expect_signed_out(other)
    page.reload()
    page.wait_for_selector(READY)
    expect_signed_out(page)  # the cookie left behind opens nothing


def test_sign_out_everywhere_ends_the_other_browsers_live_page(browser, app_url):
    watching = browser.new_context()
    wall = sign_in(open_address(watching.new_page(), f"{app_url}/dashboard"), "ceo")
    laptop = sign_in(open_address(browser.new_context().new_page(), app_url), "ceo")

    laptop.get_by_role("button", name="Sign out everywhere").click()

    expect_signed_out(laptop)
    expect_signed_out(wall)


def test_a_session_revoked_by_an_admin_ends_within_one_live_refresh(page, app_url, database):
    sign_in(open_address(page, f"{app_url}/funnel"), "ceo")
    token = session_cookie(page.context)
    with transaction(database, write=True) as session:
        admin = users.find_user(session, "admin").as_actor()
        sessions.revoke(session, admin, sessions.find(session, token))

    expect_signed_out(page)


def test_a_deactivated_users_live_dashboard_stops_within_one_refresh(page, app_url, database):
    with transaction(database, write=True) as session:
        user_id = users.create_user(
            session,
            Actor.system(),
            login="leaving",
            display_name="Leaving Soon",
            role=Role.EXECUTIVE,
            password=DEMO_PASSWORD,
        )
    sign_in(open_address(page, f"{app_url}/dashboard"), "leaving")
    expect_signed_in(page)

    with transaction(database, write=True) as session:
        users.update_user(
            session,
            Actor.system(),
            user_id,
            display_name="Leaving Soon",
            role=Role.EXECUTIVE,
            team_id=None,
            is_active=False,
        )

    expect_signed_out(page)


def test_an_expired_session_shows_the_sign_in_form(page, app_url, database):
    sign_in(open_address(page, f"{app_url}/deals"), "anna")
    token = session_cookie(page.context)
    with transaction(database, write=True) as session:
        session.execute(
            update(UserSession)
            .where(UserSession.id == sessions.find(session, token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    page.reload()
    page.wait_for_selector(READY)
    expect_signed_out(page, timeout=20_000)


def test_downloads_answer_only_a_session_allowed_to_have_them(browser, app_url):
    anonymous = browser.new_context()
    assert anonymous.request.get(f"{app_url}/downloads/export.zip").status == 401
    assert anonymous.request.get(f"{app_url}/downloads/export.xlsx").status == 401
    assert anonymous.request.get(f"{app_url}/media/anything.csv").status == 401
    assert anonymous.request.get(f"{app_url}/_stcore/metrics").status == 404
    anonymous.close()

    manager = browser.new_context()
    sign_in(open_address(manager.new_page(), app_url), "anna")
    assert manager.request.get(f"{app_url}/downloads/export.zip").status == 403
    manager.close()

    admin = browser.new_context()
    sign_in(open_address(admin.new_page(), app_url), "admin")
    archive = admin.request.get(f"{app_url}/downloads/export.zip")
    assert archive.status == 200 and archive.headers["content-type"] == "application/zip"
    assert archive.body()[:2] == b"PK" and "attachment" in archive.headers["content-disposition"]
    admin.close()


def test_a_ticket_cannot_be_traded_from_another_site_or_twice(page, app_url, database):
    with transaction(database, write=True) as session:
        started = sessions.start(session, users.find_user(session, "anna"), lifetimes=sessions.Lifetimes())
    body = {"ticket": started.ticket}
    request = page.context.request

    foreign = request.post(f"{app_url}/auth/session", data=body, headers={"Origin": "http://attacker.example"})
    assert foreign.status == 403
    same = request.post(f"{app_url}/auth/session", data=body, headers={"Origin": app_url})
    assert same.status == 204 and sessions.COOKIE in same.headers["set-cookie"]
    assert request.post(f"{app_url}/auth/session", data=body, headers={"Origin": app_url}).status == 403
    with transaction(database) as session:
        hashes = session.execute(
            select(UserSession.ticket_hash, UserSession.token_hash).where(UserSession.id == started.id)
        ).one()
    assert hashes.ticket_hash is None and hashes.token_hash is not None
