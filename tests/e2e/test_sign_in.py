import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import HOSTILE_LOGIN, HOSTILE_NAME, HOSTILE_TITLE
from tests.e2e.conftest import menu, sign_in
from ui.state import Deals, key

READER_MENU = ["Overview", "Funnel", "Manager dashboard", "Plan vs fact", "Deals", "Definitions"]
MENUS = {
    "admin": (
        [
            "Overview",
            "Funnel",
            "Manager dashboard",
            "Plan vs fact",
            "Deals",
            "Definitions",
            "Stage editor",
            "Users",
            "Import & export",
            "Webhooks",
            "Notifications",  # the user's own pages, under their name
            "API tokens",
        ],
        "Alice Admin · admin",
    ),
    "ceo": (
        [*READER_MENU, "Notifications", "API tokens"],
        "Victor Chief · executive",
    ),
    "anna": (
        [*READER_MENU, "Notifications", "API tokens"],
        "Anna Ivanova · manager",
    ),
}


@pytest.mark.parametrize("login", list(MENUS))
def test_each_role_sees_exactly_its_menu(open_app, login):
    page = sign_in(open_app("/"), login)

    expected_menu, signed_in_as = MENUS[login]
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    expect(page.get_by_text(signed_in_as)).to_be_visible()
    expect(page.locator("[data-testid='stSidebar'] [data-testid='stPageLink']")).to_have_count(len(expected_menu))
    assert menu(page) == expected_menu


def test_a_manager_opening_the_users_address_is_not_permitted(open_app):
    page = sign_in(open_app("/users"), "anna")

    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    expect(page.get_by_text("Your role may not open this page.")).to_be_visible()
    assert page.locator("[data-testid='stDataFrame']").count() == 0


def test_an_admin_opening_the_users_address_gets_the_page_after_signing_in(open_app):
    page = sign_in(open_app("/users"), "admin")

    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()


def test_a_wrong_password_shows_a_message_and_signs_nobody_in(open_app):
    page = sign_in(open_app("/"), "ceo", "not the password")

    expect(page.get_by_text("Wrong login or password.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_five_failures_lock_the_login(open_app):
    page = open_app("/")
    for _ in range(4):
        sign_in(page, "boris", "wrong")
        expect(page.get_by_text("Wrong login or password.")).to_be_visible()
    sign_in(page, "boris", "wrong")
    expect(page.get_by_text(re.compile("Too many failed attempts"))).to_be_visible()

    sign_in(page, "boris", "demo-pass")  # the right password, but locked

    expect(page.get_by_text(re.compile("Too many failed attempts"))).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_have_count(0)


def test_signing_out_returns_to_the_sign_in_screen(open_app):
    page = sign_in(open_app("/"), "ceo")
    page.get_by_role("button", name="Sign out", exact=True).click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Pipelines overview")).to_have_count(0)


def test_markup_in_names_and_titles_stays_plain_text_on_every_page(open_app):
    dialogs = []
    page = open_app("/")
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    sign_in(page, HOSTILE_LOGIN)
    expect(page.get_by_text(f"{HOSTILE_NAME} · manager")).to_be_visible()
    expect(page.get_by_role("heading", name="Pipelines overview")).to_be_visible()
    page.get_by_role("link", name="Deals").click()
    grid = page.frame_locator("iframe[title='st_aggrid.AgGrid.agGrid']")
    expect(grid.locator("[col-id='title']", has_text=HOSTILE_TITLE)).to_have_text(HOSTILE_TITLE)
    page.get_by_role("tab", name="Board").click()
    expect(page.get_by_text(HOSTILE_TITLE)).to_be_visible()
    assert grid.locator("img").count() == 0
    page.get_by_role("tab", name="Grid").click()
    grid.locator(".ag-row", has_text=HOSTILE_TITLE).locator("input.ag-checkbox-input").click()
    page.locator(f".st-key-{key(Deals.TICKED, 'open')} button").click()
    expect(page.get_by_role("heading", level=3)).to_have_text(HOSTILE_TITLE)  # the deal page, as written
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, "admin")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    page.wait_for_timeout(1000)  # give any injected script its chance to run

    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("script", has_text="alert(1)").count() == 0


def test_password_hashes_appear_in_no_page_and_no_log(open_app, app_log: Path):
    page = sign_in(open_app("/users"), "admin")
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()

    assert "$argon2" not in page.content()
    assert "$argon2" not in app_log.read_text()


def test_an_executive_opening_the_import_address_is_not_permitted(open_app):
    page = sign_in(open_app("/data"), "ceo")

    expect(page.get_by_role("heading", name="Not permitted")).to_be_visible()
    expect(page.get_by_role("heading", name="Import & export")).to_have_count(0)
