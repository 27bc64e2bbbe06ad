"""A toast survives a busy browser: the one that draws the rerun after an action before the toast."""

from tests.e2e.conftest import click_and_wait, sign_in
from ui.i18n import t
from ui.state import Users

# Every toast the page draws, kept after it is gone.
_WATCH_TOASTS = """
  window.toastsSeen = [];
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll("[data-testid='stToast']")) {
      if (!window.toastsSeen.includes(toast.innerText)) window.toastsSeen.push(toast.innerText);
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
"""


def test_a_busy_browser_shows_the_toast_of_an_action_that_reruns(page, open_app):
    open_app()
    sign_in(page, "admin")
    click_and_wait(page, page.get_by_role("link", name=t("nav.users"), exact=True))
    page.evaluate(_WATCH_TOASTS)
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 20})
    names = [f"Busy team {number}" for number in range(1, 3)]
    for name in names:
        page.locator(f".st-key-{Users.TEAM_NAME} input").fill(name)
        click_and_wait(page, page.get_by_role("button", name=t("users.add_team"), exact=True))
    page.wait_for_function(f"window.toastsSeen.length >= {len(names)}", timeout=30_000)
    seen = [text.split("\n")[-1] for text in page.evaluate("window.toastsSeen")]  # after the icon's name
    assert seen == [t("users.team_created", name=name) for name in names]
